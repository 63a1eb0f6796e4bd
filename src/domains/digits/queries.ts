/**
 * The digits loop's queries for people (src/loop/people/): item 2j of a batch becomes a rating query (👍/👎 on the
 * image drawn for class c_j), item 2j + 1 a correction query (the classifier's prediction on a pool image), with the
 * payloads of payload.ts. The labels are not a comparison's μ, so the maker also reads people's judgements into a
 * DigitsLabel and writes the simulated judge's labels as judgements:
 *
 *   rating      judgements { value: 1 👍 | 0 👎 }            → r = the mean value (⅔ when two of three said 👍)
 *   correction  judgements { label, correct }                → the most common answer (ties: the earliest):
 *                 correct (or label = ŷ)  → { correct: true }
 *                 label y ≠ ŷ, y in 0..9  → { correct: false, label: y }
 *                 label −1                → { correct: false }   ("incorrect", true class unknown)
 */
import { FeedbackError } from '../../core/errors.js';
import type { Judgement, JudgementRecord, Query } from '../../feedback/types.js';
import { combineJudgements } from '../../loop/people/gatherer.js';
import type { QueryMaker } from '../../loop/parts.js';
import { batchItem, batchSize, type DigitsBatch, type DigitsLabel, type PredictionAnswer } from './batch.js';
import { FASHION_CLASSES, NUM_CLASSES } from './data.js';
import { encodePngGray } from './images.js';
import type { DigitsClassificationPayload, DigitsGenerationPayload } from './payload.js';

/** Class names for people: Fashion-MNIST's when the data directory says so, else the digits. */
export function digitsClassNames(dataDir: string): string[] {
  return Array.from({ length: NUM_CLASSES }, (_, c) => (/fashion/i.test(dataDir) ? FASHION_CLASSES[c]! : String(c)));
}

const dataUrl = (image: Float32Array, rows: number, cols: number) => `data:image/png;base64,${encodePngGray(image, cols, rows).toString('base64')}`;

/** One correction judgement as an answer about ŷ; undefined when it says nothing usable (another kind, a bad label). */
export function answerOf(j: Judgement, predicted: number): PredictionAnswer | undefined {
  if (j.kind !== 'correction') return undefined;
  const label = typeof j.label === 'string' ? Number(j.label) : j.label;
  if (j.correct ?? label === predicted) return { correct: true };
  if (label === -1) return { correct: false };
  if (Number.isInteger(label) && label >= 0 && label < NUM_CLASSES) return { correct: false, label };
  return undefined;
}

/** The most common answer among several (ties: the one given first); null when there is none. */
export function majorityAnswer(answers: PredictionAnswer[]): PredictionAnswer | null {
  const key = (a: PredictionAnswer) => (a.correct ? 'correct' : String(a.label ?? -1));
  const counts = new Map<string, { n: number; answer: PredictionAnswer }>();
  for (const a of answers) {
    const c = counts.get(key(a));
    if (c) c.n++;
    else counts.set(key(a), { n: 1, answer: a });
  }
  let best: { n: number; answer: PredictionAnswer } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c; // Map keeps insertion order: ties go to the earliest
  return best?.answer ?? null;
}

function predictedOf(q: Query): number {
  const p = q.samples[0]?.payload as Partial<DigitsClassificationPayload> | undefined;
  if (typeof p?.predicted !== 'number') throw new FeedbackError(`query ${q.id} is not a digits correction query (its payload has no "predicted")`);
  return p.predicted;
}

/** The digits QueryMaker: `classes` names the classes, images are rows × cols. */
export function digitsQueryMaker(o: { classes: string[]; rows: number; cols: number }): QueryMaker<DigitsBatch, DigitsLabel> {
  const { classes, rows, cols } = o;
  return {
    size: batchSize,
    query(b, index, iteration, id) {
      if (!(Number.isInteger(index) && index >= 0 && index < batchSize(b))) throw new FeedbackError(`item ${index} is outside the batch of ${batchSize(b)}`);
      const item = batchItem(b, index);
      if (item.kind === 'rating') {
        const g = item.sample;
        const payload: DigitsGenerationPayload = { kind: 'generate', cls: g.cls, option: g.option, prob: g.prob, label: g.cls, classes, image: dataUrl(g.image, rows, cols) };
        return { id, runId: '', kind: 'rating', iteration, samples: [{ id: `${id}:s`, domain: 'digits', payload }] };
      }
      const c = item.sample;
      const payload: DigitsClassificationPayload = {
        kind: 'classify',
        index: c.index,
        predicted: c.predicted,
        prediction: c.predicted,
        confidence: c.confidence,
        probs: Array.from(c.probs),
        classes,
        image: dataUrl(c.image, rows, cols),
      };
      return { id, runId: '', kind: 'correction', iteration, samples: [{ id: `${id}:s`, domain: 'digits', payload }] };
    },
    label(records: JudgementRecord[], q: Query): DigitsLabel {
      if (q.kind === 'rating') return combineJudgements(records.filter((r) => r.judgement.kind === 'rating')); // mean P(👍)
      const predicted = predictedOf(q);
      return majorityAnswer(records.map((r) => answerOf(r.judgement, predicted)).filter((a): a is PredictionAnswer => a !== undefined));
    },
    judgement(q: Query, label: DigitsLabel): Judgement {
      const sampleId = q.samples[0]!.id;
      if (q.kind === 'rating') {
        if (typeof label !== 'number') throw new FeedbackError(`the rating query ${q.id} takes P(👍) in [0, 1], got ${JSON.stringify(label)}`);
        return { kind: 'rating', sampleId, value: label };
      }
      if (label === null || typeof label !== 'object') throw new FeedbackError(`the correction query ${q.id} takes an answer, got ${JSON.stringify(label)}`);
      const predicted = predictedOf(q);
      return { kind: 'correction', sampleId, label: label.correct ? predicted : (label.label ?? -1), correct: label.correct };
    },
  };
}
