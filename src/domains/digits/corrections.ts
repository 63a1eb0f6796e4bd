/**
 * Learning a classifier from people's answers about its predictions.
 *
 * A person sees an image and the classifier's prediction ŷ = argmax p(·|x) and answers:
 *   correct            → the label is ŷ:         loss −log p(ŷ|x)   (REINFORCE with r = 1 on the shown action ŷ)
 *   incorrect + label y → a correction:          loss −log p(y|x)   (cross-entropy)
 *   incorrect, no label → "not ŷ":                loss −log(1 − p(ŷ|x))  (unlikelihood; the r = −1 side)
 * Each answer is stored; each update is one Adam step on a minibatch of
 *   the new answer + `replayFeedback` earlier answers + `replayWarm` examples of the warm-start data,
 * with a small learning rate. The seed took one SGD step on the single new answer alone, and sampled the shown
 * prediction, which over 500 answers drifted the classifier away from its warm start (0.817 → 0.787 held-out).
 * Replaying earlier answers makes every answer count many times; rehearsing the warm-start data keeps what the
 * classifier already knew (no catastrophic forgetting), so accuracy climbs instead of drifting.
 */
import { FeedbackError } from '../../core/errors.js';
import { defineOptions } from '../../core/config/options.js';
import type { Rng } from '../../core/rng.js';
import { tf } from '../../core/tensor.js';
import { NUM_CLASSES, type Dataset } from './data.js';
import type { Classifier } from './classifier.js';
import { TensorAdam } from '../../optim/tensorAdam.js';

export interface CorrectionsConfig {
  /** Adam learning rate of the feedback updates. Default 1e-3. */
  lr: number;
  /** earlier answers replayed in each update (drawn uniformly from all stored answers). Default 15. */
  replayFeedback: number;
  /** warm-start examples rehearsed in each update. Default 240 (minibatch 256: answers are 1/16 of it). */
  replayWarm: number;
  /** weight of the answers' losses relative to the rehearsal's; 0 = ablation (rehearsal only). Default 1. */
  feedbackWeight: number;
}

/** The classifier's learning-from-answers options, each described once. */
export const CORRECTIONS_OPTIONS = defineOptions<CorrectionsConfig>(
  'corrections',
  [
    { key: 'lr', flag: 'classifier-lr', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-3, metavar: 'LR', help: 'Adam learning rate of the feedback updates' },
    { key: 'replayFeedback', type: 'int', min: 0, max: 4096, default: 15, metavar: 'N', help: 'earlier answers replayed per update' },
    { key: 'replayWarm', type: 'int', min: 0, max: 4096, default: 240, metavar: 'N', help: 'warm-start examples rehearsed per update' },
    { key: 'feedbackWeight', type: 'number', min: 0, max: 100, default: 1, metavar: 'W', help: "weight of the answers' losses vs the rehearsal's; 0 = ablation: rehearsal only" },
  ],
  { section: 'classifier answers', path: 'corrections' },
);

export const DEFAULT_CORRECTIONS: CorrectionsConfig = CORRECTIONS_OPTIONS.resolve();

export function resolveCorrectionsConfig(partial: Partial<CorrectionsConfig> = {}): CorrectionsConfig {
  return CORRECTIONS_OPTIONS.resolve(partial);
}

/** One stored answer about the image at `index` of the feedback pool. */
export interface StoredAnswer {
  index: number;
  /** the class the answer is about: the true label (label) or the rejected prediction (not) */
  cls: number;
  kind: 'label' | 'not';
}

/** What a person said about a prediction. */
export interface ClassifierAnswer {
  /** the prediction shown */
  predicted: number;
  correct: boolean;
  /** the true label, when the person gave it (ignored when correct) */
  label?: number;
}

/** Turns an answer into the stored training target. */
export function answerTarget(index: number, a: ClassifierAnswer): StoredAnswer {
  if (a.correct) return { index, cls: a.predicted, kind: 'label' };
  if (a.label !== undefined) {
    if (!(Number.isInteger(a.label) && a.label >= 0 && a.label < NUM_CLASSES)) throw new FeedbackError(`label must be a class 0..${NUM_CLASSES - 1}, got ${a.label}`);
    return { index, cls: a.label, kind: 'label' };
  }
  return { index, cls: a.predicted, kind: 'not' };
}

export class CorrectionLearner {
  readonly config: CorrectionsConfig;
  readonly classifier: Classifier;
  readonly pool: Dataset;
  readonly warm: Dataset;
  readonly answers: StoredAnswer[] = [];
  readonly optimizer: TensorAdam;

  constructor(classifier: Classifier, pool: Dataset, warm: Dataset, config: CorrectionsConfig) {
    this.classifier = classifier;
    this.pool = pool;
    this.warm = warm;
    this.config = config;
    this.optimizer = new TensorAdam(classifier.variables, { lr: config.lr });
  }

  /** p(·|x) for pool image `index`. */
  probs(index: number): Float32Array {
    return this.classifier.predictProbs(this.pool.images.subarray(index * this.pool.dim, (index + 1) * this.pool.dim), 1);
  }

  /**
   * Stores the answer and takes one Adam step on [answer + replayed answers + warm-start rehearsal]:
   *   L = (1/B) Σᵢ wᵢ ℓᵢ,  ℓ = −log p(y|x) (labels) or −log(1 − p(ŷ|x)) (rejections).
   * Returns the minibatch loss.
   */
  apply(index: number, answer: ClassifierAnswer, rng: Rng): number {
    if (!(Number.isInteger(index) && index >= 0 && index < this.pool.n)) throw new FeedbackError(`pool image index must be an integer 0..${this.pool.n - 1}, got ${index}`);
    if (!(Number.isInteger(answer.predicted) && answer.predicted >= 0 && answer.predicted < NUM_CLASSES)) throw new FeedbackError(`predicted must be a class 0..${NUM_CLASSES - 1}, got ${answer.predicted}`);
    const stored = answerTarget(index, answer);
    const { replayFeedback, replayWarm, feedbackWeight } = this.config;
    // 1) the minibatch: the new answer, earlier answers (uniform, with replacement), warm-start rehearsal
    const items: Array<{ ds: Dataset; i: number; cls: number; kind: 'label' | 'not'; w: number }> = [{ ds: this.pool, i: index, cls: stored.cls, kind: stored.kind, w: feedbackWeight }];
    const m = Math.min(replayFeedback, this.answers.length);
    for (let r = 0; r < m; r++) {
      const a = this.answers[rng.int(this.answers.length)]!;
      items.push({ ds: this.pool, i: a.index, cls: a.cls, kind: a.kind, w: feedbackWeight });
    }
    for (let r = 0; r < replayWarm && this.warm.n > 0; r++) {
      const j = rng.int(this.warm.n);
      items.push({ ds: this.warm, i: j, cls: this.warm.labels[j]!, kind: 'label', w: 1 });
    }
    this.answers.push(stored);
    const B = items.length;
    const dim = this.pool.dim;
    const x = new Float32Array(B * dim);
    const labelT = new Float32Array(B * NUM_CLASSES); // one-hot of y for label items
    const notT = new Float32Array(B * NUM_CLASSES); // one-hot of ŷ for rejections
    const w = new Float32Array(B);
    items.forEach((it, b) => {
      x.set(it.ds.images.subarray(it.i * dim, (it.i + 1) * dim), b * dim);
      (it.kind === 'label' ? labelT : notT)[b * NUM_CLASSES + it.cls] = 1;
      w[b] = it.w;
    });
    // 2) one Adam step
    const xt = tf.tensor2d(x, [B, dim]); // [B, 784]
    const lt = tf.tensor2d(labelT, [B, NUM_CLASSES]); // [B, 10]
    const nt = tf.tensor2d(notT, [B, NUM_CLASSES]); // [B, 10]
    const wt = tf.tensor1d(w); // [B]
    const loss = this.optimizer.minimize(
      () => {
        const logp = tf.logSoftmax(this.classifier.logits(xt)); // [B, 10]
        const nll = tf.neg(tf.sum(logp.mul(lt), 1)); // −log p(y|x), 0 for rejections, [B]
        const pRejected = tf.sum(tf.exp(logp).mul(nt), 1); // p(ŷ|x) for rejections, 0 otherwise, [B]
        const unlikely = tf.neg(tf.log(tf.sub(1 + 1e-6, pRejected))); // −log(1 − p(ŷ|x)), ≈0 for label items, [B]
        return tf.mean(nll.add(unlikely).mul(wt)) as tf.Scalar;
      },
      true,
    );
    tf.dispose([xt, lt, nt, wt]);
    return loss;
  }
}
