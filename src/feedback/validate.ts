/**
 * Runtime validation of samples, queries and judgements arriving as JSON (HTTP bodies, JSONL imports, the loop).
 * Every failure is a FieldError whose `field` is the dotted path of the offending value ("queries.3.samples.1.id")
 * and whose message says what was expected and what was received.
 */
import { FeedbackError } from '../core/errors.js';
import type { Judgement, JudgementRecord, Preference, Query, QueryKind, Sample } from './types.js';

/** A judgement/query/sample field is invalid. `field` is the dotted path of the value. */
export class FieldError extends FeedbackError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** Ids of runs, queries and samples: safe in URL paths and file names. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Annotator names: like ids but without ':' (reserved for "teacher:<name>"). */
export const ANNOTATOR_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** Recorded judge names: a person's name or "teacher:<name>". */
export const JUDGE_NAME_PATTERN = /^(teacher:)?[A-Za-z0-9_.-]{1,64}$/;

export const QUERY_KINDS: readonly QueryKind[] = ['rating', 'comparison', 'ranking', 'correction'];
export const PREFERENCES: readonly Preference[] = ['left', 'right', 'tie', 'skip'];
/** Most samples a ranking query may show. */
export const MAX_RANKING_SAMPLES = 32;
/** Longest correction label. */
export const MAX_LABEL_LENGTH = 256;

type Obj = Record<string, unknown>;

/** Short, safe description of a received value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

export function expectObject(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FieldError(path, `expected an object, got ${describe(v)}`);
  return v as Obj;
}

/** Rejects keys outside `allowed` (typos would otherwise be dropped silently). */
export function rejectUnknownKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new FieldError(join(path, k), `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

export function expectId(v: unknown, path: string, pattern: RegExp = ID_PATTERN): string {
  if (typeof v !== 'string') throw new FieldError(path, `expected a string id, got ${describe(v)}`);
  if (!pattern.test(v)) throw new FieldError(path, `id ${describe(v)} must match ${pattern.source}`);
  return v;
}

function expectString(v: unknown, path: string, maxLen: number): string {
  if (typeof v !== 'string' || v.length === 0) throw new FieldError(path, `expected a non-empty string, got ${describe(v)}`);
  if (v.length > maxLen) throw new FieldError(path, `string longer than ${maxLen} characters`);
  return v;
}

function expectFinite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FieldError(path, `expected a finite number, got ${describe(v)}`);
  return v;
}

function expectInteger(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new FieldError(path, `expected an integer ≥ ${min}, got ${describe(v)}`);
  }
  return v;
}

function expectOneOf<T extends string>(v: unknown, options: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    throw new FieldError(path, `expected one of ${options.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** Checks one sample: `{ id, domain, payload }`; the payload is any JSON value (not undefined). */
export function validateSample(v: unknown, path = 'sample'): Sample {
  const o = expectObject(v, path);
  rejectUnknownKeys(o, ['id', 'domain', 'payload'], path);
  const id = expectId(o.id, join(path, 'id'));
  const domain = expectId(o.domain, join(path, 'domain'));
  if (!('payload' in o) || o.payload === undefined) throw new FieldError(join(path, 'payload'), 'missing (use null for no payload)');
  return { id, domain, payload: o.payload };
}

/** How many samples a query of each kind shows. */
function checkSampleCount(kind: QueryKind, n: number, path: string): void {
  const ok =
    kind === 'comparison' ? n === 2 : kind === 'ranking' ? n >= 2 && n <= MAX_RANKING_SAMPLES : n === 1;
  if (!ok) {
    const want =
      kind === 'comparison' ? 'exactly 2 (left, right)' : kind === 'ranking' ? `2..${MAX_RANKING_SAMPLES}` : 'exactly 1';
    throw new FieldError(path, `a ${kind} query shows ${want} samples, got ${n}`);
  }
}

export interface ValidateQueryOptions {
  /** the run the query must belong to; fills `runId` when the input has none */
  runId?: string;
}

/** Checks a query; sample ids must be unique within it. */
export function validateQuery(v: unknown, path = 'query', opts: ValidateQueryOptions = {}): Query {
  const o = expectObject(v, path);
  rejectUnknownKeys(o, ['id', 'runId', 'kind', 'samples', 'iteration', 'predicted'], path);
  const id = expectId(o.id, join(path, 'id'));
  let runId: string;
  if (o.runId === undefined) {
    if (opts.runId === undefined) throw new FieldError(join(path, 'runId'), 'missing');
    runId = opts.runId;
  } else {
    runId = expectId(o.runId, join(path, 'runId'));
    if (opts.runId !== undefined && runId !== opts.runId) {
      throw new FieldError(join(path, 'runId'), `belongs to run ${describe(runId)}, expected ${describe(opts.runId)}`);
    }
  }
  const kind = expectOneOf(o.kind, QUERY_KINDS, join(path, 'kind'));
  const samplesPath = join(path, 'samples');
  if (!Array.isArray(o.samples)) throw new FieldError(samplesPath, `expected an array, got ${describe(o.samples)}`);
  checkSampleCount(kind, o.samples.length, samplesPath);
  const samples = o.samples.map((s, i) => validateSample(s, join(samplesPath, i)));
  const seen = new Set<string>();
  samples.forEach((s, i) => {
    if (seen.has(s.id)) throw new FieldError(join(join(samplesPath, i), 'id'), `duplicate sample id ${describe(s.id)}`);
    seen.add(s.id);
  });
  const iteration = expectInteger(o.iteration, join(path, 'iteration'), 0);
  const q: Query = { id, runId, kind, samples, iteration };
  if (o.predicted !== undefined) {
    const p = expectFinite(o.predicted, join(path, 'predicted'));
    if (p < 0 || p > 1) throw new FieldError(join(path, 'predicted'), `expected a probability in [0, 1], got ${p}`);
    q.predicted = p;
  }
  return q;
}

/** Checks a judgement on its own (shape and types); see checkJudgementFitsQuery for the query. */
export function validateJudgement(v: unknown, path = 'judgement'): Judgement {
  const o = expectObject(v, path);
  const kind = expectOneOf(o.kind, QUERY_KINDS, join(path, 'kind'));
  switch (kind) {
    case 'rating':
      rejectUnknownKeys(o, ['kind', 'sampleId', 'value'], path);
      return { kind, sampleId: expectId(o.sampleId, join(path, 'sampleId')), value: expectFinite(o.value, join(path, 'value')) };
    case 'comparison':
      rejectUnknownKeys(o, ['kind', 'leftId', 'rightId', 'preferred'], path);
      return {
        kind,
        leftId: expectId(o.leftId, join(path, 'leftId')),
        rightId: expectId(o.rightId, join(path, 'rightId')),
        preferred: expectOneOf(o.preferred, PREFERENCES, join(path, 'preferred')),
      };
    case 'ranking': {
      rejectUnknownKeys(o, ['kind', 'sampleIds'], path);
      const p = join(path, 'sampleIds');
      if (!Array.isArray(o.sampleIds)) throw new FieldError(p, `expected an array of sample ids, got ${describe(o.sampleIds)}`);
      if (o.sampleIds.length < 2 || o.sampleIds.length > MAX_RANKING_SAMPLES) {
        throw new FieldError(p, `a ranking orders 2..${MAX_RANKING_SAMPLES} samples, got ${o.sampleIds.length}`);
      }
      const ids = o.sampleIds.map((s, i) => expectId(s, join(p, i)));
      if (new Set(ids).size !== ids.length) throw new FieldError(p, 'a sample id appears twice');
      return { kind, sampleIds: ids };
    }
    case 'correction': {
      rejectUnknownKeys(o, ['kind', 'sampleId', 'label', 'correct'], path);
      const lp = join(path, 'label');
      const label = typeof o.label === 'number' ? expectFinite(o.label, lp) : expectString(o.label, lp, MAX_LABEL_LENGTH);
      const j: Judgement = { kind, sampleId: expectId(o.sampleId, join(path, 'sampleId')), label };
      if (o.correct !== undefined) {
        if (typeof o.correct !== 'boolean') throw new FieldError(join(path, 'correct'), `expected a boolean, got ${describe(o.correct)}`);
        j.correct = o.correct;
      }
      return j;
    }
  }
}

/** Checks that a (valid) judgement answers the (valid) query: same kind, the query's sample ids. */
export function checkJudgementFitsQuery(j: Judgement, q: Query, path = 'judgement'): void {
  if (j.kind !== q.kind) throw new FieldError(join(path, 'kind'), `the query is a ${q.kind} query, got a ${j.kind} judgement`);
  const ids = q.samples.map((s) => s.id);
  switch (j.kind) {
    case 'comparison':
      if (j.leftId !== ids[0]) throw new FieldError(join(path, 'leftId'), `expected ${describe(ids[0])} (the query's left sample), got ${describe(j.leftId)}`);
      if (j.rightId !== ids[1]) throw new FieldError(join(path, 'rightId'), `expected ${describe(ids[1])} (the query's right sample), got ${describe(j.rightId)}`);
      return;
    case 'rating':
    case 'correction':
      if (j.sampleId !== ids[0]) throw new FieldError(join(path, 'sampleId'), `expected ${describe(ids[0])} (the query's sample), got ${describe(j.sampleId)}`);
      return;
    case 'ranking': {
      const want = new Set(ids);
      if (j.sampleIds.length !== ids.length || !j.sampleIds.every((s) => want.has(s))) {
        throw new FieldError(join(path, 'sampleIds'), `expected a permutation of the query's ${ids.length} sample ids (${ids.join(', ')})`);
      }
      return;
    }
  }
}

/** Checks a stored/exported judgement record (JSONL import). */
export function validateJudgementRecord(v: unknown, path = 'record'): JudgementRecord {
  const o = expectObject(v, path);
  rejectUnknownKeys(o, ['queryId', 'runId', 'annotator', 'judgement', 'createdAt'], path);
  const createdAt = o.createdAt;
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) {
    throw new FieldError(join(path, 'createdAt'), `expected an ISO 8601 date string, got ${describe(createdAt)}`);
  }
  return {
    queryId: expectId(o.queryId, join(path, 'queryId')),
    runId: expectId(o.runId, join(path, 'runId')),
    annotator: expectId(o.annotator, join(path, 'annotator'), JUDGE_NAME_PATTERN),
    judgement: validateJudgement(o.judgement, join(path, 'judgement')),
    createdAt: new Date(createdAt).toISOString(),
  };
}

/**
 * Canonical JSON (object keys sorted): two judgements are "the same content" when their canonical forms match.
 * Used for idempotent retries.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Obj;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
