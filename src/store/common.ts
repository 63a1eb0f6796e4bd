/**
 * Pieces of the store's logic (sqlStore.ts): row ↔ object mapping, input checks and the store's errors.
 */
import { RlhfError, StoreError } from '../core/errors.js';
import type { Judgement, JudgementRecord, Query, QueryKind, Sample } from '../feedback/types.js';
import { ANNOTATOR_NAME_PATTERN, FieldError, JUDGE_NAME_PATTERN, expectId, validateQuery } from '../feedback/validate.js';
import type {
  Annotator,
  JsonObject,
  MetricEvent,
  NewEvent,
  NewRun,
  QueryState,
  Role,
  Run,
  RunStatus,
} from './types.js';
import { RUN_STATUSES } from './types.js';

export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_REDUNDANCY = 100;
/** Longest lease: one day. */
export const MAX_LEASE_MS = 24 * 3600 * 1000;

export const iso = (ms: number): string => new Date(ms).toISOString();

export function notFound(what: string, id: string): RlhfError {
  return new RlhfError('E_NOT_FOUND', `${what} "${id}" does not exist`);
}

export function conflict(message: string): RlhfError {
  return new RlhfError('E_CONFLICT', message);
}

export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new StoreError(`stored ${what} is not valid JSON (the store is corrupt)`, { cause: e });
  }
}

// ---- rows ----------------------------------------------------------------------------------------------------

export interface RunRow {
  id: string;
  domain: string;
  status: string;
  config: string;
  created_at: number;
  updated_at: number;
}

export function rowToRun(r: RunRow): Run {
  return {
    id: r.id,
    domain: r.domain,
    status: r.status as RunStatus,
    config: parseJson<JsonObject>(r.config, 'run config'),
    createdAt: iso(Number(r.created_at)),
    updatedAt: iso(Number(r.updated_at)),
  };
}

export interface AnnotatorRow {
  name: string;
  role: string;
  created_at: number;
}

export function rowToAnnotator(r: AnnotatorRow): Annotator {
  return { name: r.name, role: r.role as Role, createdAt: iso(Number(r.created_at)) };
}

export interface QueryRow {
  seq: number;
  id: string;
  run_id: string;
  iteration: number;
  kind: string;
  body: string;
  wanted: number;
  judged: number;
  lease_annotator: string | null;
  lease_expires: number | null;
}

/** What `queries.body` holds. */
export interface QueryBody {
  samples: Sample[];
  predicted?: number;
}

export function queryBody(q: Query): string {
  const b: QueryBody = { samples: q.samples };
  if (q.predicted !== undefined) b.predicted = q.predicted;
  return JSON.stringify(b);
}

export function rowToQuery(r: QueryRow): Query {
  const b = parseJson<QueryBody>(r.body, 'query');
  const q: Query = { id: r.id, runId: r.run_id, kind: r.kind as QueryKind, samples: b.samples, iteration: Number(r.iteration) };
  if (b.predicted !== undefined) q.predicted = b.predicted;
  return q;
}

export function rowToQueryState(r: QueryRow, now: number): QueryState {
  const wanted = Number(r.wanted);
  const judged = Number(r.judged);
  const expires = r.lease_expires === null ? null : Number(r.lease_expires);
  const leased = judged < wanted && r.lease_annotator !== null && expires !== null && expires > now;
  const s: QueryState = { ...rowToQuery(r), status: judged >= wanted ? 'done' : leased ? 'leased' : 'pending', wanted, judged };
  if (leased) {
    s.leasedTo = r.lease_annotator as string;
    s.leaseExpiresAt = iso(expires as number);
  }
  return s;
}

export interface JudgementRow {
  query_id: string;
  run_id: string;
  annotator: string;
  judgement: string;
  created_at: number;
}

export function rowToJudgement(r: JudgementRow): JudgementRecord {
  return {
    queryId: r.query_id,
    runId: r.run_id,
    annotator: r.annotator,
    judgement: parseJson<Judgement>(r.judgement, 'judgement'),
    createdAt: iso(Number(r.created_at)),
  };
}

export interface EventRow {
  seq: number;
  run_id: string;
  type: string;
  iteration: number | null;
  data: string;
  created_at: number;
}

export function rowToEvent(r: EventRow): MetricEvent {
  return {
    seq: Number(r.seq),
    runId: r.run_id,
    type: r.type,
    iteration: r.iteration === null ? null : Number(r.iteration),
    data: parseJson<JsonObject>(r.data, 'event data'),
    createdAt: iso(Number(r.created_at)),
  };
}

// ---- input checks --------------------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkNewRun(r: NewRun): Required<NewRun> {
  expectId(r.id, 'run.id');
  expectId(r.domain, 'run.domain');
  const config = r.config ?? {};
  if (!isPlainObject(config)) throw new FieldError('run.config', 'expected an object');
  const status = r.status ?? 'created';
  checkStatus(status, 'run.status');
  return { id: r.id, domain: r.domain, config, status };
}

export function checkStatus(s: unknown, field: string): asserts s is RunStatus {
  if (!RUN_STATUSES.includes(s as RunStatus)) throw new FieldError(field, `expected one of ${RUN_STATUSES.join(', ')}, got ${String(s)}`);
}

export function checkConfig(c: unknown, field: string): asserts c is JsonObject {
  if (!isPlainObject(c)) throw new FieldError(field, 'expected an object');
}

export function checkAnnotatorInput(a: { name: string; role: Role; tokenHash: string }): void {
  expectId(a.name, 'annotator.name', ANNOTATOR_NAME_PATTERN);
  if (a.role !== 'admin' && a.role !== 'annotator') throw new FieldError('annotator.role', `expected admin or annotator, got ${String(a.role)}`);
  if (!/^[0-9a-f]{64}$/.test(a.tokenHash)) throw new FieldError('annotator.tokenHash', 'expected a SHA-256 hex digest (use hashToken)');
}

export function checkJudgeName(name: string): void {
  expectId(name, 'annotator', JUDGE_NAME_PATTERN);
}

/** An optional ISO 8601 time given by the client (imports keep the original time). */
export function checkCreatedAt(s: string | undefined, field: string): void {
  if (s !== undefined && (typeof s !== 'string' || Number.isNaN(Date.parse(s)))) throw new FieldError(field, `expected an ISO 8601 date string, got ${JSON.stringify(s)}`);
}

export function checkLeaseMs(ms: number): void {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_LEASE_MS) throw new FieldError('leaseMs', `expected an integer in 1..${MAX_LEASE_MS}, got ${ms}`);
}

export function checkRedundancy(n: number | undefined): number {
  const r = n ?? 1;
  if (!Number.isInteger(r) || r < 1 || r > MAX_REDUNDANCY) throw new FieldError('redundancy', `expected an integer in 1..${MAX_REDUNDANCY}, got ${r}`);
  return r;
}

/** Validates a batch of queries for a run; ids must be unique within the batch. */
export function checkQueries(runId: string, queries: unknown[]): Query[] {
  if (!Array.isArray(queries)) throw new FieldError('queries', 'expected an array');
  const seen = new Set<string>();
  return queries.map((q, i) => {
    const v = validateQuery(q, `queries.${i}`, { runId });
    if (seen.has(v.id)) throw new FieldError(`queries.${i}.id`, `duplicate query id "${v.id}" in the batch`);
    seen.add(v.id);
    return v;
  });
}

export function checkEvent(e: NewEvent): { type: string; iteration: number | null; data: JsonObject } {
  if (typeof e.type !== 'string' || !/^[A-Za-z0-9_./:-]{1,64}$/.test(e.type)) throw new FieldError('event.type', 'expected 1..64 characters [A-Za-z0-9_./:-]');
  const iteration = e.iteration ?? null;
  if (iteration !== null && (!Number.isInteger(iteration) || iteration < 0)) throw new FieldError('event.iteration', 'expected an integer ≥ 0 or null');
  if (!isPlainObject(e.data)) throw new FieldError('event.data', 'expected an object');
  return { type: e.type, iteration, data: e.data };
}

export function checkLimit(n: number | undefined, def: number, field: string): number {
  const v = n ?? def;
  if (!Number.isInteger(v) || v < 0) throw new FieldError(field, `expected an integer ≥ 0, got ${v}`);
  return v;
}

export function sortByName<T extends { annotator: string }>(xs: T[]): T[] {
  return xs.sort((a, b) => (a.annotator < b.annotator ? -1 : a.annotator > b.annotator ? 1 : 0));
}
