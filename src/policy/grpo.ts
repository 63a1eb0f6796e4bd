/**
 * Group Relative Policy Optimization (Shao et al. 2024, "DeepSeekMath", arXiv:2402.03300), as TRL's GRPOTrainer
 * computes it (trl/trainer/grpo_trainer.py, `_generate_and_score_completions` and `_compute_loss`): no value model —
 * each prompt gets G completions, and a completion's advantage is its reward measured against its group's.
 *
 *   A_i     = (r_i − mean_g r) / (std_g r + 10⁻⁴)                 scale_rewards "group" (std with Bessel's correction);
 *                                                                 "batch": the batch's std; "none": no division
 *   ρ_{i,t} = exp(log π_θ(y_{i,t}) − log π_old(y_{i,t}))          token level; "sequence": exp of the masked mean (GSPO)
 *   ℓ_{i,t} = −min(ρ A_i, clip(ρ, 1 − ε_low, 1 + ε_high) A_i)      (ρ first capped at δ when `delta` is set)
 *           + β · (exp(log π_ref − log π_θ) − (log π_ref − log π_θ) − 1)     k3 estimate of KL(π_θ ‖ π_ref) (β ≠ 0)
 *   L       = Σ_{i,t} m ℓ / normaliser:
 *             grpo     per-sequence token mean, then the mean over sequences: mean_i(Σ_t m ℓ / Σ_t m)
 *             bnpo     Σ m ℓ / Σ m over the minibatch
 *             dr_grpo  Σ m ℓ / (N · max_completion_length)                      (Liu et al. 2025, "Dr. GRPO")
 *             dapo     Σ m ℓ / (active tokens of the whole generation batch)   (Yu et al. 2025, "DAPO"; TRL's default)
 *
 * TRL's default loss is "dapo" (trl/trainer/grpo_config.py), and so is ours. The functions here are pure: typed
 * arrays for the advantages, tensors for the loss; `grpoStep` runs the minibatches of one generation batch.
 * The KL estimator: joschu.net/blog/kl-approx.html.
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { clipAndApply, disposeGrads } from '../optim/gradients.js';
import type { GradientApplier } from '../optim/tensorAdam.js';
import { checkChoice, checkNumber, mergeKnown } from './resolve.js';
import { packSequences } from './ppo.js';
import { tfMaskedMean } from './masked.js';
import type { LogprobForward } from './types.js';

export const GRPO_LOSS_TYPES = ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const;
export type GRPOLossType = (typeof GRPO_LOSS_TYPES)[number];
export const SCALE_REWARDS = ['group', 'batch', 'none'] as const;
export type ScaleRewards = (typeof SCALE_REWARDS)[number];
export const IMPORTANCE_SAMPLING_LEVELS = ['token', 'sequence'] as const;
export type ImportanceSamplingLevel = (typeof IMPORTANCE_SAMPLING_LEVELS)[number];

/** GRPO hyperparameters, with TRL's names and defaults (trl/trainer/grpo_config.py). */
export interface GRPOConfig {
  /** G, completions sampled per prompt (TRL num_generations, 8) */
  numGenerations: number;
  /** β, weight of the k3 KL to the reference; 0 = no reference pass (TRL beta, 0.0) */
  beta: number;
  /** ε_low, lower clip: ρ ≥ 1 − ε_low (TRL epsilon, 0.2) */
  epsilon: number;
  /** ε_high, upper clip: ρ ≤ 1 + ε_high; null = ε_low (TRL epsilon_high, None; DAPO uses 0.28) */
  epsilonHigh: number | null;
  /** δ, two-sided GRPO: the unclipped ratio is capped at δ; null = off (TRL delta, None; INTELLECT-2) */
  delta: number | null;
  /** how token losses are aggregated (see the file comment) (TRL loss_type, "dapo") */
  lossType: GRPOLossType;
  /** std used to scale A: per group, over the batch, or none (Dr. GRPO) (TRL scale_rewards, "group") */
  scaleRewards: ScaleRewards;
  /** ρ per token, or one ρ per sequence from the mean log-ratio (GSPO) (TRL importance_sampling_level, "token") */
  importanceSamplingLevel: ImportanceSamplingLevel;
  /** μ, passes over each generation batch (TRL num_iterations, 1) */
  numIterations: number;
  /** completions per optimizer step (TRL per_device_train_batch_size, 8) */
  miniBatchSize: number;
  /** the constant of the dr_grpo normaliser (TRL max_completion_length, 512) */
  maxCompletionLength: number;
  /** T: the policy is softmax(z / T) in sampling and in the loss (TRL temperature, 1.0) */
  temperature: number;
  /** α, for trainers that build the optimizer (TRL learning_rate, 1e-6) */
  learningRate: number;
  /** clip gradients to this global norm; null = no clipping (TRL max_grad_norm, 1.0) */
  maxGradNorm: number | null;
}

export const DEFAULT_GRPO_CONFIG: Readonly<GRPOConfig> = Object.freeze({
  numGenerations: 8,
  beta: 0,
  epsilon: 0.2,
  epsilonHigh: null,
  delta: null,
  lossType: 'dapo',
  scaleRewards: 'group',
  importanceSamplingLevel: 'token',
  numIterations: 1,
  miniBatchSize: 8,
  maxCompletionLength: 512,
  temperature: 1,
  learningRate: 1e-6,
  maxGradNorm: 1,
});

/** Defaults + overrides, validated: unknown keys and out-of-range values throw ConfigError naming the field. */
export function resolveGRPOConfig(overrides: Partial<GRPOConfig> | Record<string, unknown> = {}): GRPOConfig {
  const c = mergeKnown('GRPO', DEFAULT_GRPO_CONFIG as GRPOConfig, overrides as Record<string, unknown>);
  checkNumber('numGenerations', c.numGenerations, 2, 1e6, { integer: true });
  checkNumber('beta', c.beta, 0, Infinity, { hiOpen: true });
  checkNumber('epsilon', c.epsilon, 0, 1, { hiOpen: true });
  if (c.epsilonHigh !== null) checkNumber('epsilonHigh', c.epsilonHigh, 0, Infinity, { hiOpen: true });
  if (c.delta !== null) checkNumber('delta', c.delta, 1, Infinity, { loOpen: true, hiOpen: true });
  checkChoice('lossType', c.lossType, GRPO_LOSS_TYPES);
  checkChoice('scaleRewards', c.scaleRewards, SCALE_REWARDS);
  checkChoice('importanceSamplingLevel', c.importanceSamplingLevel, IMPORTANCE_SAMPLING_LEVELS);
  checkNumber('numIterations', c.numIterations, 1, 1000, { integer: true });
  checkNumber('miniBatchSize', c.miniBatchSize, 1, 1e7, { integer: true });
  checkNumber('maxCompletionLength', c.maxCompletionLength, 1, 1e7, { integer: true });
  checkNumber('temperature', c.temperature, 0, Infinity, { loOpen: true, hiOpen: true });
  checkNumber('learningRate', c.learningRate, 0, 1, { loOpen: true });
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Infinity, { loOpen: true });
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Advantages (typed arrays; rows are G consecutive completions of one prompt)
// ---------------------------------------------------------------------------------------------------------------

export interface GroupAdvantages {
  /** [B] A_i */
  advantages: Float32Array;
  /** [B/G] mean reward of each group */
  groupMean: Float32Array;
  /** [B/G] std of each group's rewards (Bessel-corrected) */
  groupStd: Float32Array;
  /** share of groups whose rewards are all equal (std 0: no signal; TRL frac_reward_zero_std) */
  fracZeroStd: number;
}

/** Mean and Bessel-corrected std of a[lo..hi) (torch.std's default; TRL's nanstd). */
function meanStd(a: ArrayLike<number>, lo: number, hi: number): [number, number] {
  const n = hi - lo;
  let s = 0;
  for (let i = lo; i < hi; i++) s += a[i]!;
  const mean = s / n;
  let ss = 0;
  for (let i = lo; i < hi; i++) ss += (a[i]! - mean) ** 2;
  return [mean, n > 1 ? Math.sqrt(ss / (n - 1)) : 0];
}

/**
 * Group-relative advantages: A_i = r_i − mean_g r, divided by (std + 10⁻⁴) of the group ("group") or of the whole
 * batch ("batch"), or not divided ("none"). `rewards` [B] holds B/G groups of G consecutive completions.
 */
export function groupAdvantages(rewards: ArrayLike<number>, G: number, scale: ScaleRewards = 'group'): GroupAdvantages {
  const B = rewards.length;
  if (!(Number.isInteger(G) && G >= 1) || B % G !== 0) throw new ShapeError(`groupAdvantages: ${B} rewards do not split into groups of G = ${G}`);
  const groups = B / G;
  const groupMean = new Float32Array(groups);
  const groupStd = new Float32Array(groups);
  const [, batchStd] = meanStd(rewards, 0, B);
  const advantages = new Float32Array(B);
  let zero = 0;
  for (let g = 0; g < groups; g++) {
    const [mean, std] = meanStd(rewards, g * G, (g + 1) * G);
    groupMean[g] = mean;
    groupStd[g] = std;
    if (Math.abs(std) < 1e-8) zero++;
    const denom = scale === 'group' ? std + 1e-4 : scale === 'batch' ? batchStd + 1e-4 : 1;
    for (let i = g * G; i < (g + 1) * G; i++) advantages[i] = (rewards[i]! - mean) / denom; // A_i = (r_i − mean_g) / (std + 10⁻⁴)
  }
  return { advantages, groupMean, groupStd, fracZeroStd: groups > 0 ? zero / groups : 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// The loss (tensors)
// ---------------------------------------------------------------------------------------------------------------

export interface GRPOLossInputs {
  /** [N, T] log π_θ of the completion tokens (differentiable) */
  logprobs: tf.Tensor2D;
  /** [N, T] log π_old, from the policy that sampled them */
  oldLogprobs: tf.Tensor2D;
  /** [N, T] log π_ref, or null (β = 0) */
  refLogprobs: tf.Tensor2D | null;
  /** [N] A_i */
  advantages: tf.Tensor1D;
  /** [N, T] 1 on completion tokens (up to and including the end token) */
  mask: tf.Tensor2D;
  /** dapo's normaliser: active completion tokens of the whole generation batch (≥ 1) */
  numItemsInBatch?: number;
  /**
   * when these rows are a micro-batch of a larger minibatch (gradient accumulation): the minibatch's row count (grpo,
   * dr_grpo divide by it) and active token count (bnpo), so that the micro-batches' losses sum to the minibatch's.
   * Default: these rows are the minibatch.
   */
  minibatch?: { rows: number; tokens: number };
}

export interface GRPOLossOutputs {
  /** L, the aggregated loss */
  loss: tf.Scalar;
  /** masked mean of the per-token k3 KL (0 without a reference) */
  kl: tf.Scalar;
  /** share of tokens clipped at 1 − ε_low with A < 0 (TRL clip_ratio/low_mean) */
  clipLow: tf.Scalar;
  /** share of tokens clipped at 1 + ε_high with A > 0 (TRL clip_ratio/high_mean) */
  clipHigh: tf.Scalar;
  /** share clipped either way (TRL clip_ratio/region_mean) */
  clipRegion: tf.Scalar;
  /** masked mean of ρ */
  ratio: tf.Scalar;
}

/** The GRPO loss of one minibatch (the file comment has the equations). */
export function grpoLoss(x: GRPOLossInputs, c: Pick<GRPOConfig, 'beta' | 'epsilon' | 'epsilonHigh' | 'delta' | 'lossType' | 'importanceSamplingLevel' | 'maxCompletionLength'>): GRPOLossOutputs {
  const [N, T] = x.logprobs.shape;
  for (const [name, t] of [['oldLogprobs', x.oldLogprobs], ['mask', x.mask], ['refLogprobs', x.refLogprobs]] as const)
    if (t && (t.shape[0] !== N || t.shape[1] !== T)) throw new ShapeError(`grpoLoss: ${name} is [${t.shape}], expected [${N}, ${T}] like logprobs`);
  if (x.advantages.shape[0] !== N) throw new ShapeError(`grpoLoss: advantages has ${x.advantages.shape[0]} entries, expected N = ${N}`);
  if (c.beta !== 0 && !x.refLogprobs) throw new ShapeError('grpoLoss: β ≠ 0 needs refLogprobs (the reference policy)');
  const epsLow = c.epsilon;
  const epsHigh = c.epsilonHigh ?? c.epsilon;
  return tf.tidy(() => {
    const m = x.mask;
    const A = tf.reshape(x.advantages, [N, 1]); // [N, 1]
    const logRatio = tf.sub(x.logprobs, x.oldLogprobs); // [N, T]
    // token level: one weight per token; sequence level (GSPO): exp of the masked mean log-ratio, [N, 1]
    const logW = c.importanceSamplingLevel === 'token' ? logRatio : tf.div(tf.sum(tf.mul(logRatio, m), 1, true), tf.maximum(tf.sum(m, 1, true), 1));
    const coef1 = tf.exp(logW); // ρ
    const coef2 = tf.clipByValue(coef1, 1 - epsLow, 1 + epsHigh); // clip(ρ, 1 − ε_low, 1 + ε_high)
    const capped = c.delta !== null ? tf.minimum(coef1, c.delta) : coef1; // two-sided: min(ρ, δ)
    let perToken: tf.Tensor = tf.neg(tf.minimum(tf.mul(capped, A), tf.mul(coef2, A))); // [N, T] or [N, 1] → broadcast below
    perToken = tf.add(perToken, tf.zerosLike(x.logprobs)); // [N, T]
    let kl: tf.Tensor = tf.zerosLike(x.logprobs);
    if (x.refLogprobs) {
      const d = tf.sub(x.refLogprobs, x.logprobs); // log π_ref − log π_θ
      kl = tf.sub(tf.sub(tf.exp(d), d), 1); // [N, T] k3: e^d − d − 1 ≥ 0
      if (c.beta !== 0) perToken = tf.add(perToken, tf.mul(c.beta, kl)); // ℓ + β·KL
    }
    const masked = tf.mul(perToken, m); // [N, T]
    const rows = x.minibatch?.rows ?? N;
    let loss: tf.Scalar;
    switch (c.lossType) {
      case 'grpo':
        loss = tf.div(tf.sum(tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(m, 1), 1))), rows) as tf.Scalar; // mean_i Σ_t mℓ / Σ_t m
        break;
      case 'bnpo':
        loss = tf.div(tf.sum(masked), x.minibatch ? Math.max(x.minibatch.tokens, 1) : tf.maximum(tf.sum(m), 1)) as tf.Scalar; // Σ mℓ / Σ m
        break;
      case 'dr_grpo':
        loss = tf.div(tf.sum(masked), rows * c.maxCompletionLength) as tf.Scalar; // Σ mℓ / (N · L_max)
        break;
      case 'dapo': {
        const items = x.numItemsInBatch;
        if (items === undefined) throw new ShapeError('grpoLoss: loss type "dapo" needs numItemsInBatch (active tokens of the generation batch)');
        loss = tf.div(tf.sum(masked), Math.max(items, 1)) as tf.Scalar; // Σ mℓ / tokens of the generation batch
        break;
      }
    }
    // diagnostics (TRL's clip ratios: the clip is active where it binds the objective)
    const rho = tf.add(coef1, tf.zerosLike(x.logprobs)); // [N, T]
    const low = tf.logicalAnd(tf.less(rho, 1 - epsLow), tf.less(A, 0)).toFloat();
    const high = tf.logicalAnd(tf.greater(rho, 1 + epsHigh), tf.greater(A, 0)).toFloat();
    const out: GRPOLossOutputs = {
      loss,
      kl: tfMaskedMean(kl, m),
      clipLow: tfMaskedMean(low, m),
      clipHigh: tfMaskedMean(high, m),
      clipRegion: tfMaskedMean(tf.maximum(low, high), m),
      ratio: tfMaskedMean(rho, m),
    };
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as GRPOLossOutputs;
}

// ---------------------------------------------------------------------------------------------------------------
// One step over a generation batch
// ---------------------------------------------------------------------------------------------------------------

/** A generation batch of B = (prompts × G) completions, rows grouped by prompt; row-major typed arrays. */
export interface GRPOBatch {
  batchSize: number;
  queryLength: number;
  responseLength: number;
  /** [B·Tq] prompt ids, left-padded */
  queries: Int32Array;
  /** [B·Tq] 1 on prompt tokens */
  queryMask: Float32Array;
  /** [B·Tr] completion ids */
  responses: Int32Array;
  /** [B·Tr] 1 on completion tokens up to and including the end token */
  responseMask: Float32Array;
  /** [B·Tr] log π_old of each completion token (scored after sampling, before this step) */
  logprobs: Float32Array;
  /** [B·Tr] log π_ref, or null when β = 0 */
  refLogprobs: Float32Array | null;
  /** [B] A_i (groupAdvantages) */
  advantages: Float32Array;
}

export interface GRPOStepContext {
  config: GRPOConfig;
  /**
   * rows per forward/backward pass (gradient accumulation within a minibatch; default miniBatchSize): a memory knob,
   * not a hyperparameter — the micro-batches' gradients sum to the minibatch's, and one optimizer step follows
   */
  microBatchSize?: number;
  /** the policy being trained: log π_θ (softmax(z/T), the temperature applied), optionally the entropy */
  forward: LogprobForward;
  optimizer: GradientApplier;
  /** variables to train (default: every trainable variable) */
  variables?: tf.Variable[];
  /** shuffles the minibatches */
  rng: Rng;
}

/** Namespaced metrics of one GRPO step (docs/algorithms.md lists every key). */
export type GRPOStats = Record<string, number>;

function rowsOf(a: Float32Array, idx: ArrayLike<number>, width: number): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let k = 0; k < idx.length; k++) out.set(a.subarray(idx[k]! * width, (idx[k]! + 1) * width), k * width);
  return out;
}

function checkBatch(b: GRPOBatch, what: string): void {
  const B = b.batchSize;
  const Tq = b.queryLength;
  const Tr = b.responseLength;
  const want: Array<[string, ArrayLike<number> | null, number]> = [
    ['queries', b.queries, B * Tq],
    ['queryMask', b.queryMask, B * Tq],
    ['responses', b.responses, B * Tr],
    ['responseMask', b.responseMask, B * Tr],
    ['logprobs', b.logprobs, B * Tr],
    ['refLogprobs', b.refLogprobs, B * Tr],
    ['advantages', b.advantages, B],
  ];
  for (const [name, a, n] of want)
    if (a && a.length !== n) throw new ShapeError(`${what}: ${name} has ${a.length} entries, expected ${n} (B = ${B}, Tq = ${Tq}, Tr = ${Tr})`);
}

/**
 * One GRPO step: μ = numIterations passes over the generation batch, each shuffled into minibatches of
 * miniBatchSize completions, one clipped optimizer step per minibatch. Leaves no tensors behind (the optimizer's own
 * state aside). Returns the means over minibatches.
 */
export function grpoStep(batch: GRPOBatch, ctx: GRPOStepContext): GRPOStats {
  checkBatch(batch, 'GRPO batch');
  const c = ctx.config;
  if (c.beta !== 0 && !batch.refLogprobs) throw new ShapeError('GRPO batch: β ≠ 0 needs refLogprobs');
  const B = batch.batchSize;
  const Tq = batch.queryLength;
  const Tr = batch.responseLength;
  let numItems = 0;
  for (let i = 0; i < B * Tr; i++) numItems += batch.responseMask[i]!; // dapo: active tokens of the whole batch
  const mb = Math.min(c.miniBatchSize, B);
  const micro = Math.min(ctx.microBatchSize ?? mb, mb);
  const sums: Record<string, number> = {};
  const add = (k: string, v: number): void => {
    sums[k] = (sums[k] ?? 0) + v;
  };
  let minibatches = 0;
  const order = Array.from({ length: B }, (_, i) => i);
  for (let it = 0; it < c.numIterations; it++) {
    ctx.rng.shuffle(order);
    for (let start = 0; start < B; start += mb) {
      const rowsOfMb = order.slice(start, start + mb);
      let tokens = 0;
      for (const i of rowsOfMb) for (let t = 0; t < Tr; t++) tokens += batch.responseMask[i * Tr + t]!;
      // 1. gradients of each micro-batch, summed: ∇L = Σ_micro ∇L_micro (the normalisers are the minibatch's)
      let acc: tf.NamedTensorMap | null = null;
      const stat = new Float64Array(7); // the loss, then token-weighted: kl, clip low/high/region, ratio, entropy
      try {
        for (let ms = 0; ms < rowsOfMb.length; ms += micro) {
          const idx = rowsOfMb.slice(ms, ms + micro);
          const M = idx.length;
          const packed = packSequences(batch, idx);
          const ids = tf.tensor2d(packed.ids, [M, packed.T], 'int32');
          const attn = tf.tensor2d(packed.mask, [M, packed.T]);
          const maskRows = rowsOf(batch.responseMask, idx, Tr);
          const mask = tf.tensor2d(maskRows, [M, Tr]);
          const old = tf.tensor2d(rowsOf(batch.logprobs, idx, Tr), [M, Tr]);
          const ref = batch.refLogprobs ? tf.tensor2d(rowsOf(batch.refLogprobs, idx, Tr), [M, Tr]) : null;
          const adv = tf.tensor1d(Float32Array.from(idx, (i) => batch.advantages[i]!));
          let stats: tf.Tensor | undefined;
          try {
            const lossFn = (): tf.Scalar => {
              const out = ctx.forward(ids, attn, Tr);
              const lp = tf.slice(out.logprobs, [0, Tq], [M, Tr]) as tf.Tensor2D; // [M, Tr]
              const l = grpoLoss({ logprobs: lp, oldLogprobs: old, refLogprobs: ref, advantages: adv, mask, numItemsInBatch: numItems, minibatch: { rows: rowsOfMb.length, tokens } }, c);
              const entropy = out.entropy ? tfMaskedMean(tf.slice(out.entropy, [0, Tq], [M, Tr]), mask) : tfMaskedMean(tf.neg(lp), mask); // H, or its one-sample estimate
              stats = tf.keep(tf.stack([l.loss, l.kl, l.clipLow, l.clipHigh, l.clipRegion, l.ratio, entropy]));
              return l.loss;
            };
            const { value, grads } = tf.variableGrads(lossFn, ctx.variables);
            value.dispose();
            if (!acc) acc = grads;
            else {
              const sum: tf.NamedTensorMap = acc;
              for (const [k, g] of Object.entries(grads)) {
                const prev = sum[k];
                sum[k] = prev ? tf.add(prev, g) : g;
                if (prev) {
                  prev.dispose();
                  g.dispose();
                }
              }
            }
            const s = stats!.dataSync();
            let n = 0;
            for (const v of maskRows) n += v;
            const w = tokens > 0 ? n / tokens : 0; // the micro-batch's share of the minibatch's tokens
            stat[0]! += s[0]!;
            for (let k = 1; k < 7; k++) stat[k]! += w * s[k]!;
          } finally {
            stats?.dispose();
            tf.dispose([ids, attn, mask, old, adv]);
            ref?.dispose();
          }
        }
        // 2. one clipped optimizer step for the minibatch
        const gradNorm = clipAndApply(ctx.optimizer, acc!, c.maxGradNorm); // g ← g · min(1, c / ‖g‖)
        add('loss/policy', stat[0]!);
        add('policy/kl', stat[1]!);
        add('policy/clip_ratio/low_mean', stat[2]!);
        add('policy/clip_ratio/high_mean', stat[3]!);
        add('policy/clip_ratio/region_mean', stat[4]!);
        add('policy/ratio', stat[5]!);
        add('policy/entropy', stat[6]!);
        add('policy/grad_norm', gradNorm);
        minibatches++;
      } finally {
        if (acc) disposeGrads(acc);
      }
    }
  }
  const out: GRPOStats = {};
  for (const [k, v] of Object.entries(sums)) out[k] = v / Math.max(1, minibatches);
  out['policy/minibatches'] = minibatches;
  return out;
}
