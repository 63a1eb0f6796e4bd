/**
 * Kahneman–Tversky Optimization (Ethayarajh et al. 2024, arXiv:2402.01306), as TRL's KTOTrainer computes it
 * (trl/trainer/kto_trainer.py `_compute_loss`): learning from UNPAIRED judgements — a 👍 or 👎 on one completion, the
 * natural use of rating labels from people — against the reference policy π_ref.
 *
 *   r(x, y)  = log π_θ(y|x) − log π_ref(y|x)                         the implicit reward (sequence log-probs)
 *   z_ref    = max(0, mean_j [log π_θ(y'_j|x_j) − log π_ref(y'_j|x_j)])  KL estimate on MISMATCHED pairs (x_j, y'_j):
 *              each prompt with the completion of the row before it in the batch; no gradient (TRL: torch.no_grad)
 *   desirable (👍):   ℓ = λ_D · (1 − σ(β (r − z_ref)))                 (KTO paper, Eq. 7)
 *   undesirable (👎): ℓ = λ_U · (1 − σ(β (z_ref − r)))
 *   L        = mean over the batch of ℓ
 * A label μ ∈ [0, 1] (the mean thumbs-up of several annotators, src/loop/parts.ts Label) weighs the two:
 * ℓ = μ · λ_D (1 − σ(β(r − z))) + (1 − μ) · λ_U (1 − σ(β(z − r))) — for μ ∈ {0, 1} exactly TRL's loss.
 * loss_type "apo_zero_unpaired" (D'Oosterlinck et al. 2024): desirable 1 − σ(β r), undesirable σ(β r), no z_ref.
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import { clipAndApply, disposeGrads } from '../optim/gradients.js';
import type { GradientApplier } from '../optim/tensorAdam.js';
import { checkChoice, checkNumber, mergeKnown } from './resolve.js';
import { sequenceLogprobs, tfSequenceLogprobs } from './dpo.js';
import type { LogprobForward } from './types.js';

export const KTO_LOSS_TYPES = ['kto', 'apo_zero_unpaired'] as const;
export type KTOLossType = (typeof KTO_LOSS_TYPES)[number];

/** KTO hyperparameters, with TRL's names and defaults (trl/trainer/kto_config.py). */
export interface KTOConfig {
  /** β: higher means less deviation from the reference (TRL beta, 0.1) */
  beta: number;
  /** λ_D, weight of desirable (👍) examples, to balance unequal counts (TRL desirable_weight, 1.0) */
  desirableWeight: number;
  /** λ_U, weight of undesirable (👎) examples (TRL undesirable_weight, 1.0) */
  undesirableWeight: number;
  /** "kto" (with z_ref) or "apo_zero_unpaired" (TRL loss_type, "kto") */
  lossType: KTOLossType;
  /** α, for trainers that build the optimizer (TRL learning_rate, 1e-6) */
  learningRate: number;
  /** examples per gradient step; also the group the mismatched KL pairs are formed in (TRL per_device_train_batch_size, 8) */
  batchSize: number;
  /** passes over the examples (TRL num_train_epochs, 3) */
  epochs: number;
  /** clip gradients to this global norm; null = no clipping (TRL max_grad_norm, 1.0) */
  maxGradNorm: number | null;
}

export const DEFAULT_KTO_CONFIG: Readonly<KTOConfig> = Object.freeze({
  beta: 0.1,
  desirableWeight: 1,
  undesirableWeight: 1,
  lossType: 'kto',
  learningRate: 1e-6,
  batchSize: 8,
  epochs: 3,
  maxGradNorm: 1,
});

/** Defaults + overrides, validated; ConfigError names the field. */
export function resolveKTOConfig(overrides: Partial<KTOConfig> | Record<string, unknown> = {}): KTOConfig {
  const c = mergeKnown('KTO', DEFAULT_KTO_CONFIG as KTOConfig, overrides as Record<string, unknown>);
  checkNumber('beta', c.beta, 0, Infinity, { loOpen: true, hiOpen: true });
  checkNumber('desirableWeight', c.desirableWeight, 0, Infinity, { hiOpen: true });
  checkNumber('undesirableWeight', c.undesirableWeight, 0, Infinity, { hiOpen: true });
  checkChoice('lossType', c.lossType, KTO_LOSS_TYPES);
  checkNumber('learningRate', c.learningRate, 0, 1, { loOpen: true });
  checkNumber('batchSize', c.batchSize, 1, 1e7, { integer: true });
  checkNumber('epochs', c.epochs, 1, 1e6, { integer: true });
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Infinity, { loOpen: true });
  return c;
}

/** z_ref = max(0, mean_j (log π_θ(y'_j|x_j) − log π_ref(y'_j|x_j))) on the mismatched pairs (a number: no gradient). */
export function ktoKlEstimate(klLogps: ArrayLike<number>, refKlLogps: ArrayLike<number>): number {
  if (klLogps.length !== refKlLogps.length || klLogps.length === 0) throw new ShapeError(`ktoKlEstimate: needs two equally long non-empty arrays, got ${klLogps.length} and ${refKlLogps.length}`);
  let s = 0;
  for (let i = 0; i < klLogps.length; i++) s += klLogps[i]! - refKlLogps[i]!;
  return Math.max(0, s / klLogps.length);
}

export interface KTOLossOutputs {
  /** L, mean over the batch */
  loss: tf.Scalar;
  /** [N] per-example losses ℓ */
  losses: tf.Tensor1D;
  /** [N] β·r, the implicit rewards (diagnostics) */
  rewards: tf.Tensor1D;
}

/**
 * The KTO loss (see the file comment). policyLogps, refLogps and labels are [N] (label 1 = 👍, 0 = 👎, or a
 * probability in between); `kl` is z_ref (ktoKlEstimate; ignored by apo_zero_unpaired).
 */
export function ktoLoss(policyLogps: tf.Tensor1D, refLogps: tf.Tensor1D, labels: tf.Tensor1D, kl: number, c: Pick<KTOConfig, 'beta' | 'desirableWeight' | 'undesirableWeight' | 'lossType'>): KTOLossOutputs {
  const N = policyLogps.shape[0];
  if (refLogps.shape[0] !== N || labels.shape[0] !== N) throw new ShapeError(`ktoLoss: policyLogps, refLogps and labels must all have N = ${N} entries`);
  if (!(kl >= 0)) throw new ShapeError(`ktoLoss: the KL estimate z_ref must be ≥ 0 (clamped), got ${kl}`);
  return tf.tidy(() => {
    const r = tf.sub(policyLogps, refLogps); // [N] log π_θ − log π_ref
    const z = c.lossType === 'kto' ? kl : 0;
    // 1 − σ(β(r − z)) = σ(−β(r − z)); apo_zero_unpaired's undesirable term σ(β r) = 1 − σ(−β r)
    const desirable = tf.sigmoid(tf.mul(-c.beta, tf.sub(r, z))); // [N]
    const undesirable = c.lossType === 'kto' ? tf.sigmoid(tf.mul(-c.beta, tf.sub(z, r))) : tf.sigmoid(tf.mul(c.beta, r)); // [N]
    const losses = tf.add(tf.mul(tf.mul(labels, c.desirableWeight), desirable), tf.mul(tf.mul(tf.sub(1, labels), c.undesirableWeight), undesirable)) as tf.Tensor1D; // [N]
    const out: KTOLossOutputs = { loss: tf.mean(losses) as tf.Scalar, losses, rewards: tf.mul(c.beta, r) as tf.Tensor1D };
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as KTOLossOutputs;
}

/**
 * The mismatched pairs of a batch, as TRL rotates them: (x_1, y_n), (x_2, y_1), …, (x_n, y_{n−1}).
 * Returns the token rows prompt_i + completion_{i−1}, and how long each completion part is.
 */
export function ktoMismatchedPairs(prompts: readonly (readonly number[])[], completions: readonly (readonly number[])[]): { rows: number[][]; completionLengths: number[] } {
  const n = prompts.length;
  if (completions.length !== n || n === 0) throw new ShapeError(`ktoMismatchedPairs: ${n} prompts and ${completions.length} completions; expected as many, at least one`);
  const rows: number[][] = [];
  const completionLengths: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = completions[(i + n - 1) % n]!;
    rows.push([...prompts[i]!, ...y]);
    completionLengths.push(y.length);
  }
  return { rows, completionLengths };
}

/**
 * N rated examples and M mismatched rows as padded token rows [·, T] (prompt + completion); the loss masks are 1 on
 * the completion tokens. `labels` [N]: 1 👍, 0 👎 (or a probability).
 */
export interface KTOBatch {
  n: number;
  length: number;
  ids: Int32Array;
  mask: Float32Array;
  lossMask: Float32Array;
  labels: Float32Array;
  /** the mismatched rows (ktoMismatchedPairs), M of them; absent with apo_zero_unpaired */
  klRows?: { m: number; ids: Int32Array; mask: Float32Array; lossMask: Float32Array };
  /** [N] precomputed log π_ref(y|x); computed from ctx.reference when absent */
  refLogps?: Float32Array;
  /** [M] precomputed log π_ref of the mismatched rows */
  refKlLogps?: Float32Array;
}

export interface KTOStepContext {
  config: KTOConfig;
  policy: LogprobForward;
  /** the reference policy (adapters off); needed unless the batch carries reference log-probs */
  reference?: LogprobForward;
  optimizer: GradientApplier;
  variables?: tf.Variable[];
}

/**
 * One gradient step of KTO on a batch: 1) reference log-probs and the KL estimate z_ref without gradient;
 * 2) the loss of the rated rows and its gradient, clipped and applied. Leaves no tensors behind. Returns TRL's
 * metric names: loss, kl, rewards/chosen, rewards/rejected, rewards/margins, logps/chosen, logps/rejected (means over
 * the examples labelled 👍 (μ ≥ ½) and 👎), grad_norm.
 */
export function ktoStep(batch: KTOBatch, ctx: KTOStepContext): Record<string, number> {
  const c = ctx.config;
  const N = batch.n;
  const T = batch.length;
  for (const [name, a] of [['ids', batch.ids], ['mask', batch.mask], ['lossMask', batch.lossMask]] as const)
    if (a.length !== N * T) throw new ShapeError(`KTO batch: ${name} has ${a.length} entries, expected N·T = ${N}·${T}`);
  if (batch.labels.length !== N) throw new ShapeError(`KTO batch: labels has ${batch.labels.length} entries, expected N = ${N}`);
  const need = (): LogprobForward => {
    if (!ctx.reference) throw new ShapeError('ktoStep needs reference log-probs: pass ctx.reference or batch.refLogps/refKlLogps');
    return ctx.reference;
  };
  // 1. reference log-probs and z_ref (no gradient)
  const refLogps = batch.refLogps ?? sequenceLogprobs(need(), batch.ids, batch.mask, batch.lossMask, N, T);
  if (refLogps.length !== N) throw new ShapeError(`KTO batch: refLogps has ${refLogps.length} entries, expected ${N}`);
  let kl = 0;
  if (c.lossType === 'kto') {
    const k = batch.klRows;
    if (!k) throw new ShapeError('KTO batch: loss type "kto" needs the mismatched rows (klRows) for its KL estimate');
    const Tk = k.ids.length / k.m;
    const policyKl = sequenceLogprobs(ctx.policy, k.ids, k.mask, k.lossMask, k.m, Tk);
    const refKl = batch.refKlLogps ?? sequenceLogprobs(need(), k.ids, k.mask, k.lossMask, k.m, Tk);
    kl = ktoKlEstimate(policyKl, refKl);
  }
  // 2. the loss and its gradient
  const ids = tf.tensor2d(batch.ids, [N, T], 'int32');
  const mask = tf.tensor2d(batch.mask, [N, T]);
  const lossMask = tf.tensor2d(batch.lossMask, [N, T]);
  const ref = tf.tensor1d(refLogps);
  const labels = tf.tensor1d(batch.labels);
  let kept: tf.Tensor[] = [];
  try {
    const { value, grads } = tf.variableGrads(() => {
      const logps = tfSequenceLogprobs(ctx.policy, ids, mask, lossMask); // [N]
      const out = ktoLoss(logps, ref, labels, kl, c);
      kept = [tf.keep(out.rewards), tf.keep(tf.clone(logps))];
      return out.loss;
    }, ctx.variables);
    const loss = value.dataSync()[0]!;
    value.dispose();
    const gradNorm = clipAndApply(ctx.optimizer, grads, c.maxGradNorm);
    disposeGrads(grads);
    const rewards = kept[0]!.dataSync();
    const logps = kept[1]!.dataSync();
    const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
    const up = Array.from(batch.labels, (l, i) => (l >= 0.5 ? i : -1)).filter((i) => i >= 0);
    const down = Array.from(batch.labels, (l, i) => (l < 0.5 ? i : -1)).filter((i) => i >= 0);
    const stats: Record<string, number> = {
      loss,
      kl,
      'rewards/chosen': mean(up.map((i) => rewards[i]!)),
      'rewards/rejected': mean(down.map((i) => rewards[i]!)),
      'logps/chosen': mean(up.map((i) => logps[i]!)),
      'logps/rejected': mean(down.map((i) => logps[i]!)),
    };
    stats['rewards/margins'] = stats['rewards/chosen']! - stats['rewards/rejected']!;
    if (c.maxGradNorm !== null) stats['grad_norm'] = gradNorm;
    return stats;
  } finally {
    tf.dispose(kept);
    tf.dispose([ids, mask, lossMask, ref, labels]);
  }
}
