/**
 * The feedback store: one async interface over SQLite (embedded default) and PostgreSQL (teams).
 * It keeps runs, annotators, queries (what was shown, with leases), judgements (what people and teachers said)
 * and metric events (what the dashboard plots). Both backends pass the same contract suite (test/store).
 */
import type { Judgement, JudgementRecord, Query } from '../feedback/types.js';

/** Any JSON object (run configs, event data). */
export type JsonObject = { [key: string]: unknown };

/** created → running ⇄ waiting (for human labels) / paused → done | failed */
export type RunStatus = 'created' | 'running' | 'waiting' | 'paused' | 'done' | 'failed';
export const RUN_STATUSES: readonly RunStatus[] = ['created', 'running', 'waiting', 'paused', 'done', 'failed'];
/** Statuses in which annotators may still be handed queries. */
export const OPEN_RUN_STATUSES: readonly RunStatus[] = ['created', 'running', 'waiting', 'paused'];

export interface Run {
  id: string;
  /** the domain that made it: "gridworld", "text", "digits", ... */
  domain: string;
  status: RunStatus;
  /** the resolved run config (free JSON) */
  config: JsonObject;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601 */
  updatedAt: string;
}

export interface NewRun {
  id: string;
  domain: string;
  /** default {} */
  config?: JsonObject;
  /** default 'created' */
  status?: RunStatus;
}

/**
 * admin: every route. reviewer: sees every run's queries, judgements and stats and adjudicates; labels only as
 * themselves (cannot change anyone else's labels). annotator: labels.
 */
export type Role = 'admin' | 'reviewer' | 'annotator';
export const ROLES: readonly Role[] = ['admin', 'reviewer', 'annotator'];

export interface Annotator {
  /** unique; what judgement records carry in `annotator` */
  name: string;
  role: Role;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601; present while an admin has disabled the account (its token is refused; its labels stay) */
  disabledAt?: string;
}

export type QueryStatus = 'pending' | 'leased' | 'done';

/** A query as stored, with its labeling state. */
export interface QueryState extends Query {
  status: QueryStatus;
  /** how many different annotators should judge it (redundancy) */
  wanted: number;
  /** how many did */
  judged: number;
  /** lease holder and expiry, only while status = 'leased' */
  leasedTo?: string;
  leaseExpiresAt?: string;
}

/** A query handed to one annotator until `expiresAt`. */
export interface Lease {
  query: Query;
  /** ISO 8601 */
  expiresAt: string;
}

export interface AddQueriesOptions {
  /** how many different annotators should judge each query (1..100, default 1) */
  redundancy?: number;
}

export interface QueryFilter {
  status?: QueryStatus;
  iteration?: number;
  /** default 1000 */
  limit?: number;
  /** default 0 */
  offset?: number;
}

export interface NewJudgement {
  queryId: string;
  /** an annotator's name, or "teacher:<name>" */
  annotator: string;
  judgement: Judgement;
  /** ISO 8601; default now (imports keep the original time) */
  createdAt?: string;
}

export interface AddJudgementOptions {
  /**
   * A person's judgement: only accept it when the query's lease is held by this annotator (it may have expired
   * as long as nobody else took it) and the run is still open (not done/failed: E_CONFLICT). The server sets
   * this for people; the loop, teachers and imports write without a lease, in any run status.
   */
  requireLease?: boolean;
  /**
   * Also lease the annotator's next query of the same run for this many ms, in the same transaction (what the
   * labeling page's `next: true` asks for). Default: no next lease.
   */
  nextLeaseMs?: number;
}

export interface AddJudgementResult {
  record: JudgementRecord;
  /** false: the same judgement existed already (an idempotent retry) */
  created: boolean;
  /** with `nextLeaseMs`: the next lease, or null when nothing is left for the annotator (or the run is closed) */
  next?: Lease | null;
}

/** What the audit trail records (rows are only ever appended). */
export type AuditAction = 'retract' | 'adjudicate' | 'disable' | 'enable';

export interface AuditEntry {
  /** increasing within a store */
  seq: number;
  action: AuditAction;
  /** who did it: an annotator, reviewer or admin name */
  actor: string;
  runId: string | null;
  queryId: string | null;
  /** whose label or account it concerns (retract: the annotator; disable/enable: the account) */
  annotator: string | null;
  /**
   * retract: { judgement, createdAt, iteration } — the retracted judgement as it was;
   * adjudicate: { judgement, note?, iteration }; disable/enable: { releasedLeases? }
   */
  data: JsonObject;
  /** ISO 8601 */
  createdAt: string;
}

export interface AuditFilter {
  runId?: string;
  queryId?: string;
  annotator?: string;
  action?: AuditAction;
  /** default 1000 */
  limit?: number;
  /** default 0 */
  offset?: number;
}

/** A reviewer's decision on a query (the final label where annotators disagree); the latest one counts. */
export interface Adjudication {
  /** the audit row's seq */
  seq: number;
  queryId: string;
  runId: string;
  iteration: number;
  reviewer: string;
  judgement: Judgement;
  note?: string;
  /** ISO 8601 */
  createdAt: string;
}

export interface NewAdjudication {
  queryId: string;
  /** a reviewer's or admin's name */
  reviewer: string;
  judgement: Judgement;
  /** free text, at most 2000 characters */
  note?: string;
}

/** Whether the store can take writes now (the health route reports it). */
export interface StoreHealth {
  writable: boolean;
  /** why not, when not writable */
  reason?: string;
}

export interface JudgementFilter {
  iteration?: number;
  annotator?: string;
  queryId?: string;
  /** default 10000 */
  limit?: number;
  /** default 0 */
  offset?: number;
  /** insertion order, default 'asc' */
  order?: 'asc' | 'desc';
}

export interface CountFilter {
  iteration?: number;
  annotator?: string;
}

export interface RunStats {
  runId: string;
  queries: { total: number; pending: number; leased: number; done: number };
  judgements: {
    total: number;
    byAnnotator: { annotator: string; count: number }[];
    byIteration: { iteration: number; count: number }[];
    byPreference: { left: number; right: number; tie: number; skip: number };
  };
  lastJudgementAt: string | null;
}

export interface MetricEvent {
  /** strictly increasing within a store */
  seq: number;
  runId: string;
  type: string;
  iteration: number | null;
  data: JsonObject;
  /** ISO 8601 */
  createdAt: string;
}

export interface NewEvent {
  type: string;
  iteration?: number | null;
  data: JsonObject;
}

/** A whole import, applied all or nothing. Existing identical rows are skipped; conflicting ones fail it. */
export interface ImportBatch {
  runs: NewRun[];
  queries: { query: Query; wanted: number }[];
  judgements: JudgementRecord[];
}

export interface ImportResult {
  runs: number;
  queries: number;
  judgements: number;
  /** rows already present with the same content */
  skipped: number;
}

export interface FeedbackStore {
  readonly backend: 'sqlite' | 'postgres';
  /** the file path, or the PostgreSQL URL without its password */
  readonly location: string;

  // runs
  createRun(run: NewRun): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  /** newest first */
  listRuns(): Promise<Run[]>;
  /** A status change appends a `status` event. E_NOT_FOUND for an unknown run. */
  updateRun(id: string, patch: { status?: RunStatus; config?: JsonObject }): Promise<Run>;

  // annotators
  /** E_CONFLICT when the name exists. */
  createAnnotator(a: { name: string; role: Role; tokenHash: string }): Promise<Annotator>;
  /** Replaces the token (the old one stops working). E_NOT_FOUND for an unknown name. */
  setAnnotatorToken(name: string, tokenHash: string): Promise<Annotator>;
  getAnnotator(name: string): Promise<Annotator | undefined>;
  /** Looks an annotator up by the SHA-256 hash of its token (see tokens.ts); a disabled one has `disabledAt`. */
  findAnnotatorByTokenHash(tokenHash: string): Promise<Annotator | undefined>;
  listAnnotators(): Promise<Annotator[]>;
  /**
   * Disables (their token is refused from now on, their leases go back to the pool, their labels stay) or
   * enables an account; appends a `disable`/`enable` audit row by `actor`. E_NOT_FOUND for an unknown name.
   */
  setAnnotatorDisabled(name: string, disabled: boolean, actor: string): Promise<Annotator>;

  // queries
  /** Validates and adds queries to a run, all or nothing; appends a `queries` event. Returns how many. */
  addQueries(runId: string, queries: Query[], opts?: AddQueriesOptions): Promise<number>;
  getQuery(id: string): Promise<QueryState | undefined>;
  /** In order of (iteration, insertion). */
  listQueries(runId: string, filter?: QueryFilter): Promise<QueryState[]>;
  /**
   * Atomically hands one query of the run to `annotator` for `leaseMs`: their own unexpired lease (extended) if
   * any, else the first query (lowest iteration, then insertion) not done, not judged by them and not leased to
   * someone else. undefined when there is none. E_NOT_FOUND for an unknown run; E_CONFLICT when the run is
   * done or failed.
   */
  leaseQuery(runId: string, annotator: string, leaseMs: number): Promise<Lease | undefined>;
  /** Returns the query to the pool if `annotator` holds its lease; false otherwise. */
  releaseLease(queryId: string, annotator: string): Promise<boolean>;
  /** Queries of the run the annotator could still be handed (not done, not judged by them, not leased to others). */
  queueLength(runId: string, annotator: string): Promise<number>;
  /** Unexpired leases the annotator holds in the run. */
  activeLeases(runId: string, annotator: string): Promise<number>;

  // judgements
  /**
   * Adds a judgement, idempotent on (queryId, annotator): the same content again returns the stored record with
   * created=false; different content throws E_CONFLICT. E_NOT_FOUND for an unknown query, E_FEEDBACK when it
   * does not fit the query, E_AUTH when `requireLease` and the lease is someone else's. Durable when resolved.
   */
  addJudgement(j: NewJudgement, opts?: AddJudgementOptions): Promise<AddJudgementResult>;
  /**
   * Undo: takes the annotator's judgement on the query back (it moves to the audit trail as a `retract` row, so
   * nothing disappears without a trace) and leases the query to them again for `leaseMs`. E_NOT_FOUND if they
   * have none; E_CONFLICT if another annotator holds an unexpired lease on it or the run is done/failed.
   */
  retractJudgement(queryId: string, annotator: string, leaseMs: number): Promise<Lease>;
  listJudgements(runId: string, filter?: JudgementFilter): Promise<JudgementRecord[]>;
  /** runId undefined: every run. */
  countJudgements(runId: string | undefined, filter?: CountFilter): Promise<number>;
  runStats(runId: string): Promise<RunStats>;

  // review and audit
  /** Records a reviewer's decision on a query (it must fit the query); appends an `adjudicate` audit row. */
  adjudicate(a: NewAdjudication): Promise<Adjudication>;
  /** The run's adjudications, oldest first (a later one on the same query supersedes an earlier one). */
  listAdjudications(runId: string, filter?: { queryId?: string; limit?: number; offset?: number }): Promise<Adjudication[]>;
  /** Audit rows, oldest first. */
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;

  // metric events
  /**
   * Appends an event. Events commit in `seq` order (PostgreSQL: appends are serialized), so a reader that asks
   * for `seq > last` never misses one.
   */
  appendEvent(runId: string, e: NewEvent): Promise<MetricEvent>;
  /** Events of the run with seq > after (default 0), oldest first, at most `limit` (default 1000). */
  listEvents(runId: string, opts?: { after?: number; limit?: number }): Promise<MetricEvent[]>;
  /**
   * Calls `listener(runId)` soon after events of a run were committed — by this process, or (PostgreSQL:
   * LISTEN/NOTIFY; SQLite: the file's change counter, looked at every 250 ms) by any other; `undefined` means
   * "some run, look at all". Returns the unsubscribe function.
   */
  watchEvents(listener: (runId: string | undefined) => void): () => void;

  // import/export support
  importBatch(batch: ImportBatch): Promise<ImportResult>;

  /** The schema version the store is at (see migrations.ts). */
  schemaVersion(): Promise<number>;
  /** A random id made when the store was created: tells two stores apart (the health route shows it). */
  storeId(): Promise<string>;
  /** Whether a write would be kept now (SQLite: the file is still there and writable; PostgreSQL: not read-only). */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** Options for openStore. */
export interface StoreOptions {
  /** milliseconds since the epoch; injectable so tests can expire leases (default Date.now) */
  clock?: () => number;
  /** PostgreSQL connections of this process (default 2 per core, at most 10: postgres.ts `defaultPoolSize`) */
  poolSize?: number;
}
