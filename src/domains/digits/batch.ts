/**
 * One iteration's batch of the digits loop and what a judge says about it. An iteration is B feedback steps; step j
 * shows two things, so the batch holds 2B items, interleaved so that any prefix asks about whole steps:
 *
 *   item 2j     rating      generations[j]:     an image the latent policy drew for class c_j     → 👍/👎
 *   item 2j + 1 correction  classifications[j]: a pool image with the classifier's prediction ŷ_j → correct / true label
 */
import type { ClassifierAnswer } from './corrections.js';
import type { ClassificationSample, GenerationSample } from './session.js';

export interface DigitsBatch {
  /** the first step of the batch (1-based): steps first .. first + n − 1 */
  first: number;
  /** [n] the images to rate, in step order */
  generations: GenerationSample[];
  /** [n] the predictions to answer about, in step order */
  classifications: ClassificationSample[];
}

/** An answer about a shown prediction ŷ: correct, or incorrect with the true class when the judge gave it. */
export type PredictionAnswer = Omit<ClassifierAnswer, 'predicted'>;

/**
 * A judge's answer about one item: for a rating the probability of 👍, r = P(up) ∈ [0, 1] (1 👍, 0 👎; the mean when
 * several people rated it); for a correction the answer about ŷ; null when nobody answered.
 */
export type DigitsLabel = number | PredictionAnswer | null;

/** Items in a batch: two per step. */
export function batchSize(b: DigitsBatch): number {
  return 2 * b.generations.length;
}

/** What item `index` of the batch is about (see the file comment). */
export function batchItem(b: DigitsBatch, index: number): { kind: 'rating'; step: number; sample: GenerationSample } | { kind: 'correction'; step: number; sample: ClassificationSample } {
  const step = index >> 1;
  if (index % 2 === 0) return { kind: 'rating', step, sample: b.generations[step]! };
  return { kind: 'correction', step, sample: b.classifications[step]! };
}
