/**
 * REINFORCE Leave-One-Out (Kool et al. 2019; Ahmadian et al. 2024, "Back to Basics", arXiv:2402.14740), as TRL's
 * RLOOTrainer computes it (trl/trainer/rloo_trainer.py): k completions per prompt, each one's baseline is the mean
 * reward of the OTHER k − 1, and the KL to the reference goes into the reward (not into the loss, as GRPO does):
 *
 *   KL_i    = Σ_t m (log π_old(y_{i,t}) − log π_ref(y_{i,t}))        k1 per token, summed over the completion
 *   r'_i    = clip(r_i) − β · KL_i                                   (rewards clipped only with rewardClipRange)
 *   b_i     = (Σ_j r'_j − r'_i) / (k − 1)                            leave-one-out baseline within the group
 *   A_i     = r'_i − b_i                                             (normalizeAdvantages: (A − mean) / (std + 10⁻⁴) over the batch)
 *   ρ_i     = exp(Σ_t m log π_θ − Σ_t m log π_old)                   one ratio per SEQUENCE (its summed log-probs)
 *   L       = mean_i −min(ρ_i A_i, clip(ρ_i, 1 − ε_low, 1 + ε_high) A_i)
 *
 * With one pass over the batch in one minibatch ρ = 1 and the gradient is REINFORCE's, −A_i ∇ log π(y_i); with
 * minibatches (or μ > 1) the later ones are off-policy and the clip applies, exactly as in TRL. Pure functions:
 * typed arrays for the advantages, tensors for the loss; `rlooStep` runs the minibatches of one generation batch.
 */
import { tf } from '../core/tensor.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { clipAndApply, disposeGrads } from '../optim/gradients.js';
import type { GradientApplier } from '../optim/tensorAdam.js';
import { checkBoolean, checkNumber, mergeKnown } from './resolve.js';
import { packSequences } from './ppo.js';
import { tfMaskedMean } from './masked.js';
import type { LogprobForward } from './types.js';

/** RLOO hyperparameters, with TRL's names and defaults (trl/trainer/rloo_config.py). */
export interface RLOOConfig {
  /** k, completions sampled per prompt (TRL num_generations, 2) */
  numGenerations: number;
  /** β, weight of the sequence KL subtracted from the reward; 0 = no reference pass (TRL beta, 0.05) */
  beta: number;
  /** ε_low, lower clip of the sequence ratio (TRL epsilon, 0.2) */
  epsilon: number;
  /** ε_high, upper clip; null = ε_low (TRL epsilon_high, None) */
  epsilonHigh: number | null;
  /** whiten the advantages over the batch (TRL normalize_advantages, false) */
  normalizeAdvantages: boolean;
  /** clip rewards to [lo, hi] before the KL penalty; null = no clipping (TRL reward_clip_range, None) */
  rewardClipRange: [number, number] | null;
  /** μ, passes over each generation batch (TRL num_iterations, 1) */
  numIterations: number;
  /** completions per optimizer step (TRL per_device_train_batch_size, 8) */
  miniBatchSize: number;
  /** T: the policy is softmax(z / T) in sampling and in the loss (TRL temperature, 1.0) */
  temperature: number;
  /** α, for trainers that build the optimizer (TRL learning_rate, 1e-6) */
  learningRate: number;
  /** clip gradients to this global norm; null = no clipping (TRL max_grad_norm, 1.0) */
  maxGradNorm: number | null;
}

export const DEFAULT_RLOO_CONFIG: Readonly<RLOOConfig> = Object.freeze({
  numGenerations: 2,
  beta: 0.05,
  epsilon: 0.2,
  epsilonHigh: null,
  normalizeAdvantages: false,
  rewardClipRange: null,
  numIterations: 1,
  miniBatchSize: 8,
  temperature: 1,
  learningRate: 1e-6,
  maxGradNorm: 1,
});

/** Defaults + overrides, validated; ConfigError names the field. */
export function resolveRLOOConfig(overrides: Partial<RLOOConfig> | Record<string, unknown> = {}): RLOOConfig {
  const c = mergeKnown('RLOO', DEFAULT_RLOO_CONFIG as RLOOConfig, overrides as Record<string, unknown>);
  checkNumber('numGenerations', c.numGenerations, 2, 1e6, { integer: true });
  checkNumber('beta', c.beta, 0, Infinity, { hiOpen: true });
  checkNumber('epsilon', c.epsilon, 0, 1, { hiOpen: true });
  if (c.epsilonHigh !== null) checkNumber('epsilonHigh', c.epsilonHigh, 0, Infinity, { hiOpen: true });
  checkBoolean('normalizeAdvantages', c.normalizeAdvantages);
  if (c.rewardClipRange !== null) {
    const r = c.rewardClipRange;
    if (!Array.isArray(r) || r.length !== 2 || !(r[0] < r[1])) throw new ConfigError('rewardClipRange', `rewardClipRange must be [lo, hi] with lo < hi, got ${JSON.stringify(r)}`);
  }
  checkNumber('numIterations', c.numIterations, 1, 1000, { integer: true });
  checkNumber('miniBatchSize', c.miniBatchSize, 1, 1e7, { integer: true });
  checkNumber('temperature', c.temperature, 0, Infinity, { loOpen: true, hiOpen: true });
  checkNumber('learningRate', c.learningRate, 0, 1, { loOpen: true });
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Infinity, { loOpen: true });
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Advantages (typed arrays; rows are k consecutive completions of one prompt)
// ---------------------------------------------------------------------------------------------------------------

export interface RLOOAdvantages {
  /** [B] A_i */
  advantages: Float32Array;
  /** [B] r'_i, the reward after clipping and the KL penalty */
  rewards: Float32Array;
  /** [B] b_i, the leave-one-out baselines */
  baselines: Float32Array;
}

/**
 * Leave-one-out advantages (see the file comment). `rewards` [B] holds B/k groups of k consecutive completions;
 * `sequenceKl` [B] is KL_i = Σ_t m (log π_old − log π_ref), or null when β = 0.
 */
export function rlooAdvantages(rewards: ArrayLike<number>, sequenceKl: ArrayLike<number> | null, c: Pick<RLOOConfig, 'numGenerations' | 'beta' | 'normalizeAdvantages' | 'rewardClipRange'>): RLOOAdvantages {
  const B = rewards.length;
  const k = c.numGenerations;
  if (!(Number.isInteger(k) && k >= 2) || B % k !== 0) throw new ShapeError(`rlooAdvantages: ${B} rewards do not split into groups of k = ${k} (k ≥ 2)`);
  if (sequenceKl && sequenceKl.length !== B) throw new ShapeError(`rlooAdvantages: sequenceKl has ${sequenceKl.length} entries, expected ${B}`);
  if (c.beta !== 0 && !sequenceKl) throw new ShapeError('rlooAdvantages: β ≠ 0 needs the sequence KL');
  const r = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    let v = rewards[i]!;
    if (c.rewardClipRange) v = Math.min(c.rewardClipRange[1], Math.max(c.rewardClipRange[0], v));
    r[i] = sequenceKl && c.beta !== 0 ? v - c.beta * sequenceKl[i]! : v; // r' = r − β·KL
  }
  const baselines = new Float32Array(B);
  const advantages = new Float32Array(B);
  for (let g = 0; g < B / k; g++) {
    let sum = 0;
    for (let i = g * k; i < (g + 1) * k; i++) sum += r[i]!;
    for (let i = g * k; i < (g + 1) * k; i++) {
      baselines[i] = (sum - r[i]!) / (k - 1); // b_i = (Σ_j r'_j − r'_i) / (k − 1)
      advantages[i] = r[i]! - baselines[i]!; // A_i = r'_i − b_i
    }
  }
  if (c.normalizeAdvantages) {
    let mean = 0;
    for (const a of advantages) mean += a / B;
    let ss = 0;
    for (const a of advantages) ss += (a - mean) ** 2;
    const std = B > 1 ? Math.sqrt(ss / (B - 1)) : 0; // Bessel-corrected, as TRL's nanstd
    for (let i = 0; i < B; i++) advantages[i] = (advantages[i]! - mean) / (std + 1e-4);
  }
  return { advantages, rewards: r, baselines };
}

/** KL_i = Σ_t m (log π_old − log π_ref) for each of B completions of Tr tokens (k1, as TRL's RLOO). */
export function sequenceKl(logprobs: ArrayLike<number>, refLogprobs: ArrayLike<number>, mask: ArrayLike<number>, B: number, Tr: number): Float32Array {
  if (logprobs.length !== B * Tr || refLogprobs.length !== B * Tr || mask.length !== B * Tr) throw new ShapeError(`sequenceKl: arrays must have B·Tr = ${B * Tr} entries`);
  const out = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < Tr; t++) s += mask[b * Tr + t]! * (logprobs[b * Tr + t]! - refLogprobs[b * Tr + t]!);
    out[b] = s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The loss (tensors)
// ---------------------------------------------------------------------------------------------------------------

export interface RLOOLossInputs {
  /** [N] Σ_t m log π_θ of each completion (differentiable) */
  logps: tf.Tensor1D;
  /** [N] Σ_t m log π_old */
  oldLogps: tf.Tensor1D;
  /** [N] A_i */
  advantages: tf.Tensor1D;
}

export interface RLOOLossOutputs {
  /** L = mean_i −min(ρA, clip(ρ)A) */
  loss: tf.Scalar;
  /** share of sequences clipped at 1 − ε_low with A < 0 */
  clipLow: tf.Scalar;
  /** share clipped at 1 + ε_high with A > 0 */
  clipHigh: tf.Scalar;
  /** mean ρ */
  ratio: tf.Scalar;
}

/** The RLOO loss of one minibatch (the file comment has the equations). */
export function rlooLoss(x: RLOOLossInputs, c: Pick<RLOOConfig, 'epsilon' | 'epsilonHigh'>): RLOOLossOutputs {
  const N = x.logps.shape[0];
  if (x.oldLogps.shape[0] !== N || x.advantages.shape[0] !== N) throw new ShapeError(`rlooLoss: logps, oldLogps and advantages must all have N = ${N} entries`);
  const epsLow = c.epsilon;
  const epsHigh = c.epsilonHigh ?? c.epsilon;
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(x.logps, x.oldLogps)); // [N] ρ = π_θ(y)/π_old(y)
    const clipped = tf.clipByValue(ratio, 1 - epsLow, 1 + epsHigh); // [N]
    const perSeq = tf.neg(tf.minimum(tf.mul(ratio, x.advantages), tf.mul(clipped, x.advantages))); // [N]
    const out: RLOOLossOutputs = {
      loss: tf.mean(perSeq) as tf.Scalar,
      clipLow: tf.mean(tf.logicalAnd(tf.less(ratio, 1 - epsLow), tf.less(x.advantages, 0)).toFloat()) as tf.Scalar,
      clipHigh: tf.mean(tf.logicalAnd(tf.greater(ratio, 1 + epsHigh), tf.greater(x.advantages, 0)).toFloat()) as tf.Scalar,
      ratio: tf.mean(ratio) as tf.Scalar,
    };
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as RLOOLossOutputs;
}

// ---------------------------------------------------------------------------------------------------------------
// One step over a generation batch
// ---------------------------------------------------------------------------------------------------------------

/** A generation batch of B = (prompts × k) completions, rows grouped by prompt; row-major typed arrays. */
export interface RLOOBatch {
  batchSize: number;
  queryLength: number;
  responseLength: number;
  queries: Int32Array;
  queryMask: Float32Array;
  responses: Int32Array;
  responseMask: Float32Array;
  /** [B·Tr] log π_old of each completion token */
  logprobs: Float32Array;
  /** [B] A_i (rlooAdvantages) */
  advantages: Float32Array;
}

export interface RLOOStepContext {
  config: RLOOConfig;
  forward: LogprobForward;
  optimizer: GradientApplier;
  variables?: tf.Variable[];
  rng: Rng;
}

/**
 * One RLOO step: μ passes over the batch in shuffled minibatches, one clipped optimizer step each. Leaves no tensors
 * behind. Returns the means over minibatches.
 */
export function rlooStep(batch: RLOOBatch, ctx: RLOOStepContext): Record<string, number> {
  const B = batch.batchSize;
  const Tq = batch.queryLength;
  const Tr = batch.responseLength;
  for (const [name, a, n] of [['queries', batch.queries, B * Tq], ['queryMask', batch.queryMask, B * Tq], ['responses', batch.responses, B * Tr], ['responseMask', batch.responseMask, B * Tr], ['logprobs', batch.logprobs, B * Tr], ['advantages', batch.advantages, B]] as const)
    if (a.length !== n) throw new ShapeError(`RLOO batch: ${name} has ${a.length} entries, expected ${n} (B = ${B}, Tq = ${Tq}, Tr = ${Tr})`);
  const c = ctx.config;
  const oldSeq = new Float32Array(B);
  for (let b = 0; b < B; b++) for (let t = 0; t < Tr; t++) oldSeq[b]! += batch.responseMask[b * Tr + t]! * batch.logprobs[b * Tr + t]!; // Σ_t m log π_old
  const mb = Math.min(c.miniBatchSize, B);
  const sums: Record<string, number> = {};
  const add = (k: string, v: number): void => {
    sums[k] = (sums[k] ?? 0) + v;
  };
  let minibatches = 0;
  const order = Array.from({ length: B }, (_, i) => i);
  for (let it = 0; it < c.numIterations; it++) {
    ctx.rng.shuffle(order);
    for (let start = 0; start < B; start += mb) {
      const idx = order.slice(start, start + mb);
      const M = idx.length;
      const packed = packSequences(batch, idx);
      const ids = tf.tensor2d(packed.ids, [M, packed.T], 'int32');
      const attn = tf.tensor2d(packed.mask, [M, packed.T]);
      const maskRows = new Float32Array(M * Tr);
      idx.forEach((i, k) => maskRows.set(batch.responseMask.subarray(i * Tr, (i + 1) * Tr), k * Tr));
      const mask = tf.tensor2d(maskRows, [M, Tr]);
      const old = tf.tensor1d(Float32Array.from(idx, (i) => oldSeq[i]!));
      const adv = tf.tensor1d(Float32Array.from(idx, (i) => batch.advantages[i]!));
      let stats: tf.Tensor | undefined;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const out = ctx.forward(ids, attn, Tr);
          const lp = tf.slice(out.logprobs, [0, Tq], [M, Tr]) as tf.Tensor2D; // [M, Tr]
          const l = rlooLoss({ logps: tf.sum(tf.mul(lp, mask), 1) as tf.Tensor1D, oldLogps: old, advantages: adv }, c); // Σ_t m log π_θ
          const entropy = out.entropy ? tfMaskedMean(tf.slice(out.entropy, [0, Tq], [M, Tr]), mask) : tfMaskedMean(tf.neg(lp), mask);
          stats = tf.keep(tf.stack([l.loss, l.clipLow, l.clipHigh, l.ratio, entropy]));
          return l.loss;
        }, ctx.variables);
        value.dispose();
        const gradNorm = clipAndApply(ctx.optimizer, grads, c.maxGradNorm);
        disposeGrads(grads);
        const [loss, low, high, ratio, entropy] = Array.from(stats!.dataSync());
        add('loss/policy', loss!);
        add('policy/clip_ratio/low_mean', low!);
        add('policy/clip_ratio/high_mean', high!);
        add('policy/ratio', ratio!);
        add('policy/entropy', entropy!);
        add('policy/grad_norm', gradNorm);
        minibatches++;
      } finally {
        stats?.dispose();
        tf.dispose([ids, attn, mask, old, adv]);
      }
    }
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) out[k] = v / Math.max(1, minibatches);
  out['policy/minibatches'] = minibatches;
  return out;
}
