/**
 * Adam / AdamW for tfjs variables: the same update as the typed-array Adam (adam.ts, `adamUpdate`), run as ONE pass
 * per variable in plain JS instead of tfjs's ~13 tensor ops per variable (each a full pass over memory: ~6 GB of
 * traffic per step for GPT-2 small, and ~40% of a digits VAE step once its matmuls ran on the native BLAS;
 * bench/NOTES.md). On the wasm backend the gradient and the weights are read in place from the wasm heap and the new
 * weights are written straight into a freshly allocated tensor that the variable is assigned (tensors stay immutable:
 * writing a variable's memory in place would be wrong on wasm, whose XNNPACK matmul caches packed weights by tensor
 * id). Other backends go through dataSync / tf.tensor.
 *
 * Used instead of tf.train.adam everywhere: its state is (m, v, t) — moments in JS Float32Arrays, bias corrections
 * from the integer t — so `toArrays`/`fromArrays` restore it exactly and a resumed run continues bit for bit
 * (tf.train.adam keeps β^t as float32 running products that setWeights recomputes differently).
 * It fits wherever a `GradientApplier` is expected (clipAndApply, the PPO and DPO steps); `minimize` is the short
 * form of gradients + step.
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../core/safetensors.js';
import { adamStateFromArrays, adamStateToArrays, adamStepConstants, adamUpdate, resolveAdamConfig, type AdamConfig, type AdamState } from './adam.js';

/** Anything that applies gradients by variable name: TensorAdam, or a tf.Optimizer (tf.train.sgd in tests). */
export interface GradientApplier {
  applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void;
  /** the same with every gradient multiplied by `scale` on the way in (clipping without scaled tensor copies) */
  applyScaledGradients?(variableGradients: tf.NamedTensorMap, scale: number): void;
}

export interface TensorAdamConfig extends AdamConfig {
  /** which variables weight decay λ applies to (AdamW spares biases and gains). Default: all of them. */
  decays?: (variable: tf.Variable) => boolean;
}

/** The wasm backend's heap accessors (as src/core/nativeBlas.ts reads them). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

export class TensorAdam implements GradientApplier {
  readonly variables: readonly tf.Variable[];
  readonly config: AdamConfig;
  /** α, mutable between steps (a schedule sets it) */
  lr: number;
  /** steps taken */
  t = 0;
  /** moments of each variable, by position */
  readonly m: Float32Array[];
  readonly v: Float32Array[];
  private readonly index: Map<string, number>;
  private readonly decayed: boolean[];

  constructor(variables: readonly tf.Variable[], config: Partial<TensorAdamConfig> & { lr: number }) {
    const { decays, ...rest } = config;
    this.config = resolveAdamConfig(rest);
    this.lr = this.config.lr;
    this.variables = variables.slice();
    this.index = new Map(this.variables.map((x, i) => [x.name, i]));
    if (this.index.size !== this.variables.length) throw new ShapeError('TensorAdam: the same variable is listed twice');
    this.decayed = this.variables.map((x) => (decays ? decays(x) : true));
    this.m = this.variables.map((x) => new Float32Array(x.size));
    this.v = this.variables.map((x) => new Float32Array(x.size));
  }

  /** One step with gradients by variable name (tf.Optimizer's contract); variables without a gradient keep their values. */
  applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const list = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const grads: Array<tf.Tensor | undefined> = new Array<tf.Tensor | undefined>(this.variables.length);
    for (const { name, tensor } of list) {
      const j = this.index.get(name);
      if (j === undefined) throw new ShapeError(`TensorAdam: got a gradient for "${name}", which is not one of its ${this.variables.length} variables`);
      grads[j] = tensor ?? undefined;
    }
    this.step(grads);
  }

  /**
   * applyGradients with g ← g · scale read on the way in, one variable at a time in JS memory: clipping by global
   * norm then costs no scaled copy of every gradient on the tensor heap (on a 135 M-parameter model that copy is
   * 0.5 GB of tfjs-wasm's 4 GB). Each product is rounded to float32 as tf.mul rounds it: the same numbers.
   */
  applyScaledGradients(variableGradients: tf.NamedTensorMap, scale: number): void {
    const grads: Array<tf.Tensor | undefined> = new Array<tf.Tensor | undefined>(this.variables.length);
    for (const [name, tensor] of Object.entries(variableGradients)) {
      const j = this.index.get(name);
      if (j === undefined) throw new ShapeError(`TensorAdam: got a gradient for "${name}", which is not one of its ${this.variables.length} variables`);
      grads[j] = tensor;
    }
    this.step(grads, scale);
  }

  /** One step with gradients in the variables' order (undefined/null: that variable keeps its values), each times `scale`. */
  step(grads: ReadonlyArray<tf.Tensor | null | undefined>, scale = 1): void {
    if (grads.length !== this.variables.length) throw new ShapeError(`TensorAdam: ${grads.length} gradients for ${this.variables.length} variables`);
    this.t += 1;
    const withDecay = adamStepConstants(this.config, this.t, this.lr); // θ(1 − αλ) − …
    const withoutDecay = this.config.weightDecay > 0 ? adamStepConstants(this.config, this.t, this.lr, 0) : withDecay;
    const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as HeapBackend) : null;
    const engine = tf.engine();
    this.variables.forEach((variable, j) => {
      const grad = grads[j];
      if (grad == null) return;
      if (grad.size !== variable.size) throw new ShapeError(`TensorAdam: gradient of ${variable.name} has ${grad.size} values, expected ${variable.size}`);
      let outInfo: tf.TensorInfo | null = null;
      let theta: Float32Array;
      let g: Float32Array;
      let out: Float32Array;
      if (wasm && grad.dtype === 'float32') {
        outInfo = wasm.makeOutput(variable.shape, 'float32');
        // views after the allocation (it may grow the heap and detach older views)
        theta = wasm.typedArrayFromHeap(variable);
        g = wasm.typedArrayFromHeap(grad);
        out = wasm.typedArrayFromHeap(outInfo);
      } else {
        theta = variable.dataSync() as Float32Array;
        g = grad.dataSync() as Float32Array;
        out = new Float32Array(variable.size);
      }
      if (scale !== 1) {
        const s32 = Math.fround(scale);
        const gs = new Float32Array(g.length);
        for (let i = 0; i < g.length; i++) gs[i] = g[i]! * s32; // float32(g·s), as tf.mul(g, s)
        g = gs;
      }
      adamUpdate(theta, g, this.m[j]!, this.v[j]!, out, this.decayed[j] ? withDecay : withoutDecay);
      const next = outInfo ? engine.makeTensorFromTensorInfo(outInfo) : tf.tensor(out, variable.shape, 'float32');
      variable.assign(next);
      next.dispose();
    });
  }

  /** ∇f with respect to the variables, then one step. Returns f's value when `read` (a sync point), else NaN. */
  minimize(f: () => tf.Scalar, read = false): number {
    const { value, grads } = tf.variableGrads(f, this.variables as tf.Variable[]);
    try {
      this.step(this.variables.map((x) => grads[x.name]));
      return read ? value.dataSync()[0]! : Number.NaN;
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
  }

  /** The live state (not a copy): t and the moments by variable position. */
  state(): AdamState {
    return { t: this.t, m: this.m, v: this.v };
  }

  /** Restores a state (e.g. another TensorAdam's), matched by variable position; sizes must agree. */
  setState(s: AdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new ShapeError(`Adam state has ${s.m.length} moments for ${this.m.length} variables`);
    this.m.forEach((a, i) => {
      if (s.m[i]!.length !== a.length || s.v[i]!.length !== a.length) throw new ShapeError(`Adam moment ${i} has ${s.m[i]!.length} values, expected ${a.length}`);
      a.set(s.m[i]!);
      this.v[i]!.set(s.v[i]!);
    });
    this.t = s.t;
  }

  /** The state as named arrays for a checkpoint: `<prefix>.t`, `<prefix>.m<i>`, `<prefix>.v<i>` (i = variable position). */
  toArrays(prefix: string): Record<string, TensorToWrite> {
    return adamStateToArrays(
      prefix,
      this.state(),
      this.variables.map((x) => x.shape.slice()),
    );
  }

  /** Reads toArrays' arrays back; `source` names the file in errors. */
  fromArrays(prefix: string, arrays: ReadonlyMap<string, Pick<NamedTensor, 'data'>>, source?: string): void {
    const s = this.state();
    adamStateFromArrays(prefix, arrays, s, source);
    this.t = s.t;
  }
}
