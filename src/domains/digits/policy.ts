/**
 * Latent policy that steers the conditional VAE's generation from 👍/👎, one per class c:
 *   k ~ π_c = softmax(θ_c)                (K latent "options" per class)
 *   z = μ_{c,k} + σ ε,   ε ~ N(0, I)      (a Gaussian around the chosen option's code)
 *   image = decoder(z, c)
 * The reward is r = 1 for 👍, 0 for 👎. REINFORCE (src/policy/reinforce.ts) with a per-class moving-average baseline b_c:
 *   ∇J = E[(r − b_c) ∇ log π(k, z)],   log π(k, z) = log softmax(θ_c)_k + log N(z; μ_{c,k}, σ² I)
 * which gives two updates per judgement (A = r − b_c):
 *   θ_c     ← θ_c + α_θ A (e_k − π_c)            (∇_θ log softmax)
 *   μ_{c,k} ← μ_{c,k} + α_μ A (z − μ_{c,k})       (natural gradient of log N: Fisher σ⁻² cancels ∇ = (z − μ)/σ²)
 *   b_c     ← β b_c + (1 − β) r
 * Codes start at the encoder's posterior means μ_q(x, c) of K real examples of class c, so every option
 * decodes to a plausible image of that class from the first step (the seed's 0.1·randn codes all decode to
 * nearly the same blur, and only θ learned). Everything here is plain typed arrays: K·C is tiny.
 */
import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { tf } from '../../core/tensor.js';
import { MovingBaseline, softmaxReinforceGrad } from '../../policy/reinforce.js';
import { NUM_CLASSES, type Dataset, indicesOfClass, oneHot } from './data.js';
import type { CondVae } from './vae.js';

export interface LatentPolicyConfig {
  /** options (latent codes) per class, K. Default 16. */
  options: number;
  /** exploration noise σ of z around the chosen code. Default 0.3. */
  sigma: number;
  /** step size α_θ of the softmax logits. Default 1.0. */
  lrLogits: number;
  /** step size α_μ of the codes (natural-gradient units: fraction of the way toward a rewarded z). Default 0.5. */
  lrCodes: number;
  /** baseline decay β in b ← β b + (1 − β) r. Default 0.9. */
  baselineDecay: number;
  /** baseline before any feedback, b₀. Default 0.5. */
  baselineInit: number;
  /** where codes start: "encoder" (posterior means of real examples) or "random" (0.1·N(0, I), the seed's). Default "encoder". */
  init: 'encoder' | 'random';
}

export const DEFAULT_LATENT_POLICY: LatentPolicyConfig = {
  options: 16,
  sigma: 0.3,
  lrLogits: 1.0,
  lrCodes: 0.5,
  baselineDecay: 0.9,
  baselineInit: 0.5,
  init: 'encoder',
};

/** Validates a (partial) policy config and fills defaults; `prefix` names the options in errors. */
export function resolveLatentPolicyConfig(partial: Partial<LatentPolicyConfig> = {}, prefix = 'policy'): LatentPolicyConfig {
  const c = { ...DEFAULT_LATENT_POLICY, ...partial };
  for (const key of Object.keys(partial)) if (!(key in DEFAULT_LATENT_POLICY)) throw new ConfigError(`${prefix}.${key}`, `unknown option ${prefix}.${key}`);
  if (!(Number.isInteger(c.options) && c.options >= 1 && c.options <= 1024)) throw new ConfigError(`${prefix}.options`, `${prefix}.options must be an integer in 1..1024, got ${c.options}`);
  if (!(c.sigma >= 0 && c.sigma <= 10)) throw new ConfigError(`${prefix}.sigma`, `${prefix}.sigma must be in [0, 10], got ${c.sigma}`);
  if (!(c.lrLogits >= 0 && c.lrLogits <= 100)) throw new ConfigError(`${prefix}.lrLogits`, `${prefix}.lrLogits must be in [0, 100], got ${c.lrLogits}`);
  if (!(c.lrCodes >= 0 && c.lrCodes <= 1)) throw new ConfigError(`${prefix}.lrCodes`, `${prefix}.lrCodes must be in [0, 1], got ${c.lrCodes}`);
  if (!(c.baselineDecay >= 0 && c.baselineDecay < 1)) throw new ConfigError(`${prefix}.baselineDecay`, `${prefix}.baselineDecay must be in [0, 1), got ${c.baselineDecay}`);
  if (!(c.baselineInit >= 0 && c.baselineInit <= 1)) throw new ConfigError(`${prefix}.baselineInit`, `${prefix}.baselineInit must be in [0, 1], got ${c.baselineInit}`);
  if (c.init !== 'encoder' && c.init !== 'random') throw new ConfigError(`${prefix}.init`, `${prefix}.init must be "encoder" or "random", got ${String(c.init)}`);
  return c;
}

/** One draw from the policy. */
export interface LatentAction {
  cls: number;
  /** option index k */
  option: number;
  /** the latent z [zDim] */
  z: Float32Array;
  /** π_c(k) when drawn */
  prob: number;
}

export class LatentPolicy {
  readonly config: LatentPolicyConfig;
  readonly zDim: number;
  /** μ [C · K · zDim] */
  readonly codes: Float32Array;
  /** θ [C · K] */
  readonly logits: Float32Array;
  /** b [C] */
  readonly baseline: Float32Array;
  /** b_c ← b_c + (1 − β)(r − b_c), over `baseline` */
  private readonly baselines: MovingBaseline;
  /** judgements seen per class */
  readonly counts: Float32Array;

  constructor(config: LatentPolicyConfig, zDim: number) {
    this.config = config;
    this.zDim = zDim;
    const K = config.options;
    this.codes = new Float32Array(NUM_CLASSES * K * zDim);
    this.logits = new Float32Array(NUM_CLASSES * K);
    this.baseline = new Float32Array(NUM_CLASSES).fill(config.baselineInit);
    this.baselines = new MovingBaseline(1 - config.baselineDecay, this.baseline);
    this.counts = new Float32Array(NUM_CLASSES);
  }

  /**
   * A policy whose codes are the encoder's posterior means μ_q(x, c) for K random examples x of each class c
   * ("encoder" init), or 0.1·N(0, I) ("random", the seed's).
   */
  static create(config: LatentPolicyConfig, vae: CondVae, ds: Dataset, rng: Rng): LatentPolicy {
    const p = new LatentPolicy(config, vae.shape.zDim);
    const K = config.options;
    const Z = vae.shape.zDim;
    if (config.init === 'random') {
      p.codes.set(rng.normalArray(p.codes.length, 0.1));
      return p;
    }
    for (let c = 0; c < NUM_CLASSES; c++) {
      const members = indicesOfClass(ds, c);
      if (members.length === 0) throw new ConfigError('policy.init', `class ${c} has no training examples: cannot initialise its codes from the encoder (use policy.init "random")`);
      const pick = members.length >= K ? rng.sampleIndices(members.length, K).map((i) => members[i]!) : Array.from({ length: K }, () => members[rng.int(members.length)]!);
      const x = new Float32Array(K * ds.dim);
      pick.forEach((j, i) => x.set(ds.images.subarray(j * ds.dim, (j + 1) * ds.dim), i * ds.dim));
      const mu = tf.tidy(() => vae.encode(tf.tensor2d(x, [K, ds.dim]), tf.tensor2d(oneHot(new Array<number>(K).fill(c)), [K, NUM_CLASSES])).mu); // [K, zDim]
      p.codes.set(mu.dataSync() as Float32Array, c * K * Z);
      mu.dispose();
    }
    return p;
  }

  /** π_c = softmax(θ_c) (max-subtracted for stability). */
  probs(cls: number): Float64Array {
    const K = this.config.options;
    const out = new Float64Array(K);
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, this.logits[cls * K + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += out[k] = Math.exp(this.logits[cls * K + k]! - m);
    for (let k = 0; k < K; k++) out[k]! /= s;
    return out;
  }

  /** H(π_c) = −Σ π log π, in nats. */
  entropy(cls: number): number {
    let h = 0;
    for (const p of this.probs(cls)) if (p > 0) h -= p * Math.log(p);
    return h;
  }

  /** The code μ_{c,k} (a view into `codes`). */
  code(cls: number, option: number): Float32Array {
    const K = this.config.options;
    const at = (cls * K + option) * this.zDim;
    return this.codes.subarray(at, at + this.zDim);
  }

  /** Draws k ~ π_c and z = μ_{c,k} + σ ε. */
  sample(cls: number, rng: Rng): LatentAction {
    const pi = this.probs(cls);
    const option = rng.categorical(pi);
    const mu = this.code(cls, option);
    const z = new Float32Array(this.zDim);
    for (let j = 0; j < this.zDim; j++) z[j] = mu[j]! + this.config.sigma * rng.normal();
    return { cls, option, z, prob: pi[option]! };
  }

  /** The n most probable options of a class, best first. */
  top(cls: number, n: number): number[] {
    const pi = this.probs(cls);
    return Array.from(pi.keys())
      .sort((a, b) => pi[b]! - pi[a]! || a - b)
      .slice(0, n);
  }

  /**
   * REINFORCE update from one judgement (r = 1 for 👍, 0 for 👎) of action `a`. Returns the advantage A = r − b_c
   * (b_c before this judgement).
   */
  update(a: LatentAction, reward: number): number {
    const { cls, option, z } = a;
    const K = this.config.options;
    const { lrLogits, lrCodes } = this.config;
    const adv = reward - this.baselines.update(reward, cls); // A = r − b_c, then b_c ← β b_c + (1 − β) r
    const c = new Float64Array(K);
    c[option] = adv;
    const g = new Float64Array(K);
    softmaxReinforceGrad(c, this.probs(cls), 1, g); // ∂(−A log π(k))/∂θ_c = −A (e_k − π)
    for (let k = 0; k < K; k++) this.logits[cls * K + k]! -= lrLogits * g[k]!; // θ += α A (e_k − π)
    const mu = this.code(cls, option);
    for (let j = 0; j < this.zDim; j++) mu[j]! += lrCodes * adv * (z[j]! - mu[j]!); // μ += α_μ A (z − μ)
    this.counts[cls]!++;
    return adv;
  }
}
