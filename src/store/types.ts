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

export type Role = 'admin' | 'annotator';

export interface Annotator {
  /** unique; what judgement records carry in `annotator` */
  name: string;
  role: Role;
  /** ISO 8601 */
  createdAt: string;
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
   * Only accept the judgement when the query's lease is held by this annotator (it may have expired as long as
   * nobody else took it). The server sets this for people; the loop and teachers write without a lease.
   */
  requireLease?: boolean;
}

export interface AddJudgementResult {
  record: JudgementRecord;
  /** false: the same judgement existed already (an idempotent retry) */
  created: boolean;
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
  /** Looks an annotator up by the SHA-256 hash of its token (see tokens.ts). */
  findAnnotatorByTokenHash(tokenHash: string): Promise<Annotator | undefined>;
  listAnnotators(): Promise<Annotator[]>;

  // queries
  /** Validates and adds queries to a run, all or nothing; appends a `queries` event. Returns how many. */
  addQueries(runId: string, queries: Query[], opts?: AddQueriesOptions): Promise<number>;
  getQuery(id: string): Promise<QueryState | undefined>;
  /** In order of (iteration, insertion). */
  listQueries(runId: string, filter?: QueryFilter): Promise<QueryState[]>;
  /**
   * Atomically hands one query of the run to `annotator` for `leaseMs`: their own unexpired lease (extended) if
   * any, else the first query (lowest iteration, then insertion) not done, not judged by them and not leased to
   * someone else. undefined when there is none.
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
   * Undo: deletes the annotator's judgement on the query and leases the query to them again for `leaseMs`.
   * E_NOT_FOUND if they have none; E_CONFLICT if another annotator holds an unexpired lease on it.
   */
  retractJudgement(queryId: string, annotator: string, leaseMs: number): Promise<Lease>;
  listJudgements(runId: string, filter?: JudgementFilter): Promise<JudgementRecord[]>;
  /** runId undefined: every run. */
  countJudgements(runId: string | undefined, filter?: CountFilter): Promise<number>;
  runStats(runId: string): Promise<RunStats>;

  // metric events
  appendEvent(runId: string, e: NewEvent): Promise<MetricEvent>;
  /** Events of the run with seq > after (default 0), oldest first, at most `limit` (default 1000). */
  listEvents(runId: string, opts?: { after?: number; limit?: number }): Promise<MetricEvent[]>;

  // import/export support
  importBatch(batch: ImportBatch): Promise<ImportResult>;

  /** The schema version the store is at (see migrations.ts). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

/** Options for openStore. */
export interface StoreOptions {
  /** milliseconds since the epoch; injectable so tests can expire leases (default Date.now) */
  clock?: () => number;
  /** PostgreSQL pool size (default 10) */
  poolSize?: number;
}
