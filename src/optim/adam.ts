/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), written once:
 *
 *   m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   θ ← θ (1 − α λ) − α m̂ / (√v̂ + ε),
 *   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
 *
 * `adamUpdate` is the one loop over the numbers. It serves `Adam` below (one parameter vector in a typed array: the
 * tabular gridworld reward, the line's and adder's MLPs) and `TensorAdam` (tensor.ts: tfjs variables, read and
 * written through the wasm heap). The whole state is (m, v, t): the bias corrections are computed in double
 * precision from the integer t, and m, v are Float32Arrays, so a checkpoint stores the state exactly and a resumed
 * run continues bit for bit.
 *
 * This module loads no tfjs: tfjs-free domains (line, adder, the gridworld's tabular fit) and the browser import it.
 */
import { CheckpointError, ConfigError, ShapeError } from '../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../core/safetensors.js';

/**
 * How the float32-stored moments enter the update:
 * - 'float64': the new m and v are computed in double precision and used as computed; only the stored copies are
 *   rounded to float32 (one pass, nothing read back). The tensor Adam, the gridworld's tabular fit.
 * - 'float32': the moments are float32 numbers: the new m and v are rounded to float32 before the update uses them
 *   (as in a float32 PyTorch Adam, whose moments are float32 tensors). The typed-array MLPs of the line and adder.
 * The two differ in the last bits only; each domain keeps the one it was tuned (and its metrics recorded) with.
 */
export const ADAM_PRECISIONS = ['float64', 'float32'] as const;
export type AdamPrecision = (typeof ADAM_PRECISIONS)[number];

export interface AdamConfig {
  /** α, the step size (every user chooses one; no default) */
  lr: number;
  /** β₁, the decay of the first moment m. Default 0.9 (PyTorch's). */
  beta1: number;
  /** β₂, the decay of the second moment v. Default 0.999 (PyTorch's). */
  beta2: number;
  /** ε, added to √v̂. Default 1e-8 (PyTorch's; Keras uses 1e-7). */
  eps: number;
  /** λ, decoupled weight decay (AdamW): θ ← θ(1 − αλ) before the Adam step. Default 0 (plain Adam). */
  weightDecay: number;
  /** how the float32-stored moments enter the update (see ADAM_PRECISIONS). Default 'float64'. */
  precision: AdamPrecision;
}

export const DEFAULT_ADAM_CONFIG: Readonly<Omit<AdamConfig, 'lr'>> = Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, precision: 'float64' });

/** Defaults + overrides, validated (ConfigError names the field). */
export function resolveAdamConfig(c: Partial<AdamConfig> & { lr: number }): AdamConfig {
  const r: AdamConfig = { ...DEFAULT_ADAM_CONFIG, ...c };
  if (!(r.lr > 0 && Number.isFinite(r.lr))) throw new ConfigError('lr', `Adam learning rate must be a finite number > 0, got ${r.lr}`);
  for (const k of ['beta1', 'beta2'] as const)
    if (!(r[k] >= 0 && r[k] < 1)) throw new ConfigError(k, `Adam ${k === 'beta1' ? 'β₁' : 'β₂'} must be in [0, 1), got ${r[k]}`);
  if (!(r.eps > 0)) throw new ConfigError('eps', `Adam ε must be > 0, got ${r.eps}`);
  if (!(r.weightDecay >= 0 && Number.isFinite(r.weightDecay))) throw new ConfigError('weightDecay', `weight decay λ must be ≥ 0, got ${r.weightDecay}`);
  if (!(ADAM_PRECISIONS as readonly string[]).includes(r.precision)) throw new ConfigError('precision', `Adam precision must be one of ${ADAM_PRECISIONS.join(', ')}, got "${String(r.precision)}"`);
  return r;
}

/** The per-step constants of one update: α, β₁, β₂, ε, the bias corrections 1 − βᵗ and the decay factor 1 − αλ. */
export interface AdamStepConstants {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 − β₁ᵗ */
  bc1: number;
  /** 1 − β₂ᵗ */
  bc2: number;
  /** 1 − αλ (exactly 1 without weight decay, so θ·1 = θ) */
  decay: number;
  precision: AdamPrecision;
}

/** The constants of step t (t ≥ 1) at step size lr; bias corrections in double precision from t alone. */
export function adamStepConstants(c: AdamConfig, t: number, lr: number, weightDecay = c.weightDecay): AdamStepConstants {
  return { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, bc1: 1 - c.beta1 ** t, bc2: 1 - c.beta2 ** t, decay: 1 - lr * weightDecay, precision: c.precision };
}

/**
 * One Adam step over n numbers: reads θ (`theta`) and g, updates m and v in place, writes the new θ into `out`
 * (which may be `theta` itself):
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ(1 − αλ) − α (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 */
export function adamUpdate(theta: ArrayLike<number>, grad: ArrayLike<number>, m: Float32Array, v: Float32Array, out: Float32Array | Float64Array, k: AdamStepConstants): void {
  const { lr, beta1: b1, beta2: b2, eps, bc1, bc2, decay } = k;
  const n = m.length;
  if (k.precision === 'float32') {
    for (let i = 0; i < n; i++) {
      const gi = grad[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      out[i] = theta[i]! * decay - (lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + eps); // m, v as stored (float32)
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gi = grad[i]!;
      const mi = b1 * m[i]! + (1 - b1) * gi; // m ← β₁m + (1−β₁)g, in double precision
      const vi = b2 * v[i]! + (1 - b2) * gi * gi; // v ← β₂v + (1−β₂)g²
      m[i] = mi;
      v[i] = vi;
      out[i] = theta[i]! * decay - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
    }
  }
}

/** Adam's whole state: the step count t and the moments m, v of each parameter array (by position). */
export interface AdamState {
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** The state as named arrays for a checkpoint (safetensors): `<prefix>.t` (I32), `<prefix>.m<i>`, `<prefix>.v<i>` (F32). */
export function adamStateToArrays(prefix: string, s: AdamState, shapes: number[][] = s.m.map((a) => [a.length])): Record<string, TensorToWrite> {
  const out: Record<string, TensorToWrite> = { [`${prefix}.t`]: { shape: [1], data: Int32Array.of(s.t), dtype: 'I32' } };
  s.m.forEach((a, i) => (out[`${prefix}.m${i}`] = { shape: shapes[i]!, data: a.slice() }));
  s.v.forEach((a, i) => (out[`${prefix}.v${i}`] = { shape: shapes[i]!, data: a.slice() }));
  return out;
}

/** Reads adamStateToArrays' arrays back into `into` (sizes must match); `source` names the file in errors. */
export function adamStateFromArrays(prefix: string, arrays: ReadonlyMap<string, Pick<NamedTensor, 'data'>>, into: AdamState, source = 'checkpoint'): void {
  const t = arrays.get(`${prefix}.t`);
  if (!t) throw new CheckpointError(`${source} has no optimizer state "${prefix}.t": it was written by another model or version`);
  for (const [name, list] of [
    ['m', into.m],
    ['v', into.v],
  ] as const)
    list.forEach((arr, i) => {
      const a = arrays.get(`${prefix}.${name}${i}`);
      if (!a || a.data.length !== arr.length)
        throw new CheckpointError(`${source}: optimizer state "${prefix}.${name}${i}" is ${a ? `${a.data.length} values, expected ${arr.length}` : 'missing'} (made with another config?)`);
      arr.set(a.data);
    });
  into.t = t.data[0]!;
}

/**
 * Adam for one parameter vector in a typed array (a model with several arrays keeps them in one buffer, as Mlp
 * does). Moments m, v are float32, θ may be float32 or float64, the gradient any array of numbers.
 */
export class Adam {
  readonly config: AdamConfig;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** steps taken */
  t = 0;

  constructor(
    readonly size: number,
    config: Partial<AdamConfig> & { lr: number },
  ) {
    if (!(Number.isInteger(size) && size >= 0)) throw new ShapeError(`Adam: size must be an integer ≥ 0, got ${size}`);
    this.config = resolveAdamConfig(config);
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One step: θ ← Adam(θ, g) in place, at step size `lr` (default config.lr: pass one for a schedule). */
  step(theta: Float32Array | Float64Array, grad: ArrayLike<number>, lr = this.config.lr): void {
    if (theta.length !== this.size || grad.length !== this.size) throw new ShapeError(`Adam of size ${this.size} got ${theta.length} parameters and ${grad.length} gradients`);
    this.t += 1;
    adamUpdate(theta, grad, this.m, this.v, theta, adamStepConstants(this.config, this.t, lr));
  }

  state(): AdamState {
    return { t: this.t, m: [this.m], v: [this.v] };
  }

  /** Moments and step count for a checkpoint (`<prefix>.t`, `<prefix>.m0`, `<prefix>.v0`). */
  toArrays(prefix: string): Record<string, TensorToWrite> {
    return adamStateToArrays(prefix, this.state());
  }

  fromArrays(prefix: string, arrays: ReadonlyMap<string, Pick<NamedTensor, 'data'>>, source?: string): void {
    const s = this.state();
    adamStateFromArrays(prefix, arrays, s, source);
    this.t = s.t;
  }
}
