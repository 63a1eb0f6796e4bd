/**
 * A small multilayer perceptron on plain typed arrays, with hand-written backprop (its optimizer: src/optim's Adam).
 *
 * Why not tfjs: the reward models and policies of the small domains (line, adder) have a few hundred weights;
 * tensor dispatch costs ~3–6 µs per op, more than the arithmetic (bench/line.ts measures both). This MLP does a
 * forward + backward of a [64, 3] → 32 → 1 batch in a few microseconds, deterministically, and gives the
 * gradient with respect to its inputs too (the adder picks actions by gradient ascent on the reward).
 *
 *   h₀ = x;  zₗ = hₗ₋₁ Wₗ + bₗ;  hₗ = act(zₗ) for hidden layers, h_L = z_L (linear output)
 * Weights are Float32Array (as saved in checkpoints, so a resumed run is exact); sums run in float64. All weights sit
 * in one buffer (`flatParams`, the vector an Adam steps), and so do their gradients (`flatGrads`).
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
  /** every weight in one vector: W₁, b₁, W₂, b₂, … in that order */
  readonly flatParams: Float32Array;
  /** their gradients, same layout; backward() accumulates into them */
  readonly flatGrads: Float32Array;
  /** [W₁, b₁, W₂, b₂, …] as views into flatParams; Wₗ is [inₗ, outₗ] row-major */
  readonly params: Float32Array[];
  /** gradients, views into flatGrads with the layout of params */
  readonly grads: Float32Array[];
  /** forward cache for backward: activations hₗ (h₀ = input) and pre-activations zₗ, [n, widthₗ] */
  private hs: Float64Array[] = [];
  private zs: Float64Array[] = [];
  private n = 0;

  constructor(config: Partial<MlpConfig> & { sizes: number[] }, rng: Rng) {
    this.config = resolveMlpConfig(config);
    const { sizes, init, initStd } = this.config;
    let total = 0;
    for (let l = 0; l + 1 < sizes.length; l++) total += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
    this.flatParams = new Float32Array(total);
    this.flatGrads = new Float32Array(total);
    this.params = [];
    this.grads = [];
    let at = 0;
    const views = (n: number): [Float32Array, Float32Array] => {
      const v: [Float32Array, Float32Array] = [this.flatParams.subarray(at, at + n), this.flatGrads.subarray(at, at + n)];
      at += n;
      return v;
    };
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fin = sizes[l]!;
      const fout = sizes[l + 1]!;
      const [W, gW] = views(fin * fout);
      const [b, gb] = views(fout);
      if (init === 'glorot') {
        const lim = Math.sqrt(6 / (fin + fout));
        for (let i = 0; i < W.length; i++) W[i] = (2 * rng.uniform() - 1) * lim;
      } else {
        for (let i = 0; i < W.length; i++) W[i] = rng.normal(0, initStd);
        for (let i = 0; i < b.length; i++) b[i] = rng.normal(0, initStd);
      }
      this.params.push(W, b);
      this.grads.push(gW, gb);
    }
  }

  get inputSize(): number {
    return this.config.sizes[0]!;
  }

  get outputSize(): number {
    return this.config.sizes[this.config.sizes.length - 1]!;
  }

  get numParams(): number {
    return this.flatParams.length;
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
    this.flatGrads.fill(0);
  }

  /** Multiplies every gradient by s (e.g. 1/steps for a per-episode mean). */
  scaleGrad(s: number): void {
    const g = this.flatGrads;
    for (let i = 0; i < g.length; i++) g[i]! *= s;
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
    this.flatParams.set(other.flatParams);
  }
}
