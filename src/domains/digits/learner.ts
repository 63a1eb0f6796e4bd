/**
 * Step 4 of the loop (fit): the models learn from the judged batch, step by step in order. The thumbs are the reward
 * itself (no reward model to fit), so this is where the policy improves:
 *   👍/👎 r:      REINFORCE on the latent policy with the per-class moving baseline (policy.ts):
 *                 A = r − b_c;  θ_c += α_θ A (e_k − π_c);  μ_{c,k} += α_μ A (z − μ_{c,k});  b_c ← β b_c + (1 − β) r
 *   an answer:    one Adam step of the classifier on [the answer + replayed answers + warm-start rehearsal]
 *                 (corrections.ts): −log p(y|x) for a label y, −log(1 − p(ŷ|x)) for "incorrect" without one
 * Unanswered items (null) teach nothing. The feedback so far (every thumb, the corrections, the labels) is kept for
 * the metrics and the summary, and checkpointed.
 */
import { FeedbackError } from '../../core/errors.js';
import type { Metrics, RewardLearner } from '../../loop/parts.js';
import type { DigitsBatch, DigitsLabel } from './batch.js';
import type { DigitsSession } from './session.js';

/** Steps over which `feedback/thumbs_up_rate` is averaged. */
export const THUMBS_WINDOW = 100;

/** The feedback history (JSON part of a checkpoint). */
export interface FeedbackHistory {
  /** informative labels so far (👍/👎 and answers) */
  labels: number;
  /** every rating's r, in order */
  thumbs: number[];
  /** answers that said "incorrect" */
  corrections: number;
}

const mean = (a: readonly number[]) => (a.length > 0 ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);

export class DigitsLearner implements RewardLearner<DigitsBatch, DigitsLabel> {
  private readonly session: DigitsSession;
  history: FeedbackHistory = { labels: 0, thumbs: [], corrections: 0 };

  constructor(session: DigitsSession) {
    this.session = session;
  }

  fit(b: DigitsBatch, labels: DigitsLabel[]): Metrics {
    if (labels.length !== 2 * b.generations.length) throw new FeedbackError(`a digits batch of ${b.generations.length} steps takes ${2 * b.generations.length} labels, got ${labels.length}`);
    const h = this.history;
    const ups: number[] = [];
    const advantages: number[] = [];
    const right: number[] = [];
    const losses: number[] = [];
    b.generations.forEach((g, j) => {
      // 1) the rating of step j's image: REINFORCE
      const r = labels[2 * j];
      if (r !== null && r !== undefined) {
        if (typeof r !== 'number') throw new FeedbackError(`item ${2 * j} of the batch is a rating: its label is P(👍), got ${JSON.stringify(r)}`);
        advantages.push(this.session.rate(g, r)); // A = r − b_c
        ups.push(r);
        h.thumbs.push(r);
        h.labels++;
      }
      // 2) the answer about step j's prediction: one replay + rehearsal Adam step
      const a = labels[2 * j + 1];
      if (a !== null && a !== undefined) {
        if (typeof a !== 'object') throw new FeedbackError(`item ${2 * j + 1} of the batch is a correction: its label is an answer, got ${JSON.stringify(a)}`);
        const q = b.classifications[j]!;
        losses.push(this.session.answer(q.index, { predicted: q.predicted, ...a }));
        right.push(a.correct ? 1 : 0);
        if (!a.correct) h.corrections++;
        h.labels++;
      }
    });
    const m: Metrics = { 'feedback/labels': h.labels };
    if (b.generations.length === 1) m['feedback/class'] = b.generations[0]!.cls;
    m['feedback/thumbs_up'] = mean(ups);
    m['feedback/thumbs_up_rate'] = mean(h.thumbs.slice(-THUMBS_WINDOW));
    m['policy/advantage'] = mean(advantages);
    m['classifier/prediction_correct'] = mean(right);
    m['classifier/loss'] = mean(losses);
    return m;
  }
}
