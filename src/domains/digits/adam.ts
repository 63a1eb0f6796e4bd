/**
 * Adam (Kingma & Ba 2015) as one fused pass over plain arrays, for the digits models.
 *
 *   m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   w ← w − α · m̂ / (√v̂ + ε),  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)
 * written as w ← w − α_t · m / (√v + ε_t) with α_t = α √(1 − β₂ᵗ)/(1 − β₁ᵗ), ε_t = ε √(1 − β₂ᵗ) (the same update).
 *
 * Why not tf.train.adam: it runs ~12 kernels per variable (each a full pass over the weights); measured on the VAE
 * step it was ~40% of the step's time once the matmuls ran on the native BLAS (bench/NOTES.md "## digits").
 * Here one JS loop reads g, m, v, w once and writes m, v and the new w once. On the wasm backend g and w are read
 * through zero-copy views of the wasm heap (elsewhere dataSync). The new weights go into a NEW tensor that the
 * variable is assigned: writing a variable's memory in place would be wrong on wasm, whose XNNPACK matmul caches
 * the packed weights of an operand by tensor id (a test pins this down). The moments are plain Float32Arrays,
 * saved in checkpoints for an exact resume.
 */
import { tf } from '../../core/tensor.js';
import { CheckpointError } from '../../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';

export interface AdamConfig {
  /** α, learning rate */
  lr: number;
  /** β₁ (default 0.9) */
  beta1?: number;
  /** β₂ (default 0.999) */
  beta2?: number;
  /** ε (default 1e-8, PyTorch's) */
  eps?: number;
}

/** The wasm backend's internals we read (as src/core/nativeBlas.ts does). */
interface WasmInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

function wasmView(t: tf.Tensor): Float32Array | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as WasmInternals;
  const d = b.dataIdMap.get(t.dataId);
  if (!d) return null;
  return new Float32Array(b.wasm.HEAPU8.buffer, d.memoryOffset, t.size);
}

export class FusedAdam {
  readonly variables: tf.Variable[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** steps taken, t */
  t = 0;
  readonly m: Float32Array[];
  readonly v: Float32Array[];

  constructor(variables: tf.Variable[], cfg: AdamConfig) {
    this.variables = variables;
    this.lr = cfg.lr;
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.eps = cfg.eps ?? 1e-8;
    this.m = variables.map((v) => new Float32Array(v.size));
    this.v = variables.map((v) => new Float32Array(v.size));
  }

  /** Applies one Adam step with gradients in the variables' order. */
  step(grads: tf.Tensor[]): void {
    this.t++;
    const { beta1: b1, beta2: b2 } = this;
    const c2 = Math.sqrt(1 - b2 ** this.t);
    const lrT = (this.lr * c2) / (1 - b1 ** this.t); // α_t
    const epsT = this.eps * c2; // ε_t
    this.variables.forEach((variable, j) => {
      const gt = grads[j]!;
      const g = wasmView(gt) ?? (gt.dataSync() as Float32Array);
      const w = wasmView(variable) ?? (variable.dataSync() as Float32Array);
      const next = new Float32Array(w.length);
      const m = this.m[j]!;
      const v = this.v[j]!;
      for (let i = 0; i < next.length; i++) {
        const gi = g[i]!;
        const mi = (m[i] = b1 * m[i]! + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i]! + (1 - b2) * gi * gi);
        next[i] = w[i]! - (lrT * mi) / (Math.sqrt(vi) + epsT);
      }
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
    });
  }

  /** ∇ of f with respect to the variables, then one step. Returns f's value when `read`, else NaN. */
  minimize(f: () => tf.Scalar, read = false): number {
    const { value, grads } = tf.variableGrads(f, this.variables);
    const list = this.variables.map((v) => grads[v.name]!);
    this.step(list);
    const out = read ? value.dataSync()[0]! : Number.NaN;
    value.dispose();
    tf.dispose(list);
    return out;
  }

  /** Moments and step count as named arrays (prefix + "m.<i>", "v.<i>", "t"). */
  toTensors(prefix: string): Record<string, TensorToWrite> {
    const out: Record<string, TensorToWrite> = { [`${prefix}t`]: { dtype: 'F32', shape: [1], data: Float32Array.of(this.t) } };
    this.variables.forEach((v, i) => {
      out[`${prefix}m.${i}`] = { dtype: 'F32', shape: v.shape, data: this.m[i]! };
      out[`${prefix}v.${i}`] = { dtype: 'F32', shape: v.shape, data: this.v[i]! };
    });
    return out;
  }

  fromTensors(tensors: Map<string, NamedTensor>, prefix: string, source: string): void {
    const t = tensors.get(`${prefix}t`);
    if (!t) throw new CheckpointError(`${source} has no optimizer state "${prefix}t"`);
    this.t = t.data[0]!;
    this.variables.forEach((_, i) => {
      for (const [name, arr] of [[`${prefix}m.${i}`, this.m[i]!], [`${prefix}v.${i}`, this.v[i]!]] as const) {
        const s = tensors.get(name);
        if (!s || s.data.length !== arr.length) throw new CheckpointError(`${source}: optimizer state "${name}" is missing or has the wrong size (made with another config?)`);
        arr.set(s.data);
      }
    });
  }
}
