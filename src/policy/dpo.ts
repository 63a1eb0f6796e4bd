/**
 * Direct Preference Optimization (Rafailov et al. 2023, "Direct Preference Optimization: Your Language Model is
 * Secretly a Reward Model"), as TRL's DPOTrainer: the policy is trained directly on preference pairs (y_w ≻ y_l),
 * with the reference policy π_ref (for LoRA models: the same weights with the adapters off) as the anchor.
 *
 *   chosenLogRatio   = log π(y_w|x) − log π_ref(y_w|x)
 *   rejectedLogRatio = log π(y_l|x) − log π_ref(y_l|x)
 *   delta            = chosenLogRatio − rejectedLogRatio
 *   L_DPO            = −log σ(β · delta)                          (DPO paper, Eq. 7)
 * The implicit reward of a response is r̂(x, y) = β (log π(y|x) − log π_ref(y|x)) (Eq. 5).
 * For the IPO loss the log-probs are per-token means, log π(y|x) / |y| (Azar et al. 2023; TRL's DPOTrainer divides
 * them by the completion's length for loss_type "ipo"): dpoStep averages them, dpoLoss takes what it is given.
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import { clipAndApply, disposeGrads } from '../optim/gradients.js';
import type { GradientApplier } from '../optim/tensorAdam.js';
import { checkChoice, checkNumber, mergeKnown } from './resolve.js';
import type { LogprobForward } from './types.js';

export const DPO_LOSS_TYPES = ['sigmoid', 'hinge', 'ipo'] as const;
export type DPOLossType = (typeof DPO_LOSS_TYPES)[number];

/** DPO hyperparameters, with TRL's names and defaults (trl/trainer/dpo_config.py). */
export interface DPOConfig {
  /** β, the temperature of the implicit reward: higher means less deviation from the reference (TRL beta, 0.1) */
  beta: number;
  /** ε ∈ [0, 0.5): conservative DPO, the assumed probability that a label is flipped (TRL label_smoothing, 0) */
  labelSmoothing: number;
  /** sigmoid = DPO; hinge = SLiC max(0, 1 − β·delta); ipo = (delta − 1/(2β))² on per-token mean log-probs (TRL loss_type, "sigmoid") */
  lossType: DPOLossType;
  /** learning rate, for trainers that build the optimizer (TRL learning_rate, 1e-6) */
  learningRate: number;
  /** preference pairs per gradient step (TRL per_device_train_batch_size, 8) */
  batchSize: number;
  /** passes over the preference pairs (TRL num_train_epochs, 3) */
  epochs: number;
  /** clip gradients to this global norm; null = no clipping (TRL max_grad_norm, 1.0) */
  maxGradNorm: number | null;
}

export const DEFAULT_DPO_CONFIG: Readonly<DPOConfig> = Object.freeze({
  beta: 0.1,
  labelSmoothing: 0,
  lossType: 'sigmoid',
  learningRate: 1e-6,
  batchSize: 8,
  epochs: 3,
  maxGradNorm: 1,
});

/** Defaults + overrides, validated; ConfigError names the field. */
export function resolveDPOConfig(overrides: Partial<DPOConfig> | Record<string, unknown> = {}): DPOConfig {
  const c = mergeKnown('DPO', DEFAULT_DPO_CONFIG as DPOConfig, overrides as Record<string, unknown>);
  checkNumber('beta', c.beta, 0, Infinity, { loOpen: true, hiOpen: true });
  checkNumber('labelSmoothing', c.labelSmoothing, 0, 0.5, { hiOpen: true });
  checkChoice('lossType', c.lossType, DPO_LOSS_TYPES);
  checkNumber('learningRate', c.learningRate, 0, 1, { loOpen: true });
  checkNumber('batchSize', c.batchSize, 1, 1e7, { integer: true });
  checkNumber('epochs', c.epochs, 1, 1e6, { integer: true });
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Infinity, { loOpen: true });
  return c;
}

export interface DPOLossOutputs {
  /** mean loss over pairs */
  loss: tf.Scalar;
  /** [N] per-pair losses */
  losses: tf.Tensor1D;
  /** [N] r̂(x, y_w) = β · chosenLogRatio (a diagnostic; not part of the loss) */
  chosenRewards: tf.Tensor1D;
  /** [N] r̂(x, y_l) = β · rejectedLogRatio (a diagnostic) */
  rejectedRewards: tf.Tensor1D;
}

/**
 * The DPO loss from sequence log-probabilities, each [N].
 *   sigmoid: −(1 − ε) log σ(β·delta) − ε log σ(−β·delta)       (Eq. 7; ε > 0 is conservative DPO)
 *   hinge:   max(0, 1 − β·delta)                                 (SLiC-HF)
 *   ipo:     (delta − 1/(2β))²                                   (IPO, Azar et al. 2023, Eq. 17; log-probs averaged
 *                                                                  over each completion's tokens: dpoStep does that)
 */
export function dpoLoss(
  policyChosenLogps: tf.Tensor1D,
  policyRejectedLogps: tf.Tensor1D,
  refChosenLogps: tf.Tensor1D,
  refRejectedLogps: tf.Tensor1D,
  c: Pick<DPOConfig, 'beta' | 'labelSmoothing' | 'lossType'>,
): DPOLossOutputs {
  return tf.tidy(() => {
    const chosenLogRatio = tf.sub(policyChosenLogps, refChosenLogps); // [N]
    const rejectedLogRatio = tf.sub(policyRejectedLogps, refRejectedLogps); // [N]
    const delta = tf.sub(chosenLogRatio, rejectedLogRatio); // [N]
    const z = tf.mul(c.beta, delta); // [N] β·delta
    let losses: tf.Tensor1D;
    switch (c.lossType) {
      case 'sigmoid':
        // −log σ(z) = softplus(−z). (Not tf.logSigmoid: its gradient fails on tfjs 4.22 — it reads a disposed tensor.)
        losses = tf.add(tf.mul(1 - c.labelSmoothing, tf.softplus(tf.neg(z))), tf.mul(c.labelSmoothing, tf.softplus(z))) as tf.Tensor1D;
        break;
      case 'hinge':
        losses = tf.relu(tf.sub(1, z)) as tf.Tensor1D;
        break;
      case 'ipo':
        losses = tf.square(tf.sub(delta, 1 / (2 * c.beta))) as tf.Tensor1D;
        break;
    }
    const out: DPOLossOutputs = {
      loss: tf.mean(losses) as tf.Scalar,
      losses,
      chosenRewards: tf.mul(c.beta, chosenLogRatio) as tf.Tensor1D, // diagnostics: not part of the loss
      rejectedRewards: tf.mul(c.beta, rejectedLogRatio) as tf.Tensor1D,
    };
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as DPOLossOutputs;
}

/**
 * N preference pairs as padded token rows [N, T] (prompt + response). Chosen and rejected rows share T.
 * `*LossMask` is 1 on the response tokens whose log-probs count (not the prompt, not padding).
 */
export interface DPOBatch {
  n: number;
  length: number;
  chosenIds: Int32Array;
  chosenMask: Float32Array;
  chosenLossMask: Float32Array;
  rejectedIds: Int32Array;
  rejectedMask: Float32Array;
  rejectedLossMask: Float32Array;
  /** when every row is [prompt | response of N tokens], N: a hint to the forward that only the last N positions count */
  responseLength?: number;
  /** [N] precomputed log π_ref(y_w|x); computed from `reference` when absent */
  refChosenLogps?: Float32Array;
  /** [N] precomputed log π_ref(y_l|x) */
  refRejectedLogps?: Float32Array;
}

/** Σ_t log π(x_t|x_<t) · lossMask_t: [N] sequence log-probs from a forward's per-token log-probs [N, T]. */
export function tfSequenceLogprobs(forward: LogprobForward, ids: tf.Tensor2D, mask: tf.Tensor2D, lossMask: tf.Tensor2D, responseLength?: number): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(forward(ids, mask, responseLength).logprobs, lossMask), 1) as tf.Tensor1D); // [N]
}

/** Sequence log-probs of padded rows without gradient, in chunks (e.g. reference log-probs, precomputed once). */
export function sequenceLogprobs(forward: LogprobForward, ids: Int32Array, mask: Float32Array, lossMask: Float32Array, n: number, T: number, chunk = 16, responseLength?: number): Float32Array {
  if (ids.length !== n * T || mask.length !== n * T || lossMask.length !== n * T) {
    throw new ShapeError(`sequenceLogprobs: ids/mask/lossMask have ${ids.length}/${mask.length}/${lossMask.length} entries, expected N·T = ${n}·${T}`);
  }
  const out = new Float32Array(n);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const v = tf.tidy(() =>
      tfSequenceLogprobs(
        forward,
        tf.tensor2d(ids.subarray(s * T, (s + m) * T), [m, T], 'int32'),
        tf.tensor2d(mask.subarray(s * T, (s + m) * T), [m, T]),
        tf.tensor2d(lossMask.subarray(s * T, (s + m) * T), [m, T]),
        responseLength,
      ).dataSync(),
    );
    out.set(v, s);
  }
  return out;
}

export interface DPOStepContext {
  config: DPOConfig;
  /** the trainable policy (with adapters) */
  policy: LogprobForward;
  /** the reference policy (adapters off); needed unless the batch carries reference log-probs */
  reference?: LogprobForward;
  optimizer: GradientApplier;
  /** variables to train (default: every trainable variable) */
  variables?: tf.Variable[];
}

/** Namespaced metrics (TRL's names): loss, rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected. */
export type DPOStats = Record<string, number>;

/**
 * One gradient step of DPO on a batch of pairs; chosen and rejected rows go through one forward pass. With the IPO
 * loss, every log-prob (policy and reference) is divided by its completion's token count Σ_t lossMask_t.
 */
export function dpoStep(batch: DPOBatch, ctx: DPOStepContext): DPOStats {
  const N = batch.n;
  const T = batch.length;
  for (const [name, a] of [
    ['chosenIds', batch.chosenIds],
    ['chosenMask', batch.chosenMask],
    ['chosenLossMask', batch.chosenLossMask],
    ['rejectedIds', batch.rejectedIds],
    ['rejectedMask', batch.rejectedMask],
    ['rejectedLossMask', batch.rejectedLossMask],
  ] as const) {
    if (a.length !== N * T) throw new ShapeError(`DPO batch: ${name} has ${a.length} entries, expected N·T = ${N}·${T} = ${N * T}`);
  }
  // 1. reference log-probs (no gradient)
  let refChosen = batch.refChosenLogps;
  let refRejected = batch.refRejectedLogps;
  if (!refChosen || !refRejected) {
    if (!ctx.reference) throw new ShapeError('dpoStep needs reference log-probs: pass ctx.reference or batch.refChosenLogps/refRejectedLogps');
    refChosen = sequenceLogprobs(ctx.reference, batch.chosenIds, batch.chosenMask, batch.chosenLossMask, N, T, 16, batch.responseLength);
    refRejected = sequenceLogprobs(ctx.reference, batch.rejectedIds, batch.rejectedMask, batch.rejectedLossMask, N, T, 16, batch.responseLength);
  }
  if (refChosen.length !== N || refRejected.length !== N) throw new ShapeError(`DPO batch: reference log-probs must have N = ${N} entries`);
  // IPO: per-token means, log π(y|x) / |y| (TRL: all_logps / loss_mask.sum(-1))
  const lengths = ctx.config.lossType === 'ipo' ? completionLengths(batch) : null; // [2N] chosen then rejected
  if (lengths) {
    refChosen = Float32Array.from(refChosen, (x, i) => x / lengths[i]!);
    refRejected = Float32Array.from(refRejected, (x, i) => x / lengths[N + i]!);
  }

  // 2. one forward over [chosen; rejected] rows, the loss, and its gradient
  const ids = tf.tidy(() => tf.concat([tf.tensor2d(batch.chosenIds, [N, T], 'int32'), tf.tensor2d(batch.rejectedIds, [N, T], 'int32')], 0) as tf.Tensor2D); // [2N, T]
  const mask = tf.tidy(() => tf.concat([tf.tensor2d(batch.chosenMask, [N, T]), tf.tensor2d(batch.rejectedMask, [N, T])], 0) as tf.Tensor2D); // [2N, T]
  const lossMask = tf.tidy(() => tf.concat([tf.tensor2d(batch.chosenLossMask, [N, T]), tf.tensor2d(batch.rejectedLossMask, [N, T])], 0) as tf.Tensor2D); // [2N, T]
  const refC = tf.tensor1d(refChosen);
  const refR = tf.tensor1d(refRejected);
  const lengthT = lengths ? tf.tensor1d(lengths) : null; // [2N]
  let stats: tf.Tensor | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const sums = tfSequenceLogprobs(ctx.policy, ids, mask, lossMask, batch.responseLength); // [2N]
      const logps = lengthT ? tf.div(sums, lengthT) : sums; // [2N]
      const chosen = tf.slice(logps, [0], [N]) as tf.Tensor1D; // [N]
      const rejected = tf.slice(logps, [N], [N]) as tf.Tensor1D; // [N]
      const out = dpoLoss(chosen, rejected, refC, refR, ctx.config);
      stats = tf.keep(
        tf.stack([
          tf.mean(out.chosenRewards),
          tf.mean(out.rejectedRewards),
          tf.mean(tf.greater(out.chosenRewards, out.rejectedRewards).toFloat()),
          tf.mean(tf.sub(out.chosenRewards, out.rejectedRewards)),
          tf.mean(chosen),
          tf.mean(rejected),
        ]),
      );
      return out.loss;
    }, ctx.variables);
    const loss = value.dataSync()[0]!;
    value.dispose();
    const gradNorm = clipAndApply(ctx.optimizer, grads, ctx.config.maxGradNorm); // NaN when not clipping
    disposeGrads(grads);
    const s = stats!.dataSync();
    const result: DPOStats = {
      loss,
      'rewards/chosen': s[0]!,
      'rewards/rejected': s[1]!,
      'rewards/accuracies': s[2]!,
      'rewards/margins': s[3]!,
      'logps/chosen': s[4]!,
      'logps/rejected': s[5]!,
    };
    if (ctx.config.maxGradNorm !== null) result['grad_norm'] = gradNorm;
    return result;
  } finally {
    stats?.dispose();
    tf.dispose([ids, mask, lossMask, refC, refR]);
    lengthT?.dispose();
  }
}

/** [2N] token counts Σ_t lossMask_t of the chosen rows, then of the rejected rows (≥ 1: an empty completion counts 1). */
function completionLengths(b: DPOBatch): Float32Array {
  const out = new Float32Array(2 * b.n);
  for (const [k, lm] of [b.chosenLossMask, b.rejectedLossMask].entries())
    for (let i = 0; i < b.n; i++) {
      let s = 0;
      for (let t = 0; t < b.length; t++) s += lm[i * b.length + t]!;
      out[k * b.n + i] = Math.max(1, s);
    }
  return out;
}
