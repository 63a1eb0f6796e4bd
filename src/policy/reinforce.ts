/**
 * REINFORCE with a baseline (Williams 1992), reusable by any domain whose policy gives differentiable
 * log-probabilities of the actions it took (line, digits, text):
 *   ∇J = E[(R − b) ∇ log π(a|s)],   b a moving average of R (variance reduction; the gradient stays unbiased)
 * The loss minimised is L = −mean_i[(R_i − b_i) · log π(a_i|s_i)], the advantages held constant.
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import { checkBoolean, checkNumber, mergeKnown } from './resolve.js';
import { gradientStep } from './clip.js';
import { maskedMean, maskedVar } from './masked.js';

export interface ReinforceConfig {
  /** learning rate, for trainers that build the optimizer */
  learningRate: number;
  /** d ∈ [0, 1): b ← d·b + (1 − d)·mean(R); 0 = the batch mean itself */
  baselineDecay: number;
  /** clip gradients to this global norm; null = no clipping */
  maxGradNorm: number | null;
  /** divide the advantages (R − b) by their standard deviation over the batch */
  normalizeAdvantages: boolean;
}

export const DEFAULT_REINFORCE_CONFIG: Readonly<ReinforceConfig> = Object.freeze({
  learningRate: 1e-2,
  baselineDecay: 0.9,
  maxGradNorm: null,
  normalizeAdvantages: false,
});

export function resolveReinforceConfig(overrides: Partial<ReinforceConfig> | Record<string, unknown> = {}): ReinforceConfig {
  const c = mergeKnown('REINFORCE', DEFAULT_REINFORCE_CONFIG as ReinforceConfig, overrides as Record<string, unknown>);
  checkNumber('learningRate', c.learningRate, 0, Infinity, { loOpen: true, hiOpen: true });
  checkNumber('baselineDecay', c.baselineDecay, 0, 1, { hiOpen: true });
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Infinity, { loOpen: true });
  checkBoolean('normalizeAdvantages', c.normalizeAdvantages);
  return c;
}

/**
 * Exponential moving average of returns: b ← d·b + (1 − d)·mean(R). Without an initial value the first update
 * sets b to the batch mean (no bias toward 0 at the start).
 */
export class MovingAverageBaseline {
  private v: number;
  private started: boolean;
  constructor(
    readonly decay = 0.9,
    initial?: number,
  ) {
    checkNumber('baselineDecay', decay, 0, 1, { hiOpen: true });
    this.v = initial ?? 0;
    this.started = initial !== undefined;
  }

  get value(): number {
    return this.v;
  }

  /** Folds in a batch of returns; returns the new baseline. */
  update(returns: ArrayLike<number> | number): number {
    const m = typeof returns === 'number' ? returns : maskedMean(returns);
    if (typeof returns !== 'number' && returns.length === 0) return this.v;
    this.v = this.started ? this.decay * this.v + (1 - this.decay) * m : m; // b ← d b + (1 − d) R̄
    this.started = true;
    return this.v;
  }

  state(): { value: number; started: boolean } {
    return { value: this.v, started: this.started };
  }

  setState(s: { value: number; started: boolean }): void {
    this.v = s.value;
    this.started = s.started;
  }
}

/** One moving-average baseline per key (e.g. per class in the digits domain). */
export class KeyedBaseline {
  private readonly baselines: MovingAverageBaseline[];
  constructor(keys: number, decay = 0.9) {
    this.baselines = Array.from({ length: keys }, () => new MovingAverageBaseline(decay));
  }

  get(key: number): number {
    return this.at(key).value;
  }

  /** Baselines for a batch: b_i = b[key_i]. */
  values(keys: ArrayLike<number>): Float32Array {
    return Float32Array.from({ length: keys.length }, (_, i) => this.get(keys[i]!));
  }

  /** Updates each key's baseline with the mean return of its entries in the batch. */
  update(keys: ArrayLike<number>, returns: ArrayLike<number>): void {
    if (keys.length !== returns.length) throw new ShapeError(`KeyedBaseline.update: ${keys.length} keys but ${returns.length} returns`);
    const groups = new Map<number, number[]>();
    for (let i = 0; i < keys.length; i++) {
      const g = groups.get(keys[i]!) ?? [];
      g.push(returns[i]!);
      groups.set(keys[i]!, g);
    }
    for (const [k, rs] of groups) this.at(k).update(rs);
  }

  state(): Array<{ value: number; started: boolean }> {
    return this.baselines.map((b) => b.state());
  }

  setState(s: Array<{ value: number; started: boolean }>): void {
    s.forEach((x, i) => this.at(i).setState(x));
  }

  private at(key: number): MovingAverageBaseline {
    const b = this.baselines[key];
    if (!b) throw new ShapeError(`KeyedBaseline: key ${key} out of range [0, ${this.baselines.length})`);
    return b;
  }
}

/** Advantages R_i − b_i (b a number or one per entry), optionally divided by their standard deviation. */
export function reinforceAdvantages(returns: ArrayLike<number>, baseline: number | ArrayLike<number>, normalize = false): Float32Array {
  if (typeof baseline !== 'number' && baseline.length !== returns.length) {
    throw new ShapeError(`reinforce: ${returns.length} returns but ${baseline.length} baselines`);
  }
  const a = Float32Array.from({ length: returns.length }, (_, i) => returns[i]! - (typeof baseline === 'number' ? baseline : baseline[i]!)); // R − b
  if (normalize && a.length > 1) {
    const std = Math.sqrt(maskedVar(a) + 1e-8);
    for (let i = 0; i < a.length; i++) a[i] = a[i]! / std;
  }
  return a;
}

/** L = −mean_i[A_i · log π(a_i|s_i)]; its gradient is −E[(R − b) ∇ log π]. */
export function reinforceLoss(logprobs: tf.Tensor1D, advantages: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.mul(advantages, logprobs))) as tf.Scalar);
}

/**
 * One REINFORCE update.
 * @param logprobs builds [N] log π(a_i|s_i) (summed over an episode's steps) inside the gradient scope
 * @param returns  [N] R_i
 * @param baseline b (a number, or [N] per-entry baselines); update your baseline after the step
 */
export function reinforceStep(args: {
  logprobs: () => tf.Tensor1D;
  returns: ArrayLike<number>;
  baseline: number | ArrayLike<number>;
  optimizer: tf.Optimizer;
  variables?: tf.Variable[];
  maxGradNorm?: number | null;
  normalizeAdvantages?: boolean;
}): { loss: number; gradNorm: number; meanAdvantage: number } {
  const adv = reinforceAdvantages(args.returns, args.baseline, args.normalizeAdvantages ?? false);
  const advT = tf.tensor1d(adv);
  try {
    const { loss, gradNorm } = gradientStep(
      () => {
        const lp = args.logprobs(); // [N]
        if (lp.shape[0] !== adv.length) throw new ShapeError(`reinforce: logprobs has ${lp.shape[0]} entries, returns ${adv.length}`);
        return reinforceLoss(lp, advT);
      },
      args.optimizer,
      { variables: args.variables, maxGradNorm: args.maxGradNorm ?? null },
    );
    return { loss, gradNorm, meanAdvantage: maskedMean(adv) };
  } finally {
    advT.dispose();
  }
}
