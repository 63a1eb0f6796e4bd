/**
 * The simulated person (step 3, judge), as the seed's notebook user would answer:
 *   👍/👎:   👍 iff the judge — a classifier trained on all the training images — recognises the asked class c in the
 *            image (argmax of its prediction = c); the label is r = 1 or 0;
 *   answers: truthful; "correct" when ŷ is the true class, otherwise "incorrect" with the true class.
 * Recorded in the store as "teacher:judge" when people are in the loop (--judge mixed fills their gaps with it).
 */
import type { Gatherer } from '../../loop/parts.js';
import type { DigitsBatch, DigitsLabel } from './batch.js';
import type { DigitsModels, DigitsSplits } from './models.js';
import { judgeThumb, truthfulAnswer } from './session.js';

export class DigitsJudge implements Gatherer<DigitsBatch, DigitsLabel> {
  readonly name = 'judge';
  private readonly judge: DigitsModels['judge'];
  /** the true classes of the feedback pool */
  private readonly truth: DigitsSplits['pool']['labels'];

  constructor(models: DigitsModels, splits: DigitsSplits) {
    this.judge = models.judge;
    this.truth = splits.pool.labels;
  }

  gather(b: DigitsBatch): DigitsLabel[] {
    const labels: DigitsLabel[] = [];
    b.generations.forEach((g, j) => {
      const q = b.classifications[j]!;
      labels.push(judgeThumb(this.judge, g.image, g.cls) ? 1 : 0); // item 2j: 👍 = 1, 👎 = 0
      const { predicted: _, ...answer } = truthfulAnswer(q.predicted, this.truth[q.index]!); // item 2j + 1
      labels.push(answer);
    });
    return labels;
  }
}
