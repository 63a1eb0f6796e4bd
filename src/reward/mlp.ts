/**
 * A small multilayer perceptron on plain typed arrays, with hand-written backprop and Adam.
 *
 * Why not tfjs: the reward models and policies of the small domains (line, adder) have a few hundred weights;
 * tensor dispatch costs ~3–6 µs per op, more than the arithmetic (bench/line.ts measures both). This MLP does a
 * forward + backward of a [64, 3] → 32 → 1 batch in a few microseconds, deterministically, and gives the
 * gradient with respect to its inputs too (the adder picks actions by gradient ascent on the reward).
 *
 *   h₀ = x;  zₗ = hₗ₋₁ Wₗ + bₗ;  hₗ = act(zₗ) for hidden layers, h_L = z_L (linear output)
 * Weights are Float32Array (as saved in checkpoints, so a resumed run is exact); sums run in float64.
 */
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { TensorToWrite, NamedTensor } from '../core/safetensors.js';

export const ACTIVATIONS = ['relu', 'leakyRelu', 'tanh'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface MlpConfig {
  /** layer widths, input first, output last: [3, 32, 1] is one hidden layer of 32 */
  sizes: number[];
  /** hidden-layer nonlinearity. Default 'relu'. */
  activation: Activation;
  /** negative slope of leakyRelu. Default 0.01 (PyTorch's). */
  leakySlope: number;
  /** weight init: 'glorot' = U(±sqrt(6/(in+out))) with zero biases (Keras Dense); 'normal' = N(0, initStd²) for weights and biases. */
  init: 'glorot' | 'normal';
  /** std of the 'normal' init. Default 0.1. */
  initStd: number;
}

export function resolveMlpConfig(c: Partial<MlpConfig> & { sizes: number[] }): MlpConfig {
  const r: MlpConfig = { activation: 'relu', leakySlope: 0.01, init: 'glorot', initStd: 0.1, ...c };
  if (r.sizes.length < 2 || !r.sizes.every((s) => Number.isInteger(s) && s >= 1))
    throw new ConfigError('sizes', `MLP layer sizes must be ≥ 2 positive integers (input … output), got ${JSON.stringify(r.sizes)}`);
  if (!(ACTIVATIONS as readonly string[]).includes(r.activation)) throw new ConfigError('activation', `activation must be one of ${ACTIVATIONS.join(', ')}, got "${r.activation}"`);
  return r;
}

export class Mlp {
  readonly config: MlpConfig;
  /** [W₁, b₁, W₂, b₂, …]; Wₗ is [inₗ, outₗ] row-major */
  readonly params: Float32Array[];
  /** gradients, same layout as params; backward() accumulates into them */
  readonly grads: Float32Array[];
  /** forward cache for backward: activations hₗ (h₀ = input) and pre-activations zₗ, [n, widthₗ] */
  private hs: Float64Array[] = [];
  private zs: Float64Array[] = [];
  private n = 0;

  constructor(config: Partial<MlpConfig> & { sizes: number[] }, rng: Rng) {
    this.config = resolveMlpConfig(config);
    const { sizes, init, initStd } = this.config;
    this.params = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fin = sizes[l]!;
      const fout = sizes[l + 1]!;
      const W = new Float32Array(fin * fout);
      const b = new Float32Array(fout);
      if (init === 'glorot') {
        const lim = Math.sqrt(6 / (fin + fout));
        for (let i = 0; i < W.length; i++) W[i] = (2 * rng.uniform() - 1) * lim;
      } else {
        for (let i = 0; i < W.length; i++) W[i] = rng.normal(0, initStd);
        for (let i = 0; i < b.length; i++) b[i] = rng.normal(0, initStd);
      }
      this.params.push(W, b);
    }
    this.grads = this.params.map((p) => new Float32Array(p.length));
  }

  get inputSize(): number {
    return this.config.sizes[0]!;
  }

  get outputSize(): number {
    return this.config.sizes[this.config.sizes.length - 1]!;
  }

  get numParams(): number {
    return this.params.reduce((s, p) => s + p.length, 0);
  }

  private act(z: number): number {
    switch (this.config.activation) {
      case 'relu':
        return z > 0 ? z : 0;
      case 'leakyRelu':
        return z > 0 ? z : this.config.leakySlope * z;
      case 'tanh':
        return Math.tanh(z);
    }
  }

  /** act′(z), given z and h = act(z) */
  private dAct(z: number, h: number): number {
    switch (this.config.activation) {
      case 'relu':
        return z > 0 ? 1 : 0;
      case 'leakyRelu':
        return z > 0 ? 1 : this.config.leakySlope;
      case 'tanh':
        return 1 - h * h;
    }
  }

  /** y = MLP(x) for a batch: x [n, in] → y [n, out]. Keeps the activations for one backward(). */
  forward(x: ArrayLike<number>, n: number): Float64Array {
    const sizes = this.config.sizes;
    if (x.length !== n * sizes[0]!) throw new ShapeError(`MLP input has ${x.length} values, expected n × in = ${n} × ${sizes[0]}`);
    this.n = n;
    let h = Float64Array.from(x as ArrayLike<number>);
    this.hs = [h];
    this.zs = [];
    const L = sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const fin = sizes[l]!;
      const fout = sizes[l + 1]!;
      const W = this.params[2 * l]!;
      const b = this.params[2 * l + 1]!;
      const z = new Float64Array(n * fout); // [n, out]
      for (let r = 0; r < n; r++) {
        const zo = r * fout;
        for (let j = 0; j < fout; j++) z[zo + j] = b[j]!;
        const ho = r * fin;
        for (let i = 0; i < fin; i++) {
          const hv = h[ho + i]!;
          if (hv === 0) continue;
          const wo = i * fout;
          for (let j = 0; j < fout; j++) z[zo + j]! += hv * W[wo + j]!; // zₗ = hₗ₋₁ Wₗ + bₗ
        }
      }
      this.zs.push(z);
      if (l < L - 1) {
        const a = new Float64Array(z.length);
        for (let i = 0; i < z.length; i++) a[i] = this.act(z[i]!);
        h = a;
      } else {
        h = z; // linear output
      }
      this.hs.push(h);
    }
    return h;
  }

  /** Forward without touching the backward cache (for evaluation between forward and backward). */
  predict(x: ArrayLike<number>, n: number): Float64Array {
    const { hs, zs, n: nn } = this;
    const y = this.forward(x, n);
    this.hs = hs;
    this.zs = zs;
    this.n = nn;
    return y;
  }

  /**
   * Backprop of the last forward(): given dLoss/dy [n, out], ADDS dLoss/dθ into `grads` and returns dLoss/dx [n, in].
   *   δ_L = dy;  dWₗ += hₗ₋₁ᵀ δₗ;  dbₗ += Σ_rows δₗ;  δₗ₋₁ = (δₗ Wₗᵀ) ⊙ act′(zₗ₋₁)
   */
  backward(dy: ArrayLike<number>): Float64Array {
    const sizes = this.config.sizes;
    const n = this.n;
    const L = sizes.length - 1;
    if (this.hs.length !== L + 1) throw new ShapeError('MLP.backward() needs a forward() first');
    if (dy.length !== n * sizes[L]!) throw new ShapeError(`MLP.backward got ${dy.length} output gradients, expected ${n} × ${sizes[L]}`);
    let delta = Float64Array.from(dy as ArrayLike<number>); // [n, out_l]
    for (let l = L - 1; l >= 0; l--) {
      const fin = sizes[l]!;
      const fout = sizes[l + 1]!;
      const W = this.params[2 * l]!;
      const gW = this.grads[2 * l]!;
      const gb = this.grads[2 * l + 1]!;
      const hPrev = this.hs[l]!;
      const dPrev = new Float64Array(n * fin);
      for (let r = 0; r < n; r++) {
        const dOff = r * fout;
        const hOff = r * fin;
        for (let j = 0; j < fout; j++) gb[j]! += delta[dOff + j]!;
        for (let i = 0; i < fin; i++) {
          const hv = hPrev[hOff + i]!;
          const wo = i * fout;
          let acc = 0;
          for (let j = 0; j < fout; j++) {
            const d = delta[dOff + j]!;
            gW[wo + j]! += hv * d;
            acc += d * W[wo + j]!;
          }
          dPrev[hOff + i] = acc;
        }
      }
      if (l > 0) {
        const zPrev = this.zs[l - 1]!;
        for (let i = 0; i < dPrev.length; i++) dPrev[i]! *= this.dAct(zPrev[i]!, hPrev[i]!);
      }
      delta = dPrev;
    }
    return delta;
  }

  zeroGrad(): void {
    for (const g of this.grads) g.fill(0);
  }

  /** Multiplies every gradient by s (e.g. 1/steps for a per-episode mean). */
  scaleGrad(s: number): void {
    for (const g of this.grads) for (let i = 0; i < g.length; i++) g[i]! *= s;
  }

  /** Weights as named arrays for a checkpoint: `${prefix}.W0`, `${prefix}.b0`, … */
  toArrays(prefix: string): Record<string, TensorToWrite> {
    const out: Record<string, TensorToWrite> = {};
    const sizes = this.config.sizes;
    for (let l = 0; l + 1 < sizes.length; l++) {
      out[`${prefix}.W${l}`] = { shape: [sizes[l]!, sizes[l + 1]!], data: this.params[2 * l]!.slice() };
      out[`${prefix}.b${l}`] = { shape: [sizes[l + 1]!], data: this.params[2 * l + 1]!.slice() };
    }
    return out;
  }

  fromArrays(prefix: string, arrays: Map<string, NamedTensor>): void {
    const sizes = this.config.sizes;
    for (let l = 0; l + 1 < sizes.length; l++) {
      for (const [name, idx] of [
        [`${prefix}.W${l}`, 2 * l],
        [`${prefix}.b${l}`, 2 * l + 1],
      ] as const) {
        const t = arrays.get(name);
        const p = this.params[idx]!;
        if (!t || t.data.length !== p.length) throw new ShapeError(`checkpoint array "${name}" is missing or has ${t?.data.length ?? 0} values, expected ${p.length}`);
        p.set(t.data);
      }
    }
  }

  /** Copies another MLP's weights (same sizes). */
  copyFrom(other: Mlp): void {
    if (JSON.stringify(other.config.sizes) !== JSON.stringify(this.config.sizes)) throw new ShapeError('copyFrom: MLP sizes differ');
    other.params.forEach((p, i) => this.params[i]!.set(p));
  }
}

/** Clamps every gradient element to [−c, c] (the seed's per-episode clipping). */
export function clipGradByValue(grads: Float32Array[], c: number): void {
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = Math.max(-c, Math.min(c, g[i]!));
}

/** Scales gradients so their global L2 norm is at most c; returns the norm before clipping. */
export function clipGradByNorm(grads: Float32Array[], c: number): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  const norm = Math.sqrt(s);
  if (norm > c && norm > 0) {
    const k = c / norm;
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i]! *= k;
  }
  return norm;
}

export interface AdamConfig {
  /** α, step size */
  lr: number;
  /** β₁. Default 0.9. */
  beta1: number;
  /** β₂. Default 0.999. */
  beta2: number;
  /** ε. Default 1e-8 (Keras uses 1e-7). */
  eps: number;
}

/**
 * Adam (Kingma & Ba 2015):  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − α m̂ / (√v̂ + ε),
 * m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
 */
export class Adam {
  readonly config: AdamConfig;
  private m: Float32Array[];
  private v: Float32Array[];
  private t = 0;

  constructor(
    private readonly params: Float32Array[],
    config: Partial<AdamConfig> & { lr: number },
  ) {
    this.config = { beta1: 0.9, beta2: 0.999, eps: 1e-8, ...config };
    if (!(this.config.lr > 0)) throw new ConfigError('lr', `Adam learning rate must be > 0, got ${this.config.lr}`);
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  step(grads: Float32Array[], lr = this.config.lr): void {
    const { beta1, beta2, eps } = this.config;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!;
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * gi;
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
        p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    }
  }

  /** Moments and step count for a checkpoint. */
  toArrays(prefix: string): Record<string, TensorToWrite> {
    const out: Record<string, TensorToWrite> = { [`${prefix}.t`]: { shape: [1], data: Int32Array.of(this.t) } };
    this.m.forEach((m, k) => (out[`${prefix}.m${k}`] = { shape: [m.length], data: m.slice() }));
    this.v.forEach((v, k) => (out[`${prefix}.v${k}`] = { shape: [v.length], data: v.slice() }));
    return out;
  }

  fromArrays(prefix: string, arrays: Map<string, NamedTensor>): void {
    const t = arrays.get(`${prefix}.t`);
    if (!t) throw new ShapeError(`checkpoint lacks "${prefix}.t"`);
    this.t = t.data[0]!;
    for (const [name, list] of [
      ['m', this.m],
      ['v', this.v],
    ] as const)
      list.forEach((arr, k) => {
        const a = arrays.get(`${prefix}.${name}${k}`);
        if (!a || a.data.length !== arr.length) throw new ShapeError(`checkpoint array "${prefix}.${name}${k}" is missing or has the wrong size`);
        arr.set(a.data);
      });
  }
}
