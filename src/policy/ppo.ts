/**
 * PPO for sequence policies, as in Ziegler et al. 2019 ("Fine-Tuning Language Models from Human Preferences") and
 * TRL's PPOTrainer: a per-token KL penalty to the reference policy, the reward-model score on the last response
 * token, GAE, advantage whitening, the clipped policy and value losses, epochs × minibatches, and an adaptive KL
 * coefficient. Domain-independent: it sees token ids, masks, log-probs and a PolicyForward, nothing else.
 *
 *   r_t   = −β · KL_t + [t = last] · score                   KL_t = log π(x_t) − log π_ref(x_t)   ("kl" penalty)
 *   A, R̂  = GAE(r, V; γ, λ);  A ← whiten(A)
 *   ρ     = exp(log π_θ − log π_old)
 *   L     = −E[min(ρA, clip(ρ, 1 ± ε)A)] + c_v · ½ E[max((V − R̂)², (V_clip − R̂)²)],  V_clip = V_old + clip(V − V_old, ±ε_v)
 *   β     ← β · (1 + clip(KL/KL_target − 1, −0.2, 0.2) · n/horizon)         (adaptive controller, Ziegler et al. §2.2)
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { gae } from './gae.js';
import { maskedMean, maskedVar, maskedWhiten, tfMaskedMean } from './masked.js';
import { clipAndApply, disposeGrads } from '../optim/gradients.js';
import type { GradientApplier } from '../optim/tensorAdam.js';
import { checkBoolean, checkChoice, checkNumber, mergeKnown } from './resolve.js';
import type { LogprobForward, PolicyForward, PolicyOutput } from './types.js';
import { ConfigError } from '../core/errors.js';

export { maskedMean, maskedVar, maskedWhiten, tfMaskedMean } from './masked.js';

// ---------------------------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------------------------

export const KL_PENALTIES = ['kl', 'abs', 'mse', 'k3'] as const;
export type KlPenalty = (typeof KL_PENALTIES)[number];

/** Every PPO hyperparameter, with TRL's name and default (trl/trainer/ppo_config.py). */
export interface PPOConfig {
  /** learning rate, for trainers that build the optimizer (TRL learning_rate, 1.41e-5) */
  learningRate: number;
  /** adapt β toward a target KL (Ziegler et al.); false = fixed β = initKlCoef (TRL adap_kl_ctrl, true) */
  adaptiveKl: boolean;
  /** β₀, the initial coefficient of the per-token KL penalty (TRL init_kl_coef, 0.2) */
  initKlCoef: number;
  /** KL_target, nats per sequence the adaptive controller steers toward (TRL target, 6) */
  klTarget: number;
  /** horizon of the adaptive controller: β changes by at most 20 % · n/horizon per update (TRL horizon, 10000) */
  klHorizon: number;
  /** per-token KL estimate in the reward: kl = log π − log π_ref (k1), abs = |k1|, mse = ½k1², k3 = (e^{−k1} − 1) + k1 (TRL kl_penalty, "kl") */
  klPenalty: KlPenalty;
  /** γ, discount across tokens (TRL gamma, 1) */
  gamma: number;
  /** λ, GAE bias–variance trade-off (TRL lam, 0.95) */
  lam: number;
  /** ε, policy ratio clip range: ρ ∈ [1 − ε, 1 + ε] (TRL cliprange, 0.2) */
  cliprange: number;
  /** ε_v, value clip range around the rollout values (TRL cliprange_value, 0.2) */
  cliprangeValue: number;
  /** c_v, weight of the value loss (TRL vf_coef, 0.1) */
  vfCoef: number;
  /** passes over each batch of rollouts (TRL ppo_epochs, 4) */
  ppoEpochs: number;
  /** rollouts per PPO step; also the n of the KL controller update (TRL batch_size, 128) */
  batchSize: number;
  /** rollouts per gradient step (TRL mini_batch_size, 128) */
  miniBatchSize: number;
  /** whiten advantages over the batch (masked), as TRL always does (true) */
  whitenAdvantages: boolean;
  /** scale per-token rewards to unit variance before GAE (TRL whiten_rewards, false) */
  whitenRewards: boolean;
  /** clip gradients to this global norm; null = no clipping (TRL max_grad_norm, None) */
  maxGradNorm: number | null;
  /** clip reward-model scores to [−c, c]; null = no clipping (TRL score_clip, None) */
  scoreClip: number | null;
  /** stop the step's remaining minibatches once approx KL > 1.5 · targetKl (TRL early_stopping, false) */
  earlyStopping: boolean;
  /** per-token approx-KL bound for early stopping (TRL target_kl, 1) */
  targetKl: number;
  /** skip a minibatch's update when its mean ratio exceeds this (TRL ratio_threshold, 10) */
  ratioThreshold: number;
}

export const DEFAULT_PPO_CONFIG: Readonly<PPOConfig> = Object.freeze({
  learningRate: 1.41e-5,
  adaptiveKl: true,
  initKlCoef: 0.2,
  klTarget: 6,
  klHorizon: 10000,
  klPenalty: 'kl',
  gamma: 1,
  lam: 0.95,
  cliprange: 0.2,
  cliprangeValue: 0.2,
  vfCoef: 0.1,
  ppoEpochs: 4,
  batchSize: 128,
  miniBatchSize: 128,
  whitenAdvantages: true,
  whitenRewards: false,
  maxGradNorm: null,
  scoreClip: null,
  earlyStopping: false,
  targetKl: 1,
  ratioThreshold: 10,
});

/** Defaults + overrides, validated: unknown keys and out-of-range values throw ConfigError naming the field. */
export function resolvePPOConfig(overrides: Partial<PPOConfig> | Record<string, unknown> = {}): PPOConfig {
  const c = mergeKnown('PPO', DEFAULT_PPO_CONFIG as PPOConfig, overrides as Record<string, unknown>);
  checkNumber('learningRate', c.learningRate, 0, 1, { loOpen: true });
  checkBoolean('adaptiveKl', c.adaptiveKl);
  checkNumber('initKlCoef', c.initKlCoef, 0, Infinity, { hiOpen: true });
  checkNumber('klTarget', c.klTarget, 0, Infinity, { loOpen: true, hiOpen: true });
  checkNumber('klHorizon', c.klHorizon, 0, Infinity, { loOpen: true, hiOpen: true });
  checkChoice('klPenalty', c.klPenalty, KL_PENALTIES);
  checkNumber('gamma', c.gamma, 0, 1);
  checkNumber('lam', c.lam, 0, 1);
  checkNumber('cliprange', c.cliprange, 0, 1, { loOpen: true, hiOpen: true });
  checkNumber('cliprangeValue', c.cliprangeValue, 0, Infinity, { loOpen: true });
  checkNumber('vfCoef', c.vfCoef, 0, Infinity, { hiOpen: true });
  checkNumber('ppoEpochs', c.ppoEpochs, 1, 1000, { integer: true });
  checkNumber('batchSize', c.batchSize, 1, 1e7, { integer: true });
  checkNumber('miniBatchSize', c.miniBatchSize, 1, 1e7, { integer: true });
  if (c.miniBatchSize > c.batchSize) {
    throw new ConfigError('miniBatchSize', `miniBatchSize (${c.miniBatchSize}) must be ≤ batchSize (${c.batchSize})`);
  }
  checkBoolean('whitenAdvantages', c.whitenAdvantages);
  checkBoolean('whitenRewards', c.whitenRewards);
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Infinity, { loOpen: true });
  if (c.scoreClip !== null) checkNumber('scoreClip', c.scoreClip, 0, Infinity, { loOpen: true });
  checkBoolean('earlyStopping', c.earlyStopping);
  checkNumber('targetKl', c.targetKl, 0, Infinity, { loOpen: true, hiOpen: true });
  checkNumber('ratioThreshold', c.ratioThreshold, 1, Infinity, { loOpen: true });
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// KL controllers
// ---------------------------------------------------------------------------------------------------------------

export interface KLController {
  /** β, the current KL coefficient */
  value: number;
  /** Updates β from the measured KL (nats per sequence) after a step over n rollouts. */
  update(currentKl: number, nSteps: number): void;
}

/**
 * Adaptive KL controller (Ziegler et al. 2019, §2.2; TRL AdaptiveKLController):
 *   e = clip(KL / KL_target − 1, −0.2, 0.2);   β ← β · (1 + e · n / horizon)
 */
export class AdaptiveKLController implements KLController {
  constructor(
    public value: number,
    readonly target: number,
    readonly horizon: number,
  ) {}

  update(currentKl: number, nSteps: number): void {
    const proportionalError = Math.min(0.2, Math.max(-0.2, currentKl / this.target - 1)); // e_t
    this.value *= 1 + (proportionalError * nSteps) / this.horizon; // β_{t+1}
  }
}

/** A fixed β. */
export class FixedKLController implements KLController {
  constructor(public value: number) {}
  update(_currentKl: number, _nSteps: number): void {}
}

export function makeKLController(c: Pick<PPOConfig, 'adaptiveKl' | 'initKlCoef' | 'klTarget' | 'klHorizon'>): KLController {
  return c.adaptiveKl ? new AdaptiveKLController(c.initKlCoef, c.klTarget, c.klHorizon) : new FixedKLController(c.initKlCoef);
}

// ---------------------------------------------------------------------------------------------------------------
// Rewards and advantages (plain typed arrays: [B, T] rows of response tokens)
// ---------------------------------------------------------------------------------------------------------------

/** Per-token KL estimate from log π and log π_ref of the sampled token (joschu.net/blog/kl-approx.html). */
export function klPenaltyValue(logprob: number, refLogprob: number, kind: KlPenalty): number {
  const k1 = logprob - refLogprob; // log π/π_ref, unbiased for KL(π‖π_ref) under samples from π
  switch (kind) {
    case 'kl':
      return k1;
    case 'abs':
      return Math.abs(k1);
    case 'mse':
      return 0.5 * k1 * k1;
    case 'k3':
      return Math.exp(-k1) - 1 + k1; // (r − 1) − log r, r = π_ref/π: unbiased, ≥ 0, lower variance
  }
}

export interface TokenRewards {
  /** [B·T] r_t = −β KL_t, plus the score on the last real token */
  rewards: Float32Array;
  /** [B·T] KL_t (0 under the mask) */
  kl: Float32Array;
  /** [B·T] −β KL_t */
  nonScoreRewards: Float32Array;
}

/**
 * r_t = −β · KL_t + [t = last real token] · score (TRL compute_rewards).
 * @param scores [B] reward-model scores of each sequence
 */
export function computeRewards(
  scores: ArrayLike<number>,
  logprobs: ArrayLike<number>,
  refLogprobs: ArrayLike<number>,
  mask: ArrayLike<number>,
  B: number,
  T: number,
  beta: number,
  kind: KlPenalty = 'kl',
): TokenRewards {
  const n = B * T;
  for (const [name, a] of [['logprobs', logprobs], ['refLogprobs', refLogprobs], ['mask', mask]] as const) {
    if (a.length !== n) throw new ShapeError(`computeRewards: ${name} has ${a.length} entries, expected B·T = ${B}·${T} = ${n}`);
  }
  if (scores.length !== B) throw new ShapeError(`computeRewards: scores has ${scores.length} entries, expected B = ${B}`);
  const rewards = new Float32Array(n);
  const kl = new Float32Array(n);
  const nonScoreRewards = new Float32Array(n);
  for (let b = 0; b < B; b++) {
    let last = -1;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (mask[i] === 0) continue;
      kl[i] = klPenaltyValue(logprobs[i]!, refLogprobs[i]!, kind);
      nonScoreRewards[i] = -beta * kl[i]!; // −β KL_t
      rewards[i] = nonScoreRewards[i]!;
      last = i;
    }
    if (last < 0) throw new ShapeError(`computeRewards: response ${b} has no real tokens (its mask is all 0)`);
    rewards[last] = rewards[last]! + scores[b]!; // the score lands on the last response token
  }
  return { rewards, kl, nonScoreRewards };
}

/** GAE advantages and returns on the response tokens, advantages whitened (TRL compute_advantages). */
export function computeAdvantages(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  B: number,
  T: number,
  c: Pick<PPOConfig, 'gamma' | 'lam' | 'whitenAdvantages' | 'whitenRewards'>,
): { advantages: Float32Array; returns: Float32Array } {
  const r = c.whitenRewards ? maskedWhiten(rewards, mask, false) : rewards;
  const { advantages, returns } = gae(r, values, B, T, { gamma: c.gamma, lambda: c.lam, mask });
  return { advantages: c.whitenAdvantages ? maskedWhiten(advantages, mask) : advantages, returns };
}

// ---------------------------------------------------------------------------------------------------------------
// Losses (tensors)
// ---------------------------------------------------------------------------------------------------------------

export interface PPOLossInputs {
  /** [N, T] log π_θ of the response tokens (differentiable) */
  logprobs: tf.Tensor2D;
  /** [N, T] log π_old from the rollout */
  oldLogprobs: tf.Tensor2D;
  /** [N, T] A (whitened) */
  advantages: tf.Tensor2D;
  /** [N, T] R̂ */
  returns: tf.Tensor2D;
  /** [N, T] V from the rollout */
  oldValues: tf.Tensor2D;
  /** [N, T] V_θ (differentiable) */
  vpreds: tf.Tensor2D;
  /** [N, T] 1 on response tokens */
  mask: tf.Tensor2D;
}

export interface PPOLossOutputs {
  /** pgLoss + c_v · vfLoss */
  loss: tf.Scalar;
  pgLoss: tf.Scalar;
  vfLoss: tf.Scalar;
  /** fraction of tokens where the clipped policy objective was the active one */
  pgClipfrac: tf.Scalar;
  /** fraction of tokens where the clipped value loss was the active one */
  vfClipfrac: tf.Scalar;
  /** k3 estimate of KL(π_old‖π_θ): E[(ρ − 1) − log ρ] */
  approxKl: tf.Scalar;
  /** E[ρ] */
  ratio: tf.Scalar;
  /** E[V_θ] */
  vpred: tf.Scalar;
  /** E[(V_θ − R̂)²] */
  valError: tf.Scalar;
}

/**
 * The clipped PPO losses, masked means over tokens (TRL PPOTrainer.loss):
 *   pgLoss = E[max(−Aρ, −A clip(ρ, 1 − ε, 1 + ε))]
 *   vfLoss = ½ E[max((V − R̂)², (V_clip − R̂)²)],  V_clip = clip(V, V_old − ε_v, V_old + ε_v)
 */
export function ppoLosses(x: PPOLossInputs, c: Pick<PPOConfig, 'cliprange' | 'cliprangeValue' | 'vfCoef'>): PPOLossOutputs {
  return tf.tidy(() => {
    const m = x.mask;
    // value loss
    const vClip = tf.add(x.oldValues, tf.clipByValue(tf.sub(x.vpreds, x.oldValues), -c.cliprangeValue, c.cliprangeValue)); // [N, T]
    const vfLosses1 = tf.square(tf.sub(x.vpreds, x.returns)); // [N, T]
    const vfLosses2 = tf.square(tf.sub(vClip, x.returns)); // [N, T]
    const vfLoss = tf.mul(0.5, tfMaskedMean(tf.maximum(vfLosses1, vfLosses2), m)) as tf.Scalar;
    const vfClipfrac = tfMaskedMean(tf.greater(vfLosses2, vfLosses1).toFloat(), m);
    // policy loss
    const logRatio = tf.sub(x.logprobs, x.oldLogprobs); // [N, T] log ρ
    const ratio = tf.exp(logRatio); // [N, T] ρ
    const pgLosses1 = tf.mul(tf.neg(x.advantages), ratio); // [N, T]
    const pgLosses2 = tf.mul(tf.neg(x.advantages), tf.clipByValue(ratio, 1 - c.cliprange, 1 + c.cliprange)); // [N, T]
    const pgLoss = tfMaskedMean(tf.maximum(pgLosses1, pgLosses2), m);
    const pgClipfrac = tfMaskedMean(tf.greater(pgLosses2, pgLosses1).toFloat(), m);
    const loss = tf.add(pgLoss, tf.mul(c.vfCoef, vfLoss)) as tf.Scalar;
    // diagnostics (no gradient needed; cheap)
    const approxKl = tfMaskedMean(tf.sub(tf.sub(ratio, 1), logRatio), m); // k3: (ρ − 1) − log ρ, joschu.net/blog/kl-approx.html
    const out: PPOLossOutputs = {
      loss,
      pgLoss,
      vfLoss,
      pgClipfrac,
      vfClipfrac,
      approxKl,
      ratio: tfMaskedMean(ratio, m),
      vpred: tfMaskedMean(x.vpreds, m),
      valError: tfMaskedMean(vfLosses1, m),
    };
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as PPOLossOutputs;
}

// ---------------------------------------------------------------------------------------------------------------
// Rollouts and the PPO step
// ---------------------------------------------------------------------------------------------------------------

/** A batch of B rollouts: queries [B, Tq] and responses [B, Tr], row-major typed arrays. */
export interface PPORollouts {
  batchSize: number;
  queryLength: number;
  responseLength: number;
  /** [B·Tq] query token ids (left-padded is usual) */
  queries: Int32Array;
  /** [B·Tq] 1 for real query tokens */
  queryMask: Float32Array;
  /** [B·Tr] response token ids */
  responses: Int32Array;
  /** [B·Tr] 1 for real response tokens (right-padded after an end token) */
  responseMask: Float32Array;
  /** [B·Tr] log π_old of each response token, from the policy that sampled it */
  logprobs: Float32Array;
  /** [B·Tr] log π_ref of each response token */
  refLogprobs: Float32Array;
  /** [B·Tr] V_old at each response token */
  values: Float32Array;
  /** [B] reward-model score of each (query, response) */
  scores: Float32Array;
  /**
   * [B·Tr] optional per-token rewards from a reward model that scores tokens (e.g. one additive in its tokens),
   * added to r_t on top of the final score: dense credit assignment. Padding entries are ignored.
   */
  tokenRewards?: Float32Array;
}

export interface PPOStepContext {
  config: PPOConfig;
  /** the trainable policy with value head */
  forward: PolicyForward;
  optimizer: GradientApplier;
  /** variables to train (default: every trainable variable) */
  variables?: tf.Variable[];
  klController: KLController;
  /** shuffles minibatches */
  rng: Rng;
}

/** Namespaced metrics of one PPO step (docs/algorithms.md lists every key with its formula). */
export type PPOStats = Record<string, number>;

/** ids [M, Tq+Tr] and attention mask for rows `idx` of the rollouts. */
export function packSequences(r: Pick<PPORollouts, 'queryLength' | 'responseLength' | 'queries' | 'queryMask' | 'responses' | 'responseMask'>, idx: ArrayLike<number>): { ids: Int32Array; mask: Float32Array; T: number } {
  const Tq = r.queryLength;
  const Tr = r.responseLength;
  const T = Tq + Tr;
  const ids = new Int32Array(idx.length * T);
  const mask = new Float32Array(idx.length * T);
  for (let k = 0; k < idx.length; k++) {
    const b = idx[k]!;
    ids.set(r.queries.subarray(b * Tq, (b + 1) * Tq), k * T);
    ids.set(r.responses.subarray(b * Tr, (b + 1) * Tr), k * T + Tq);
    mask.set(r.queryMask.subarray(b * Tq, (b + 1) * Tq), k * T);
    mask.set(r.responseMask.subarray(b * Tr, (b + 1) * Tr), k * T + Tq);
  }
  return { ids, mask, T };
}

function gatherRows(a: Float32Array, idx: ArrayLike<number>, width: number): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let k = 0; k < idx.length; k++) out.set(a.subarray(idx[k]! * width, (idx[k]! + 1) * width), k * width);
  return out;
}

function checkRollouts(r: PPORollouts): void {
  const B = r.batchSize;
  const Tq = r.queryLength;
  const Tr = r.responseLength;
  const want: Array<[string, ArrayLike<number>, number]> = [
    ['queries', r.queries, B * Tq],
    ['queryMask', r.queryMask, B * Tq],
    ['responses', r.responses, B * Tr],
    ['responseMask', r.responseMask, B * Tr],
    ['logprobs', r.logprobs, B * Tr],
    ['refLogprobs', r.refLogprobs, B * Tr],
    ['values', r.values, B * Tr],
    ['scores', r.scores, B],
  ];
  for (const [name, a, n] of want) {
    if (a.length !== n) throw new ShapeError(`PPO rollouts: ${name} has ${a.length} entries, expected ${n} (B = ${B}, Tq = ${Tq}, Tr = ${Tr})`);
  }
}

/**
 * One PPO step on a batch of rollouts: rewards, advantages, then `ppoEpochs` passes of shuffled minibatches,
 * then the KL controller update. Leaves no tensors behind (the optimizer's own slots aside).
 */
export function ppoStep(r: PPORollouts, ctx: PPOStepContext): PPOStats {
  checkRollouts(r);
  const c = ctx.config;
  const B = r.batchSize;
  const Tq = r.queryLength;
  const Tr = r.responseLength;
  const beta = ctx.klController.value;

  // 1. scores (optionally clipped)
  const scores = Float32Array.from(r.scores, (s) => (c.scoreClip === null ? s : Math.max(-c.scoreClip, Math.min(c.scoreClip, s))));
  // 2. per-token rewards: −β KL_t, plus the score on the last token
  const { rewards, kl, nonScoreRewards } = computeRewards(scores, r.logprobs, r.refLogprobs, r.responseMask, B, Tr, beta, c.klPenalty);
  let tokenRewardSum = 0;
  if (r.tokenRewards) {
    if (r.tokenRewards.length !== B * Tr) throw new ShapeError(`PPO rollouts: tokenRewards has ${r.tokenRewards.length} entries, expected ${B * Tr}`);
    for (let i = 0; i < B * Tr; i++) {
      const v = r.responseMask[i]! * r.tokenRewards[i]!;
      rewards[i] = rewards[i]! + v; // r_t += token reward
      tokenRewardSum += v;
    }
  }
  // 3. advantages and returns (GAE), advantages whitened
  const { advantages, returns } = computeAdvantages(rewards, r.values, r.responseMask, B, Tr, c);

  // 4. epochs × minibatches
  const mb = Math.min(c.miniBatchSize, B);
  const sums: Record<string, number> = {};
  const add = (k: string, v: number): void => {
    sums[k] = (sums[k] ?? 0) + v;
  };
  let minibatches = 0;
  let skipped = 0;
  let stopped = false;
  const order = Array.from({ length: B }, (_, i) => i);
  for (let epoch = 0; epoch < c.ppoEpochs && !stopped; epoch++) {
    ctx.rng.shuffle(order);
    for (let start = 0; start < B && !stopped; start += mb) {
      const idx = order.slice(start, start + mb);
      const M = idx.length;
      const packed = packSequences(r, idx);
      const ids = tf.tensor2d(packed.ids, [M, packed.T], 'int32');
      const attn = tf.tensor2d(packed.mask, [M, packed.T]);
      const mask = tf.tensor2d(gatherRows(r.responseMask, idx, Tr), [M, Tr]);
      const oldLogprobs = tf.tensor2d(gatherRows(r.logprobs, idx, Tr), [M, Tr]);
      const oldValues = tf.tensor2d(gatherRows(r.values, idx, Tr), [M, Tr]);
      const mbAdvantages = tf.tensor2d(gatherRows(advantages, idx, Tr), [M, Tr]);
      const mbReturns = tf.tensor2d(gatherRows(returns, idx, Tr), [M, Tr]);
      let statTensor: tf.Tensor | undefined;
      try {
        const lossFn = (): tf.Scalar => {
          const out = ctx.forward(ids, attn, Tr);
          if (out.logprobs.shape[1] !== packed.T || out.values.shape[1] !== packed.T) {
            throw new ShapeError(`PPO forward returned logprobs ${JSON.stringify(out.logprobs.shape)} / values ${JSON.stringify(out.values.shape)}; expected [${M}, ${packed.T}]`);
          }
          const lp = tf.slice(out.logprobs, [0, Tq], [M, Tr]) as tf.Tensor2D; // [M, Tr]
          const vp = tf.slice(out.values, [0, Tq], [M, Tr]) as tf.Tensor2D; // [M, Tr]
          const losses = ppoLosses({ logprobs: lp, oldLogprobs, advantages: mbAdvantages, returns: mbReturns, oldValues, vpreds: vp, mask }, c);
          const entropy = out.entropy ? tfMaskedMean(tf.slice(out.entropy, [0, Tq], [M, Tr]), mask) : tfMaskedMean(tf.neg(lp), mask); // [] H or its one-sample estimate
          statTensor = tf.keep(
            tf.stack([losses.pgLoss, losses.vfLoss, losses.loss, losses.pgClipfrac, losses.vfClipfrac, losses.approxKl, losses.ratio, losses.vpred, losses.valError, entropy]),
          );
          return losses.loss;
        };
        // the ratio test needs the forward pass first: compute gradients, apply only if the minibatch passes
        const { value, grads } = tf.variableGrads(lossFn, ctx.variables);
        const s = statTensor!.dataSync();
        const [pgLoss, vfLoss, loss, pgClipfrac, vfClipfrac, approxKl, ratio, vpred, valError, entropy] = Array.from(s) as number[];
        const skip = ratio! > c.ratioThreshold;
        value.dispose();
        if (!skip) clipAndApply(ctx.optimizer, grads, c.maxGradNorm); // g ← g · min(1, c / ‖g‖)
        else skipped++;
        disposeGrads(grads);
        add('loss/policy', pgLoss!);
        add('loss/value', vfLoss!);
        add('loss/total', loss!);
        add('policy/clipfrac', pgClipfrac!);
        add('val/clipfrac', vfClipfrac!);
        add('policy/approx_kl', approxKl!);
        add('policy/ratio', ratio!);
        add('val/vpred', vpred!);
        add('val/error', valError!);
        add('policy/entropy', entropy!);
        minibatches++;
        if (c.earlyStopping && approxKl! > 1.5 * c.targetKl) stopped = true;
      } finally {
        statTensor?.dispose();
        tf.dispose([ids, attn, mask, oldLogprobs, oldValues, mbAdvantages, mbReturns]);
      }
    }
  }

  // 5. statistics of the batch
  const stats: PPOStats = {};
  for (const [k, v] of Object.entries(sums)) stats[k] = v / Math.max(1, minibatches);
  let klSum = 0;
  let nonScoreSum = 0;
  let negLogp = 0;
  for (let i = 0; i < B * Tr; i++) {
    klSum += kl[i]!;
    nonScoreSum += nonScoreRewards[i]!;
    negLogp -= r.responseMask[i]! * r.logprobs[i]!;
  }
  const meanKl = klSum / B; // nats per sequence: mean over rollouts of Σ_t KL_t
  const meanScore = (scores.reduce((a, b) => a + b, 0) + tokenRewardSum) / B; // final scores plus any token rewards
  stats['objective/kl'] = meanKl;
  stats['objective/kl_coef'] = beta;
  stats['objective/scores'] = meanScore;
  stats['objective/non_score_reward'] = nonScoreSum / B;
  stats['objective/rlhf_reward'] = meanScore + nonScoreSum / B;
  stats['objective/entropy'] = negLogp / B;
  stats['returns/mean'] = maskedMean(returns, r.responseMask);
  stats['returns/var'] = maskedVar(returns, r.responseMask);
  stats['val/explained_variance'] = explainedVariance(r.values, returns, r.responseMask);
  stats['ppo/minibatches'] = minibatches;
  stats['ppo/skipped_minibatches'] = skipped;
  stats['ppo/early_stopped'] = stopped ? 1 : 0;

  // 6. the KL controller sees this batch's KL
  ctx.klController.update(meanKl, B);
  return stats;
}

/** 1 − Var(R̂ − V) / Var(R̂) over real tokens (CleanRL's explained variance); NaN when Var(R̂) = 0. */
export function explainedVariance(values: ArrayLike<number>, returns: ArrayLike<number>, mask: ArrayLike<number>): number {
  const varY = maskedVar(returns, mask, false);
  if (varY === 0) return Number.NaN;
  const diff = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) diff[i] = returns[i]! - values[i]!;
  return 1 - maskedVar(diff, mask, false) / varY;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluating a forward on rollouts (no gradient)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Per-token log-probs (and values, when the forward has a value head) of the response tokens, computed in chunks
 * without gradients: the rollout's old log-probs and values (policy) or its reference log-probs (π_ref).
 */
export function evaluateResponses(
  forward: LogprobForward | PolicyForward,
  r: Pick<PPORollouts, 'batchSize' | 'queryLength' | 'responseLength' | 'queries' | 'queryMask' | 'responses' | 'responseMask'>,
  chunk = 16,
): { logprobs: Float32Array; values: Float32Array | null; entropy: Float32Array | null } {
  const B = r.batchSize;
  const Tq = r.queryLength;
  const Tr = r.responseLength;
  const logprobs = new Float32Array(B * Tr);
  let values: Float32Array | null = null;
  let entropy: Float32Array | null = null;
  for (let start = 0; start < B; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, B - start) }, (_, k) => start + k);
    const M = idx.length;
    const packed = packSequences(r, idx);
    const res = tf.tidy(() => {
      const out = forward(tf.tensor2d(packed.ids, [M, packed.T], 'int32'), tf.tensor2d(packed.mask, [M, packed.T]), Tr);
      const v = (out as Partial<PolicyOutput>).values; // [M, T] when the forward has a value head
      const none = new Float32Array(0);
      return {
        lp: tf.slice(out.logprobs, [0, Tq], [M, Tr]).dataSync() as Float32Array, // [M, Tr]
        vals: v ? (tf.slice(v, [0, Tq], [M, Tr]).dataSync() as Float32Array) : none, // [M, Tr]
        ent: out.entropy ? (tf.slice(out.entropy, [0, Tq], [M, Tr]).dataSync() as Float32Array) : none, // [M, Tr]
      };
    });
    logprobs.set(res.lp, start * Tr);
    if (res.vals.length > 0) {
      values ??= new Float32Array(B * Tr);
      values.set(res.vals, start * Tr);
    }
    if (res.ent.length > 0) {
      entropy ??= new Float32Array(B * Tr);
      entropy.set(res.ent, start * Tr);
    }
  }
  // zero the padding so that stored rollouts are clean
  for (let i = 0; i < B * Tr; i++) {
    if (r.responseMask[i] === 0) {
      logprobs[i] = 0;
      if (values) values[i] = 0;
      if (entropy) entropy[i] = 0;
    }
  }
  return { logprobs, values, entropy };
}
