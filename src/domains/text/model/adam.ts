/**
 * Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) as ONE pass per variable in plain JS:
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) − lr·λ·θ
 * tfjs's AdamOptimizer runs ~13 tensor ops per variable, each a full pass over memory; for GPT-2 small (124 M
 * parameters) that is ~6 GB of traffic per step. Here the moments live in JS Float32Arrays (not on the wasm heap),
 * gradients and weights are read in place from the wasm heap, and the new weights are written straight into a
 * freshly allocated tensor that the variable is assigned to (tensors stay immutable; clones stay valid).
 * Any backend works; on non-wasm backends the values go through dataSync / tf.tensor.
 *
 * It is a tf.Optimizer: pass it wherever one is expected (minimize, applyGradients, the PPO/DPO steps).
 */
import { tf } from '../../../core/tensor.js';
import { ConfigError } from '../../../core/errors.js';

export interface FusedAdamConfig {
  /** learning rate (mutable between steps, e.g. for a schedule); default 1e-3 */
  learningRate: number;
  /** β₁, β₂; default 0.9, 0.999 */
  beta1: number;
  beta2: number;
  /** ε; default 1e-8 (torch's default) */
  epsilon: number;
  /** decoupled weight decay λ (AdamW); default 0 */
  weightDecay: number;
}

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

export class FusedAdam extends tf.Optimizer {
  static get className(): string {
    return 'FusedAdam';
  }
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  weightDecay: number;
  private t = 0;
  private readonly slots = new Map<string, { m: Float32Array; v: Float32Array }>();

  constructor(cfg: Partial<FusedAdamConfig> = {}) {
    super();
    this.learningRate = cfg.learningRate ?? 1e-3;
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.epsilon = cfg.epsilon ?? 1e-8;
    this.weightDecay = cfg.weightDecay ?? 0;
    if (!(this.learningRate > 0)) throw new ConfigError('learningRate', `learning rate must be > 0, got ${this.learningRate}`);
    for (const [k, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const)
      if (!(b >= 0 && b < 1)) throw new ConfigError(k, `${k} must be in [0, 1), got ${b}`);
    if (!(this.epsilon > 0)) throw new ConfigError('epsilon', `epsilon must be > 0, got ${this.epsilon}`);
    if (!(this.weightDecay >= 0)) throw new ConfigError('weightDecay', `weight decay must be ≥ 0, got ${this.weightDecay}`);
  }

  applyGradients(variableGradients: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const list = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const lr = this.learningRate;
    const decay = 1 - lr * this.weightDecay;
    const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as HeapBackend) : null;
    const engine = tf.engine();
    for (const { name, tensor: grad } of list) {
      if (grad == null) continue;
      const variable = engine.registeredVariables[name];
      if (!variable) throw new ConfigError('variables', `FusedAdam: no variable named ${name}`);
      const n = variable.size;
      let slot = this.slots.get(name);
      if (!slot) this.slots.set(name, (slot = { m: new Float32Array(n), v: new Float32Array(n) }));
      const { m, v } = slot;
      let outInfo: tf.TensorInfo | null = null;
      let p: Float32Array;
      let g: Float32Array;
      let out: Float32Array;
      if (wasm) {
        outInfo = wasm.makeOutput(variable.shape, 'float32');
        // views after the allocation (it may grow and detach the heap)
        p = wasm.typedArrayFromHeap(variable);
        g = wasm.typedArrayFromHeap(grad);
        out = wasm.typedArrayFromHeap(outInfo);
      } else {
        p = variable.dataSync() as Float32Array;
        g = grad.dataSync() as Float32Array;
        out = new Float32Array(n);
      }
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi; // m ← β₁m + (1−β₁)g
        const vi = b2 * v[i]! + (1 - b2) * gi * gi; // v ← β₂v + (1−β₂)g²
        m[i] = mi;
        v[i] = vi;
        out[i] = p[i]! * decay - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
      }
      const next = outInfo ? engine.makeTensorFromTensorInfo(outInfo) : tf.tensor(out, variable.shape, 'float32');
      variable.assign(next);
      next.dispose();
    }
    this.incrementIterations();
  }

  /** Frees the moment buffers. */
  override dispose(): void {
    this.slots.clear();
    super.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  /** Moments and step count as plain arrays (for checkpoints). */
  state(): { t: number; slots: Map<string, { m: Float32Array; v: Float32Array }> } {
    return { t: this.t, slots: this.slots };
  }
}
