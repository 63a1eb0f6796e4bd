/**
 * Fits a text reward model to preferences:
 *   comparisons  Bradley–Terry:  P(x_l ≻ x_r) = σ(r(x_l) − r(x_r)),  loss = −[μ log P + (1 − μ) log(1 − P)]
 *   rankings     Plackett–Luce:  P(order) = Πᵢ exp(rᵢ) / Σ_{j≥i} exp(rⱼ)
 * (src/reward/losses.ts). A seeded split holds out a fraction of the judgements; the held-out preference accuracy
 * (decisive comparisons, and every ordered pair of a held-out ranking) is reported after each epoch.
 * Deterministic from the seed: shuffles draw from an Rng, and the wasm backend computes in a fixed order.
 */
import { tf } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { ShapeError } from '../../core/errors.js';
import { bradleyTerryLoss, plackettLuceLoss } from '../losses.js';
import { checkNumber, mergeKnown } from '../../policy/resolve.js';
import { gradientStep } from '../../optim/gradients.js';
import { TensorAdam } from '../../optim/tensorAdam.js';
import { rightPad, type TextRewardModel } from './model.js';

/** A comparison of two token sequences: μ = P(left ≻ right) ∈ [0, 1] (1 left, 0 right, ½ tie). */
export interface TextComparison {
  left: readonly number[];
  right: readonly number[];
  mu: number;
}

/** A ranking of ≥ 2 token sequences, best first. */
export interface TextRanking {
  sequences: ReadonlyArray<readonly number[]>;
}

export interface TextRewardTrainConfig {
  /** passes over the training judgements; default 4 */
  epochs: number;
  /** judgements per gradient step; default 16 */
  batchSize: number;
  /** Adam learning rate; default 1e-3 */
  learningRate: number;
  /** fraction of judgements held out for the accuracy; default 0.2 (0 = none) */
  validationFraction: number;
  /** clip gradients to this global norm; null = none; default 1 */
  maxGradNorm: number | null;
  /** weight of the Plackett–Luce loss relative to Bradley–Terry; default 1 */
  rankingWeight: number;
  /** L2 penalty λ Σ‖θ‖² on every trained weight (head and backbone); default 0 */
  l2: number;
  /** seeds the split and the shuffles; default 0 */
  seed: number;
}

export const DEFAULT_TEXT_REWARD_TRAIN: Readonly<TextRewardTrainConfig> = Object.freeze({
  epochs: 4,
  batchSize: 16,
  learningRate: 1e-3,
  validationFraction: 0.2,
  maxGradNorm: 1,
  rankingWeight: 1,
  l2: 0,
  seed: 0,
});

export function resolveTextRewardTrainConfig(overrides: Partial<TextRewardTrainConfig> | Record<string, unknown> = {}): TextRewardTrainConfig {
  const c = mergeKnown('text reward trainer', DEFAULT_TEXT_REWARD_TRAIN as TextRewardTrainConfig, overrides as Record<string, unknown>);
  checkNumber('epochs', c.epochs, 1, 1e6, { integer: true });
  checkNumber('batchSize', c.batchSize, 1, 1e6, { integer: true });
  checkNumber('learningRate', c.learningRate, 0, 1, { loOpen: true });
  checkNumber('validationFraction', c.validationFraction, 0, 1, { hiOpen: true });
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Infinity, { loOpen: true });
  checkNumber('rankingWeight', c.rankingWeight, 0, Infinity, { hiOpen: true });
  checkNumber('l2', c.l2, 0, Infinity, { hiOpen: true });
  checkNumber('seed', c.seed, -(2 ** 31), 2 ** 32, { integer: true });
  return c;
}

export interface TextRewardEpoch {
  epoch: number;
  /** mean training loss over the epoch's steps */
  trainLoss: number;
  /** accuracy on the training comparisons (decisive only) */
  trainAccuracy: number;
  /** held-out preference accuracy (NaN without held-out judgements) */
  heldOutAccuracy: number;
}

export interface TextRewardFit {
  history: TextRewardEpoch[];
  /** the last epoch's held-out accuracy (NaN without held-out judgements) */
  heldOutAccuracy: number;
  /** number of ordered pairs the held-out accuracy is measured on */
  heldOutPairs: number;
  trainComparisons: number;
  trainRankings: number;
}

/** Accuracy of r on decisive comparisons (μ ≠ ½): r(preferred) > r(other). NaN when there are none. */
export function preferenceAccuracy(model: TextRewardModel, comparisons: readonly TextComparison[]): number {
  const decisive = comparisons.filter((c) => c.mu !== 0.5);
  if (decisive.length === 0) return Number.NaN;
  const scores = model.scoreSequences(decisive.flatMap((c) => [c.left, c.right]));
  let correct = 0;
  decisive.forEach((c, i) => {
    const d = scores[2 * i]! - scores[2 * i + 1]!;
    if ((c.mu > 0.5 && d > 0) || (c.mu < 0.5 && d < 0)) correct++;
  });
  return correct / decisive.length;
}

/** Every ordered pair (better, worse) of a ranking as a decisive comparison. */
export function rankingPairs(r: TextRanking): TextComparison[] {
  const out: TextComparison[] = [];
  for (let i = 0; i < r.sequences.length; i++) for (let j = i + 1; j < r.sequences.length; j++) out.push({ left: r.sequences[i]!, right: r.sequences[j]!, mu: 1 });
  return out;
}

/** Splits items into (train, held-out) with a seeded shuffle. */
function split<T>(items: readonly T[], fraction: number, rng: Rng): { train: T[]; held: T[] } {
  const order = rng.shuffle(items.map((_, i) => i));
  const nHeld = Math.floor(items.length * fraction);
  return { held: order.slice(0, nHeld).map((i) => items[i]!), train: order.slice(nHeld).map((i) => items[i]!) };
}

/**
 * Trains `model` on comparisons (Bradley–Terry) and rankings (Plackett–Luce). Each step takes the next minibatch of
 * comparisons and the next of rankings (either may be empty); the losses add, rankings weighted by `rankingWeight`.
 */
export function fitTextRewardModel(
  model: TextRewardModel,
  data: { comparisons: readonly TextComparison[]; rankings?: readonly TextRanking[] },
  overrides: Partial<TextRewardTrainConfig> = {},
  hooks: { onEpoch?: (e: TextRewardEpoch) => void } = {},
): TextRewardFit {
  const c = resolveTextRewardTrainConfig(overrides);
  for (const [i, x] of data.comparisons.entries()) {
    if (!(x.mu >= 0 && x.mu <= 1)) throw new ShapeError(`comparison ${i}: μ must be in [0, 1], got ${x.mu}`);
    if (x.left.length === 0 || x.right.length === 0) throw new ShapeError(`comparison ${i}: a sequence is empty`);
  }
  for (const [i, r] of (data.rankings ?? []).entries()) {
    if (r.sequences.length < 2) throw new ShapeError(`ranking ${i}: needs at least 2 sequences, got ${r.sequences.length}`);
  }
  const rng = new Rng(c.seed);
  const cmp = split(data.comparisons, c.validationFraction, rng.fork('split-comparisons'));
  const rnk = split(data.rankings ?? [], c.validationFraction, rng.fork('split-rankings'));
  if (cmp.train.length === 0 && rnk.train.length === 0) throw new ShapeError('fitTextRewardModel: no training judgements (all were held out or none were given)');
  const heldPairs = [...cmp.held, ...rnk.held.flatMap(rankingPairs)];
  const shuffler = rng.fork('shuffle');
  const variables = model.trainableVariables();
  const optimizer = new TensorAdam(variables, { lr: c.learningRate, eps: 1e-7 }); // ε: tf.train.adam's, which this trainer was tuned with
  const history: TextRewardEpoch[] = [];
  for (let epoch = 1; epoch <= c.epochs; epoch++) {
    const cOrder = shuffler.shuffle(cmp.train.map((_, i) => i));
    const rOrder = shuffler.shuffle(rnk.train.map((_, i) => i));
    const steps = Math.max(Math.ceil(cOrder.length / c.batchSize), Math.ceil(rOrder.length / c.batchSize));
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      const cb = cOrder.slice(s * c.batchSize, (s + 1) * c.batchSize).map((i) => cmp.train[i]!);
      const rb = rOrder.slice(s * c.batchSize, (s + 1) * c.batchSize).map((i) => rnk.train[i]!);
      const { loss } = gradientStep(() => withL2(batchLoss(model, cb, rb, c.rankingWeight), variables, c.l2), optimizer, { variables, maxGradNorm: c.maxGradNorm });
      lossSum += loss;
    }
    const e: TextRewardEpoch = {
      epoch,
      trainLoss: lossSum / Math.max(1, steps),
      trainAccuracy: preferenceAccuracy(model, cmp.train),
      heldOutAccuracy: preferenceAccuracy(model, heldPairs),
    };
    history.push(e);
    hooks.onEpoch?.(e);
  }
  const decisiveHeld = heldPairs.filter((p) => p.mu !== 0.5).length;
  return {
    history,
    heldOutAccuracy: history[history.length - 1]?.heldOutAccuracy ?? Number.NaN,
    heldOutPairs: decisiveHeld,
    trainComparisons: cmp.train.length,
    trainRankings: rnk.train.length,
  };
}

/** loss + λ Σ‖θ‖² (returns `loss` itself when λ = 0). */
function withL2(loss: tf.Scalar, variables: tf.Variable[], l2: number): tf.Scalar {
  if (l2 === 0 || variables.length === 0) return loss;
  return tf.tidy(() => tf.add(loss, tf.mul(l2, tf.addN(variables.map((v) => tf.sum(tf.square(v)))))) as tf.Scalar);
}

/** Bradley–Terry loss of a comparison batch plus w × Plackett–Luce loss of a ranking batch. */
function batchLoss(model: TextRewardModel, cb: readonly TextComparison[], rb: readonly TextRanking[], rankingWeight: number): tf.Scalar {
  return tf.tidy(() => {
    let loss: tf.Scalar = tf.scalar(0);
    if (cb.length > 0) {
      const M = cb.length;
      const { ids, mask, length } = rightPad([...cb.map((x) => x.left), ...cb.map((x) => x.right)], model.padId);
      const r = model.score(tf.tensor2d(ids, [2 * M, length], 'int32'), tf.tensor2d(mask, [2 * M, length]), { training: true }); // [2M]
      const left = tf.slice(r, [0], [M]) as tf.Tensor1D; // [M]
      const right = tf.slice(r, [M], [M]) as tf.Tensor1D; // [M]
      loss = tf.add(loss, bradleyTerryLoss(left, right, tf.tensor1d(cb.map((x) => x.mu))));
    }
    if (rb.length > 0 && rankingWeight > 0) {
      const K = Math.max(...rb.map((x) => x.sequences.length));
      const seqs: Array<readonly number[]> = [];
      const m = new Float32Array(rb.length * K);
      rb.forEach((x, i) => {
        for (let k = 0; k < K; k++) {
          const s = x.sequences[k];
          seqs.push(s ?? x.sequences[0]!); // padding slots reuse a real sequence; the mask removes them
          if (s) m[i * K + k] = 1;
        }
      });
      const { ids, mask, length } = rightPad(seqs, model.padId);
      const r = model.score(tf.tensor2d(ids, [seqs.length, length], 'int32'), tf.tensor2d(mask, [seqs.length, length]), { training: true }); // [M·K]
      loss = tf.add(loss, tf.mul(rankingWeight, plackettLuceLoss(tf.reshape(r, [rb.length, K]) as tf.Tensor2D, tf.tensor2d(m, [rb.length, K]))));
    }
    return loss;
  });
}
