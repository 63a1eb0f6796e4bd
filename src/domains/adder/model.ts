/**
 * Reward models of the adder, r(s, x) for a state s = (a, b) and an action x (the proposed answer), and the
 * greedy action: gradient ascent of r over x.
 *
 *   linear  r = θ₁ f₁ + θ₂ f₂,  z = a + b − x,
 *           f₁ = 1 − k|z|  (the seed's piecewise-linear 1 ± k·z, k = 0.1),  f₂ = sigmoid(z)  (the seed's sigmoid)
 *   mlp     r = MLP(a/c, b/c, x/c)  (c = input scale, so the inputs are O(1))
 */
import type { Rng } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import { ShapeError } from '../../core/errors.js';
import { sigmoid } from '../../core/math.js';
import { Mlp, type Activation } from '../../reward/mlp.js';

export interface AdderRewardModel {
  /** every weight in one vector (what Adam steps) */
  readonly flatParams: Float32Array;
  /** their gradients, same layout; backward() accumulates into them */
  readonly flatGrads: Float32Array;
  /** r for a batch (keeps what backward needs) */
  forward(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array;
  /** r without touching the backward cache */
  predict(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array;
  /** adds ∂L/∂θ for the last forward, given ∂L/∂r */
  backward(dr: ArrayLike<number>): void;
  /** ∂r/∂x for a batch */
  gradX(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array;
  zeroGrad(): void;
  toArrays(prefix: string): Record<string, TensorToWrite>;
  fromArrays(prefix: string, arrays: Map<string, NamedTensor>): void;
}

/** The seed's 2-parameter model: r = θ₁ (1 − k|z|) + θ₂ sigmoid(z), z = a + b − x; θ starts at 0 as in the seed. */
export class LinearFeatureReward implements AdderRewardModel {
  /** θ = (θ₁, θ₂) */
  readonly flatParams = new Float32Array(2);
  readonly flatGrads = new Float32Array(2);
  private cache: { f1: Float64Array; f2: Float64Array } | undefined;
  constructor(readonly slope: number) {}

  private features(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>) {
    const n = x.length;
    const f1 = new Float64Array(n);
    const f2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const z = a[i]! + b[i]! - x[i]!;
      f1[i] = 1 - this.slope * Math.abs(z); // 1 ± k z
      f2[i] = sigmoid(z);
    }
    return { f1, f2 };
  }

  predict(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    const { f1, f2 } = this.features(a, b, x);
    const [t1, t2] = this.flatParams;
    return f1.map((v, i) => t1! * v + t2! * f2[i]!);
  }

  forward(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    this.cache = this.features(a, b, x);
    return this.predict(a, b, x);
  }

  backward(dr: ArrayLike<number>): void {
    if (!this.cache || this.cache.f1.length !== dr.length) throw new ShapeError('LinearFeatureReward.backward needs a matching forward()');
    const g = this.flatGrads;
    for (let i = 0; i < dr.length; i++) {
      g[0]! += dr[i]! * this.cache.f1[i]!; // ∂r/∂θ₁ = f₁
      g[1]! += dr[i]! * this.cache.f2[i]!; // ∂r/∂θ₂ = f₂
    }
  }

  /** ∂r/∂x = θ₁ k sign(z) − θ₂ σ(z)(1 − σ(z))   (∂z/∂x = −1; the kink's subgradient at z = 0 is 0) */
  gradX(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    const [t1, t2] = this.flatParams;
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const z = a[i]! + b[i]! - x[i]!;
      const s = sigmoid(z);
      out[i] = t1! * this.slope * Math.sign(z) - t2! * s * (1 - s);
    }
    return out;
  }

  zeroGrad(): void {
    this.flatGrads.fill(0);
  }

  toArrays(prefix: string): Record<string, TensorToWrite> {
    return { [`${prefix}.theta`]: { shape: [2], data: this.flatParams.slice() } };
  }

  fromArrays(prefix: string, arrays: Map<string, NamedTensor>): void {
    const t = arrays.get(`${prefix}.theta`);
    if (!t || t.data.length !== 2) throw new ShapeError(`checkpoint array "${prefix}.theta" is missing`);
    this.flatParams.set(t.data);
  }
}

/** An MLP on (a, b, x) scaled by 1/c. */
export class MlpReward implements AdderRewardModel {
  readonly net: Mlp;
  constructor(
    hidden: number[],
    activation: Activation,
    init: { kind: 'glorot' } | { kind: 'normal'; std: number },
    readonly inputScale: number,
    rng: Rng,
  ) {
    this.net = new Mlp({ sizes: [3, ...hidden, 1], activation, init: init.kind, ...(init.kind === 'normal' ? { initStd: init.std } : {}) }, rng);
  }

  get flatParams(): Float32Array {
    return this.net.flatParams;
  }

  get flatGrads(): Float32Array {
    return this.net.flatGrads;
  }

  private inputs(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    const n = x.length;
    const c = this.inputScale;
    const X = new Float64Array(3 * n); // [n, 3]
    for (let i = 0; i < n; i++) {
      X[3 * i] = a[i]! / c;
      X[3 * i + 1] = b[i]! / c;
      X[3 * i + 2] = x[i]! / c;
    }
    return X;
  }

  forward(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    return this.net.forward(this.inputs(a, b, x), x.length);
  }

  predict(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    return this.net.predict(this.inputs(a, b, x), x.length);
  }

  backward(dr: ArrayLike<number>): void {
    this.net.backward(dr);
  }

  /** ∂r/∂x = (1/c) ∂MLP/∂x̃ from the network's input gradient; the weight gradients are left untouched. */
  gradX(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    const n = x.length;
    const saved = this.net.flatGrads.slice();
    this.net.forward(this.inputs(a, b, x), n);
    const dX = this.net.backward(new Float64Array(n).fill(1));
    this.net.flatGrads.set(saved);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = dX[3 * i + 2]! / this.inputScale;
    return out;
  }

  zeroGrad(): void {
    this.net.zeroGrad();
  }

  toArrays(prefix: string): Record<string, TensorToWrite> {
    return this.net.toArrays(prefix);
  }

  fromArrays(prefix: string, arrays: Map<string, NamedTensor>): void {
    this.net.fromArrays(prefix, arrays);
  }
}

export interface AscentOptions {
  /** 'rprop': step sizes adapt per state (×1.2 while the gradient keeps its sign, ×0.5 when it flips), so the
   * ascent lands on a kink instead of oscillating across it; 'fixed': x ← x + η ∂r/∂x (the seed) */
  method: 'rprop' | 'fixed';
  /** η (fixed) or the initial step size (rprop) */
  lr: number;
  steps: number;
  /** starting action */
  init: number;
  /** actions are kept in [lo, hi] */
  lo: number;
  hi: number;
}

/**
 * Greedy actions x* = argmaxₓ r̄(s, x) by gradient ascent, for a batch of states at once;
 * r̄ is the mean of the given models (an ensemble's mean reward).
 */
export function greedyActions(models: AdderRewardModel[], a: ArrayLike<number>, b: ArrayLike<number>, o: AscentOptions): Float64Array {
  const n = a.length;
  const x = new Float64Array(n).fill(o.init);
  const step = new Float64Array(n).fill(o.lr);
  const prev = new Float64Array(n);
  for (let t = 0; t < o.steps; t++) {
    const g = new Float64Array(n);
    for (const m of models) {
      const gm = m.gradX(a, b, x);
      for (let i = 0; i < n; i++) g[i]! += gm[i]! / models.length;
    }
    for (let i = 0; i < n; i++) {
      if (o.method === 'fixed') {
        x[i]! += o.lr * g[i]!; // x ← x + η ∂r/∂x
      } else {
        const s = Math.sign(g[i]!);
        if (s * prev[i]! < 0) step[i]! *= 0.5;
        else if (s * prev[i]! > 0) step[i]! *= 1.2;
        x[i]! += s * step[i]!;
        prev[i] = s;
      }
      x[i] = Math.min(o.hi, Math.max(o.lo, x[i]!));
    }
  }
  return x;
}
