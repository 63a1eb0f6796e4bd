/**
 * Pieces of the store's logic (sqlStore.ts): row ↔ object mapping, input checks and the store's errors.
 */
import { RlhfError, StoreError } from '../core/errors.js';
import type { Judgement, JudgementRecord, Query, QueryKind, Sample } from '../feedback/types.js';
import { ANNOTATOR_NAME_PATTERN, FieldError, JUDGE_NAME_PATTERN, expectId, validateQuery } from '../feedback/validate.js';
import type {
  Adjudication,
  Annotator,
  AuditAction,
  AuditEntry,
  JsonObject,
  MetricEvent,
  NewEvent,
  NewRun,
  QueryState,
  Role,
  Run,
  RunStatus,
} from './types.js';
import { OPEN_RUN_STATUSES, ROLES, RUN_STATUSES } from './types.js';

export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_REDUNDANCY = 100;
/** Longest lease: one day. */
export const MAX_LEASE_MS = 24 * 3600 * 1000;
/** Deepest nesting of objects/arrays accepted in a run config, event data or sample payload. */
export const MAX_JSON_DEPTH = 64;
/** Largest iteration number: the columns are 32-bit integers. */
export const MAX_ITERATION = 2 ** 31 - 1;
/** Longest adjudication note. */
export const MAX_NOTE_LENGTH = 2000;

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

// ---- JSON nesting depth --------------------------------------------------------------------------------------
// Depth: a scalar is 0, [] and {} are 1, [[1]] is 2. Both checks are loops, not recursion, so no value or text
// is too deep for them (a recursive JSON.stringify of ~4,000 levels throws RangeError).

/** True when `v` nests objects/arrays deeper than `max`. */
export function jsonTooDeep(v: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d + 1 > max) return true;
    for (const c of Array.isArray(x) ? x : Object.values(x as object)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return false;
}

/** True when the JSON text nests deeper than `max` (brackets inside strings do not count). */
export function jsonTextTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  if (text.length <= 2 * max) return false; // each level takes an opening and a closing bracket
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** What a stored value deeper than MAX_JSON_DEPTH (written before rlhfkit checked) reads back as. */
export const TOO_DEEP = { unreadable: `nested deeper than ${MAX_JSON_DEPTH} levels (stored before rlhfkit limited the depth); not shown` } as const;

/** Parses stored JSON; a value nested too deep to send back reads as TOO_DEEP instead of failing every listing. */
function parseStored<T>(text: string, what: string, tooDeep: T): T {
  return jsonTextTooDeep(text) ? tooDeep : parseJson<T>(text, what);
}

export function checkJsonDepth(v: unknown, field: string): void {
  if (jsonTooDeep(v)) throw new FieldError(field, `nested deeper than ${MAX_JSON_DEPTH} levels`);
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
    config: parseStored<JsonObject>(r.config, 'run config', { ...TOO_DEEP }),
    createdAt: iso(Number(r.created_at)),
    updatedAt: iso(Number(r.updated_at)),
  };
}

export interface AnnotatorRow {
  name: string;
  role: string;
  created_at: number;
  disabled_at: number | null;
}

export function rowToAnnotator(r: AnnotatorRow): Annotator {
  const a: Annotator = { name: r.name, role: r.role as Role, createdAt: iso(Number(r.created_at)) };
  if (r.disabled_at !== null && r.disabled_at !== undefined) a.disabledAt = iso(Number(r.disabled_at));
  return a;
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
  /** queryFit of the query (null in rows written before schema 2) */
  fit?: string | null;
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
  const b = jsonTextTooDeep(r.body) ? tooDeepBody(r.body) : parseJson<QueryBody>(r.body, 'query');
  const q: Query = { id: r.id, runId: r.run_id, kind: r.kind as QueryKind, samples: b.samples, iteration: Number(r.iteration) };
  if (b.predicted !== undefined) q.predicted = b.predicted;
  return q;
}

/** A stored query body with a payload nested too deep: the samples keep their ids, the payloads read as TOO_DEEP. */
function tooDeepBody(text: string): QueryBody {
  const ids = [...text.matchAll(/"id":"([A-Za-z0-9_.:-]{1,128})","domain":"([A-Za-z0-9_.:-]{1,128})"/g)];
  return { samples: ids.map((m) => ({ id: m[1]!, domain: m[2]!, payload: { ...TOO_DEEP } })) };
}

/**
 * What a judgement must name to fit a query, as one string: the kind and the sample ids (in order for a
 * comparison, sorted for a ranking). `judgementFit(j) === queryFit(q)` exactly when checkJudgementFitsQuery(j, q)
 * passes (sample ids are unique within a query and a ranking), so a database can check the fit by comparing a
 * column; checkJudgementFitsQuery still gives the message when it does not.
 */
export function queryFit(q: { kind: QueryKind; samples: { id: string }[] }): string {
  const ids = q.samples.map((s) => s.id);
  return q.kind === 'ranking' ? `ranking ${[...ids].sort().join(' ')}` : q.kind === 'comparison' ? `comparison ${ids[0]} ${ids[1]}` : `${q.kind} ${ids[0]}`;
}

export function judgementFit(j: Judgement): string {
  switch (j.kind) {
    case 'comparison':
      return `comparison ${j.leftId} ${j.rightId}`;
    case 'ranking':
      return `ranking ${[...j.sampleIds].sort().join(' ')}`;
    default:
      return `${j.kind} ${j.sampleId}`;
  }
}

/** Run statuses in which people may label, lease and undo. */
export function isOpenStatus(s: string): boolean {
  return (OPEN_RUN_STATUSES as readonly string[]).includes(s);
}

export function runClosed(runId: string, status: string, what: string): RlhfError {
  return conflict(`run "${runId}" is ${status}: ${what}`);
}

export function accountDisabled(name: string): RlhfError {
  return new RlhfError('E_AUTH', `the account "${name}" was disabled by an admin`);
}

/** A query row with what a judgement needs besides (sql.ts `judgeContext`). */
export interface JudgeContextRow extends QueryRow {
  run_status: string;
  own_judgement: string | null;
  own_created_at: number | null;
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
    data: parseStored<JsonObject>(r.data, 'event data', { ...TOO_DEEP }),
    createdAt: iso(Number(r.created_at)),
  };
}

export interface AuditRow {
  seq: number;
  run_id: string | null;
  query_id: string | null;
  action: string;
  actor: string;
  annotator: string | null;
  data: string;
  created_at: number;
}

export function rowToAudit(r: AuditRow): AuditEntry {
  return {
    seq: Number(r.seq),
    action: r.action as AuditAction,
    actor: r.actor,
    runId: r.run_id,
    queryId: r.query_id,
    annotator: r.annotator,
    data: parseJson<JsonObject>(r.data, 'audit data'),
    createdAt: iso(Number(r.created_at)),
  };
}

export function auditToAdjudication(e: AuditEntry): Adjudication {
  const d = e.data as { judgement: Judgement; note?: string; iteration: number };
  const a: Adjudication = { seq: e.seq, queryId: e.queryId!, runId: e.runId!, iteration: Number(d.iteration), reviewer: e.actor, judgement: d.judgement, createdAt: e.createdAt };
  if (d.note !== undefined) a.note = d.note;
  return a;
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
  checkJsonDepth(config, 'run.config');
  const status = r.status ?? 'created';
  checkStatus(status, 'run.status');
  return { id: r.id, domain: r.domain, config, status };
}

export function checkStatus(s: unknown, field: string): asserts s is RunStatus {
  if (!RUN_STATUSES.includes(s as RunStatus)) throw new FieldError(field, `expected one of ${RUN_STATUSES.join(', ')}, got ${String(s)}`);
}

export function checkConfig(c: unknown, field: string): asserts c is JsonObject {
  if (!isPlainObject(c)) throw new FieldError(field, 'expected an object');
  checkJsonDepth(c, field);
}

export function checkAnnotatorInput(a: { name: string; role: Role; tokenHash: string }): void {
  expectId(a.name, 'annotator.name', ANNOTATOR_NAME_PATTERN);
  if (!ROLES.includes(a.role)) throw new FieldError('annotator.role', `expected one of ${ROLES.join(', ')}, got ${String(a.role)}`);
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
    checkQueryLimits(v, `queries.${i}`);
    return v;
  });
}

/** The limits validateQuery leaves to the store: the iteration fits the column, payloads are not nested too deep. */
export function checkQueryLimits(q: Query, path: string): void {
  checkIteration(q.iteration, `${path}.iteration`);
  q.samples.forEach((s, k) => checkJsonDepth(s.payload, `${path}.samples.${k}.payload`));
}

export function checkIteration(n: number, field: string): void {
  if (n > MAX_ITERATION) throw new FieldError(field, `expected an integer in 0..${MAX_ITERATION}, got ${n}`);
}

export function checkNote(note: unknown): void {
  if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH)) throw new FieldError('note', `expected a string of at most ${MAX_NOTE_LENGTH} characters`);
}

export function checkEvent(e: NewEvent): { type: string; iteration: number | null; data: JsonObject } {
  if (typeof e.type !== 'string' || !/^[A-Za-z0-9_./:-]{1,64}$/.test(e.type)) throw new FieldError('event.type', 'expected 1..64 characters [A-Za-z0-9_./:-]');
  const iteration = e.iteration ?? null;
  if (iteration !== null && (!Number.isInteger(iteration) || iteration < 0 || iteration > MAX_ITERATION)) {
    throw new FieldError('event.iteration', `expected an integer in 0..${MAX_ITERATION} or null`);
  }
  if (!isPlainObject(e.data)) throw new FieldError('event.data', 'expected an object');
  checkJsonDepth(e.data, 'event.data');
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
