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
import { defineOptions } from '../../core/config/options.js';
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

/** The latent policy's options, each described once (flags, ranges, defaults, help; docs/digits.md). */
export const LATENT_POLICY_OPTIONS = defineOptions<LatentPolicyConfig>(
  'policy',
  [
    { key: 'options', type: 'int', min: 1, max: 1024, default: 16, metavar: 'K', symbol: 'K', help: 'codes (options) per class, K' },
    { key: 'sigma', type: 'number', min: 0, max: 10, default: 0.3, metavar: 'S', symbol: 'σ', help: 'exploration noise σ of z around the chosen code' },
    { key: 'lrLogits', type: 'number', min: 0, max: 100, default: 1.0, metavar: 'A', symbol: 'α_θ', help: 'step size α_θ of the option logits' },
    { key: 'lrCodes', type: 'number', min: 0, max: 1, default: 0.5, metavar: 'A', symbol: 'α_μ', help: 'step size α_μ of the codes (fraction of the way toward a rewarded z); 0 = logits only, as the seed' },
    { key: 'baselineDecay', type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.9, metavar: 'B', symbol: 'β', help: 'baseline decay β in b ← β b + (1 − β) r' },
    { key: 'baselineInit', flag: false, type: 'number', min: 0, max: 1, default: 0.5, symbol: 'b₀', help: 'baseline before any feedback, b₀' },
    { key: 'init', flag: 'policy-init', type: 'enum', choices: ['encoder', 'random'], default: 'encoder', metavar: 'encoder|random', help: "initial codes: posterior means of real examples, or 0.1·N(0, I) (the seed's)" },
  ],
  { section: 'latent policy', path: 'policy' },
);

export const DEFAULT_LATENT_POLICY: LatentPolicyConfig = LATENT_POLICY_OPTIONS.resolve();

/** Validates a (partial) policy config and fills defaults; errors name the flag and the option (policy.sigma). */
export function resolveLatentPolicyConfig(partial: Partial<LatentPolicyConfig> = {}): LatentPolicyConfig {
  return LATENT_POLICY_OPTIONS.resolve(partial);
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
