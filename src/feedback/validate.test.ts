import { describe, expect, it } from 'vitest';
import type { Query } from './types.js';
import {
  FieldError,
  canonicalJson,
  checkJudgementFitsQuery,
  validateJudgement,
  validateJudgementRecord,
  validateQuery,
} from './validate.js';

const sample = (id: string) => ({ id, domain: 'gridworld', payload: { path: [0, 1, 2] } });
const cmpQuery = { id: 'q1', runId: 'r1', kind: 'comparison', samples: [sample('a'), sample('b')], iteration: 0 };

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FieldError);
    return (e as FieldError).field;
  }
  throw new Error('expected a FieldError');
}

describe('validateQuery', () => {
  it('accepts a valid comparison query and fills runId', () => {
    const { runId: _r, ...noRun } = cmpQuery;
    const q = validateQuery(noRun, 'query', { runId: 'r1' });
    expect(q.runId).toBe('r1');
    expect(q.samples.map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('names the offending field', () => {
    expect(fieldOf(() => validateQuery({ ...cmpQuery, kind: 'vote' }))).toBe('query.kind');
    expect(fieldOf(() => validateQuery({ ...cmpQuery, samples: [sample('a')] }))).toBe('query.samples');
    expect(fieldOf(() => validateQuery({ ...cmpQuery, samples: [sample('a'), { id: 'b/..', domain: 'g', payload: 1 }] }))).toBe(
      'query.samples.1.id',
    );
    expect(fieldOf(() => validateQuery({ ...cmpQuery, samples: [sample('a'), sample('a')] }))).toBe('query.samples.1.id');
    expect(fieldOf(() => validateQuery({ ...cmpQuery, iteration: 1.5 }))).toBe('query.iteration');
    expect(fieldOf(() => validateQuery({ ...cmpQuery, predicted: 2 }))).toBe('query.predicted');
    expect(fieldOf(() => validateQuery({ ...cmpQuery, extra: 1 }))).toBe('query.extra');
    expect(fieldOf(() => validateQuery(cmpQuery, 'q', { runId: 'other' }))).toBe('q.runId');
    expect(fieldOf(() => validateQuery({ ...cmpQuery, samples: [{ id: 'a', domain: 'g' }, sample('b')] }))).toBe('query.samples.0.payload');
  });

  it('checks sample counts per kind', () => {
    expect(() => validateQuery({ ...cmpQuery, kind: 'rating' })).toThrow(/exactly 1/);
    expect(validateQuery({ ...cmpQuery, kind: 'ranking' }).kind).toBe('ranking');
  });
});

describe('validateJudgement', () => {
  it('accepts each kind', () => {
    expect(validateJudgement({ kind: 'rating', sampleId: 'a', value: 1 }).kind).toBe('rating');
    expect(validateJudgement({ kind: 'comparison', leftId: 'a', rightId: 'b', preferred: 'tie' }).kind).toBe('comparison');
    expect(validateJudgement({ kind: 'ranking', sampleIds: ['b', 'a'] }).kind).toBe('ranking');
    expect(validateJudgement({ kind: 'correction', sampleId: 'a', label: 3, correct: false }).kind).toBe('correction');
  });

  it('rejects wrong types naming the field', () => {
    expect(fieldOf(() => validateJudgement({ kind: 'comparison', leftId: 'a', rightId: 'b', preferred: 'up' }))).toBe('judgement.preferred');
    expect(fieldOf(() => validateJudgement({ kind: 'rating', sampleId: 'a', value: '1' }))).toBe('judgement.value');
    expect(fieldOf(() => validateJudgement({ kind: 'rating', sampleId: 'a', value: Number.NaN }))).toBe('judgement.value');
    expect(fieldOf(() => validateJudgement({ kind: 'ranking', sampleIds: ['a', 'a'] }))).toBe('judgement.sampleIds');
    expect(fieldOf(() => validateJudgement({ kind: 'correction', sampleId: 'a', label: '' }))).toBe('judgement.label');
    expect(fieldOf(() => validateJudgement(null))).toBe('judgement');
    expect(fieldOf(() => validateJudgement({ kind: 'rating', sampleId: 'a', value: 1, who: 'x' }))).toBe('judgement.who');
  });
});

describe('checkJudgementFitsQuery', () => {
  const q = validateQuery(cmpQuery) as Query;
  it('accepts the matching comparison', () => {
    expect(() => checkJudgementFitsQuery({ kind: 'comparison', leftId: 'a', rightId: 'b', preferred: 'left' }, q)).not.toThrow();
  });
  it('rejects swapped ids and wrong kinds', () => {
    expect(fieldOf(() => checkJudgementFitsQuery({ kind: 'comparison', leftId: 'b', rightId: 'a', preferred: 'left' }, q))).toBe(
      'judgement.leftId',
    );
    expect(fieldOf(() => checkJudgementFitsQuery({ kind: 'rating', sampleId: 'a', value: 1 }, q))).toBe('judgement.kind');
    const rq = validateQuery({ ...cmpQuery, kind: 'ranking', samples: [sample('a'), sample('b'), sample('c')] });
    expect(fieldOf(() => checkJudgementFitsQuery({ kind: 'ranking', sampleIds: ['a', 'b'] }, rq))).toBe('judgement.sampleIds');
    expect(() => checkJudgementFitsQuery({ kind: 'ranking', sampleIds: ['c', 'a', 'b'] }, rq)).not.toThrow();
  });
});

describe('validateJudgementRecord', () => {
  it('accepts teacher names and normalizes the date', () => {
    const r = validateJudgementRecord({
      queryId: 'q1',
      runId: 'r1',
      annotator: 'teacher:oracle',
      judgement: { kind: 'rating', sampleId: 'a', value: 0 },
      createdAt: '2024-01-02T03:04:05Z',
    });
    expect(r.createdAt).toBe('2024-01-02T03:04:05.000Z');
    expect(fieldOf(() => validateJudgementRecord({ ...r, annotator: 'bob smith' }))).toBe('record.annotator');
    expect(fieldOf(() => validateJudgementRecord({ ...r, createdAt: 'yesterday' }))).toBe('record.createdAt');
  });
});

describe('canonicalJson', () => {
  it('ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });
});
