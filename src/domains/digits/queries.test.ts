import { describe, expect, it } from 'vitest';
import type { JudgementRecord, Query } from '../../feedback/types.js';
import type { DigitsBatch, PredictionAnswer } from './batch.js';
import type { DigitsClassificationPayload, DigitsGenerationPayload } from './payload.js';
import { answerOf, digitsQueryMaker, majorityAnswer } from './queries.js';

/** A batch of two steps with tiny 2×2 images. */
const batch: DigitsBatch = {
  first: 1,
  generations: [
    { cls: 3, option: 1, z: new Float32Array([0.1, 0.2]), prob: 0.25, image: new Float32Array([0, 1, 0.5, 0]) },
    { cls: 8, option: 0, z: new Float32Array([0, 0]), prob: 0.5, image: new Float32Array([1, 1, 1, 1]) },
  ],
  classifications: [
    { index: 7, image: new Float32Array([0, 0, 1, 1]), predicted: 2, confidence: 0.6, probs: new Float32Array([0.1, 0, 0.6, 0.3, 0, 0, 0, 0, 0, 0]) },
    { index: 9, image: new Float32Array([1, 0, 0, 1]), predicted: 5, confidence: 0.9, probs: new Float32Array(10).fill(0.01) },
  ],
};
const classes = Array.from({ length: 10 }, (_, c) => `class ${c}`);
const maker = digitsQueryMaker({ classes, rows: 2, cols: 2 });
const rec = (q: Query, judgement: JudgementRecord['judgement'], annotator = 'ada'): JudgementRecord => ({ queryId: q.id, runId: 'r', annotator, judgement, createdAt: '2025-01-01T00:00:00.000Z' });

describe('digits queries', () => {
  it('a batch of B steps is 2B queries: rating, correction, rating, correction', () => {
    expect(maker.size(batch)).toBe(4);
    const qs = [0, 1, 2, 3].map((i) => maker.query(batch, i, 5, `r:5:${i}`));
    expect(qs.map((q) => q.kind)).toEqual(['rating', 'correction', 'rating', 'correction']);
    const g = qs[2]!.samples[0]!.payload as DigitsGenerationPayload;
    expect(g).toMatchObject({ kind: 'generate', cls: 8, label: 8, option: 0, prob: 0.5, classes });
    expect(g.image).toMatch(/^data:image\/png;base64,/);
    const c = qs[1]!.samples[0]!.payload as DigitsClassificationPayload;
    expect(c).toMatchObject({ kind: 'classify', index: 7, predicted: 2, prediction: 2, confidence: 0.6 });
    expect(c.probs[3]).toBeCloseTo(0.3, 6);
    expect(qs.every((q) => q.iteration === 5 && q.samples[0]!.id === `${q.id}:s` && q.samples[0]!.domain === 'digits')).toBe(true);
    expect(() => maker.query(batch, 4, 5, 'r:5:4')).toThrow(/outside the batch/);
  });

  it("reads people's judgements: the mean thumb of a rating; the most common answer about a prediction", () => {
    const [rating, correction] = [0, 1].map((i) => maker.query(batch, i, 1, `r:1:${i}`)) as [Query, Query];
    const s = (q: Query) => q.samples[0]!.id;
    expect(maker.label!([], rating)).toBeNull();
    expect(maker.label!([rec(rating, { kind: 'rating', sampleId: s(rating), value: 1 }), rec(rating, { kind: 'rating', sampleId: s(rating), value: 1 }, 'bo'), rec(rating, { kind: 'rating', sampleId: s(rating), value: 0 }, 'cy')], rating)).toBeCloseTo(2 / 3, 12);
    expect(maker.label!([], correction)).toBeNull();
    const said = (label: number | string, correct?: boolean) => rec(correction, { kind: 'correction', sampleId: s(correction), label, ...(correct !== undefined ? { correct } : {}) });
    expect(maker.label!([said(2, true)], correction)).toEqual({ correct: true });
    expect(maker.label!([said(2)], correction)).toEqual({ correct: true }); // label = ŷ without `correct`
    expect(maker.label!([said('6', false)], correction)).toEqual({ correct: false, label: 6 });
    expect(maker.label!([said(-1, false)], correction)).toEqual({ correct: false });
    expect(maker.label!([said(6, false), said(4, false), said(4, false)], correction)).toEqual({ correct: false, label: 4 });
    expect(maker.label!([said(42, false)], correction)).toBeNull(); // not a class: says nothing
  });

  it("writes the simulated judge's labels as judgements that read back as the same labels", () => {
    const [rating, correction] = [0, 1].map((i) => maker.query(batch, i, 1, `r:1:${i}`)) as [Query, Query];
    for (const v of [0, 1]) {
      const j = maker.judgement!(rating, v);
      expect(j).toEqual({ kind: 'rating', sampleId: `${rating.id}:s`, value: v });
      expect(maker.label!([rec(rating, j)], rating)).toBe(v);
    }
    const answers: PredictionAnswer[] = [{ correct: true }, { correct: false, label: 7 }, { correct: false }];
    for (const a of answers) {
      const j = maker.judgement!(correction, a);
      expect(j.kind).toBe('correction');
      expect(maker.label!([rec(correction, j)], correction)).toEqual(a);
    }
    expect(maker.judgement!(correction, { correct: true })).toMatchObject({ label: 2, correct: true });
    expect(() => maker.judgement!(rating, { correct: true })).toThrow(/P\(👍\)/);
    expect(() => maker.judgement!(correction, 1)).toThrow(/takes an answer/);
  });

  it('answerOf and majorityAnswer', () => {
    expect(answerOf({ kind: 'rating', sampleId: 's', value: 1 }, 2)).toBeUndefined();
    expect(answerOf({ kind: 'correction', sampleId: 's', label: 2, correct: false }, 2)).toEqual({ correct: false, label: 2 }); // `correct` wins over the label
    expect(majorityAnswer([])).toBeNull();
    expect(majorityAnswer([{ correct: false, label: 1 }, { correct: true }])).toEqual({ correct: false, label: 1 }); // a tie: the first given
  });
});
