/**
 * The team feedback store on PostgreSQL (pg). Several server replicas may share one database: every write is a
 * transaction, leases are taken with `SELECT … FOR UPDATE SKIP LOCKED`, a judgement locks its query row, and
 * migrations run under an advisory lock. PostgreSQL commits are durable (fsync) before they are acknowledged.
 * The logic is sqlStore.ts; this file is the dialect, the connection pool and how PostgreSQL commits, plus the
 * hot path in one round trip each: a lease, and a judgement with the next lease, are stored functions
 * (pgFunctions.ts) composed from the logic's own statements; every statement of the logic is prepared once
 * per connection. Events reach other replicas by LISTEN/NOTIFY.
 *
 * URL: postgres://user:password@host:port/database[?schema=name] — `schema` (rlhfkit's own parameter) puts the
 * tables in that schema (created if missing), e.g. one schema per test.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { RlhfError, StoreError } from '../core/errors.js';
import type { Judgement } from '../feedback/types.js';
import { canonicalJson, validateJudgement } from '../feedback/validate.js';
import {
  type AnnotatorRow,
  type QueryRow,
  accountDisabled,
  checkCreatedAt,
  checkJudgeName,
  checkLeaseMs,
  conflict,
  iso,
  judgementFit,
  notFound,
  rowToAnnotator,
  rowToQuery,
  runClosed,
} from './common.js';
import { MIGRATIONS, refuseNewerSchema } from './migrations.js';
import { PG_FUNCTIONS_VERSION, pgFunctions } from './pgFunctions.js';
import type { Awaitable, Dialect, Tx } from './sql.js';
import { SqlStore } from './sqlStore.js';
import type { AddJudgementOptions, AddJudgementResult, Annotator, Lease, NewJudgement, StoreHealth, StoreOptions } from './types.js';

type Client = pg.PoolClient;

/** Advisory lock key that serializes event appends ("evnt"), so events commit in seq order. */
const EVENTS_LOCK = 0x65766e74;
/** The NOTIFY channel of event appends; the payload is "<schema> <runId>". */
const EVENTS_CHANNEL = 'rlhf_events';
/** The NOTIFY channel of token and account changes; the payload is the schema. */
const ACCOUNTS_CHANNEL = 'rlhf_accounts';

export const POSTGRES: Dialect = {
  lockRow: 'FOR UPDATE',
  lockFreeRow: 'FOR UPDATE SKIP LOCKED',
  perRowSubquery: ' OFFSET 0',
  leaseIndex: '',
  jsonText: (column, key) => `(${column}::json)->>'${key}'`,
  lockEvents: `SELECT pg_advisory_xact_lock(${EVENTS_LOCK})`,
  notifyEvent: `SELECT pg_notify('${EVENTS_CHANNEL}', current_schema() || ' ' || ?)`,
  notifyAccounts: `SELECT pg_notify('${ACCOUNTS_CHANNEL}', current_schema())`,
};

/** The logic's SQL with `?` placeholders numbered `$1, $2, …` (outside quoted literals), cached per text. */
const numbered = new Map<string, string>();
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/'(?:[^']|'')*'|\?/g, (m) => (m === '?' ? `$${++n}` : m));
    if (numbered.size >= 1000) numbered.clear(); // dynamic SQL (filters, batch sizes) varies
    numbered.set(sql, out);
  }
  return out;
}

/**
 * Names of prepared statements, by SQL text. Only the logic's fixed statements are prepared (a name always means
 * the same text, in every connection); SQL built from filters runs unnamed.
 */
class Prepared {
  private readonly names = new Map<string, string>();
  constructor(fixed: Iterable<string>) {
    for (const sql of fixed) this.names.set(sql, `rlhf_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`);
  }
  config(sql: string, args: readonly unknown[]): pg.QueryConfig {
    const name = this.names.get(sql);
    const text = numberPlaceholders(sql);
    return name === undefined ? { text, values: args as unknown[] } : { name, text, values: args as unknown[] };
  }
}

/** A `Tx` over a pooled client inside a transaction, or over the pool itself (reads: one statement each). */
class PgTx implements Tx {
  constructor(
    private readonly c: pg.Pool | Client,
    private readonly prepared: Prepared,
  ) {}

  private async query(sql: string, args: readonly unknown[]): Promise<pg.QueryResult> {
    return this.c.query(this.prepared.config(sql, args));
  }

  async one<T>(sql: string, args: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.query(sql, args)).rows[0] as T | undefined;
  }

  async all<T>(sql: string, args: readonly unknown[] = []): Promise<T[]> {
    return (await this.query(sql, args)).rows as T[];
  }

  async run(sql: string, args: readonly unknown[] = []): Promise<number> {
    return (await this.query(sql, args)).rowCount ?? 0;
  }
}

/** BIGINT (oid 20) and COUNT(*) come back as strings by default; our values fit in a double. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Advisory lock key for migrations ("rlhf" in ASCII). */
const MIGRATION_LOCK = 0x726c6866;

/** Splits rlhfkit's `schema` parameter off a PostgreSQL URL. */
export function parsePgUrl(url: string): { connectionString: string; schema?: string; redacted: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreError(`not a valid PostgreSQL URL: ${url.replace(/:[^:@/]*@/, ':***@')}`);
  }
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreError(`schema "${schema}" must match [a-z_][a-z0-9_]{0,62}`);
  }
  const redacted = new URL(u.toString());
  if (redacted.password) redacted.password = '***';
  const r: { connectionString: string; schema?: string; redacted: string } = { connectionString: u.toString(), redacted: redacted.toString() };
  if (schema !== undefined) r.schema = schema;
  return r;
}

function pgError(e: unknown): unknown {
  if (e instanceof RlhfError) return e;
  const code = (e as { code?: string }).code;
  if (code === '23505') return conflict(`already exists: ${(e as Error).message}`);
  return new StoreError(`PostgreSQL: ${(e as Error).message}`, { cause: e });
}

/**
 * Connections per process when not given: 2 per core, at most 10. A request holds one for a single round trip, so
 * a few keep the database busy; more backends than cores only contend (measured: 3 replicas on 2 cores, 4
 * connections each ≈ 1,960 judgements/s, 10 each ≈ 1,800/s; bench/NOTES.md).
 */
export function defaultPoolSize(): number {
  return Math.max(2, Math.min(10, 2 * availableParallelism()));
}

/** Serialization failure or deadlock: the transaction may simply be run again. */
const retryable = (e: unknown): boolean => ['40001', '40P01'].includes((e as { code?: string }).code ?? '');

/** What the stored functions (pgFunctions.ts) answer, as JSON. */
interface LeaseAnswer {
  outcome: 'no_run' | 'closed' | 'disabled' | 'none' | 'leased';
  status?: string;
  id?: string;
  run_id?: string;
  iteration?: number;
  kind?: string;
  body?: string;
  expires?: number;
}

interface JudgeAnswer {
  outcome: 'disabled' | 'not_found' | 'closed' | 'differs' | 'not_leased' | 'check' | 'created' | 'same';
  status?: string;
  run_id?: string;
  created_at?: number;
  judgement?: string;
  next?: LeaseAnswer | null;
}

function leaseOf(a: LeaseAnswer): Lease {
  const row = { id: a.id!, run_id: a.run_id!, iteration: a.iteration!, kind: a.kind!, body: a.body! } as QueryRow;
  return { query: rowToQuery(row), expiresAt: iso(a.expires!) };
}

export class PostgresStore extends SqlStore {
  readonly backend = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly poolTx: PgTx;
  private readonly prepared: Prepared;
  private readonly clientConfig: pg.ClientConfig;
  private closed = false;
  private readonly watchers = new Set<(runId: string | undefined) => void>();
  private listener: pg.Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private schemaName = '';

  private constructor(pool: pg.Pool, clientConfig: pg.ClientConfig, location: string, clock: () => number) {
    super(POSTGRES, clock);
    this.pool = pool;
    this.clientConfig = clientConfig;
    const fixed = (Object.values(this.sql) as unknown[]).filter((v): v is string => typeof v === 'string');
    this.prepared = new Prepared([...fixed, POSTGRES.lockEvents, POSTGRES.notifyEvent, CALL_LEASE, CALL_JUDGE]);
    this.poolTx = new PgTx(pool, this.prepared);
    this.location = location;
  }

  /** Connects, creates the schema if asked, applies missing migrations and (re)installs the stored functions. */
  static async open(url: string, opts: StoreOptions = {}): Promise<PostgresStore> {
    const { connectionString, schema, redacted } = parsePgUrl(url);
    const clientConfig: pg.ClientConfig = { connectionString, types: TYPES };
    if (schema !== undefined) clientConfig.options = `-c search_path=${schema}`;
    const pool = new pg.Pool({ ...clientConfig, max: opts.poolSize ?? defaultPoolSize() });
    pool.on('error', () => {
      /* an idle client died (server restart); the pool replaces it */
    });
    const store = new PostgresStore(pool, clientConfig, redacted, opts.clock ?? Date.now);
    try {
      if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await store.migrate();
      await store.listen();
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (e instanceof RlhfError) throw e;
      throw new StoreError(`cannot open the PostgreSQL store at ${redacted}: ${(e as Error).message}`, { cause: e });
    }
    return store;
  }

  /** Applies the missing migrations, all in one transaction under an advisory lock (replicas may start together). */
  private async migrate(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const at = Number((await c.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')).rows[0].v);
      refuseNewerSchema(at);
      for (const m of MIGRATIONS) {
        if (m.version <= at) continue;
        await c.query(m.postgres);
        await c.query('INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, this.clock()]);
      }
      // the stored functions follow the code: (re)created when their text changed
      const sql = pgFunctions(this.sql);
      const hash = `${PG_FUNCTIONS_VERSION}:${createHash('sha1').update(sql).digest('hex')}`;
      const have = (await c.query("SELECT value FROM meta WHERE key = 'pg_functions'")).rows[0]?.value as string | undefined;
      if (have !== hash) {
        await c.query(sql);
        await c.query("INSERT INTO meta (key, value) VALUES ('pg_functions', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [hash]);
      }
      this.schemaName = (await c.query('SELECT current_schema() AS s')).rows[0].s as string;
    });
  }

  /** Runs fn in a transaction on one pooled client; retries on serialization failures and deadlocks. */
  private async transaction<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('the store is closed');
    for (let attempt = 0; ; attempt++) {
      let c: Client;
      try {
        c = await this.pool.connect();
      } catch (e) {
        throw new StoreError(`cannot connect to PostgreSQL at ${this.location}: ${(e as Error).message}`, { cause: e });
      }
      try {
        await c.query('BEGIN');
        const r = await fn(c);
        await c.query('COMMIT');
        c.release();
        return r;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
        if (retryable(e) && attempt < 5) continue;
        throw pgError(e);
      }
    }
  }

  /** Every write is a transaction; PostgreSQL fsyncs each commit, so all writes are durable. */
  protected write<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    return this.transaction(async (c) => fn(new PgTx(c, this.prepared)));
  }

  /** One stored-function call: its own transaction, one round trip; retried like a transaction. */
  private async call<T>(sql: string, args: unknown[]): Promise<T> {
    if (this.closed) throw new StoreError('the store is closed');
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.pool.query(this.prepared.config(sql, args))).rows[0].r as T;
      } catch (e) {
        if (retryable(e) && attempt < 5) continue;
        throw pgError(e);
      }
    }
  }

  // ---- the hot path, one round trip each ----

  override async leaseQuery(runId: string, annotator: string, leaseMs: number): Promise<Lease | undefined> {
    checkJudgeName(annotator);
    checkLeaseMs(leaseMs);
    const a = await this.call<LeaseAnswer>(CALL_LEASE, [runId, annotator, this.clock(), leaseMs]);
    if (a.outcome === 'no_run') throw notFound('run', runId);
    if (a.outcome === 'closed') throw runClosed(runId, a.status!, 'nothing to label');
    if (a.outcome === 'disabled') throw accountDisabled(annotator);
    return a.outcome === 'leased' ? leaseOf(a) : undefined;
  }

  /**
   * The judgement (and the next lease) in one call of rlhf_judge. The function compares the judgement's fit key
   * with the query's; when they differ (or the query predates fit keys) it writes nothing and answers `check`, and
   * the logic's transaction runs instead — it names the field that does not fit, or stores an old query's label.
   */
  override async addJudgement(j: NewJudgement, opts: AddJudgementOptions = {}): Promise<AddJudgementResult> {
    checkJudgeName(j.annotator);
    const judgement: Judgement = validateJudgement(j.judgement);
    checkCreatedAt(j.createdAt, 'createdAt');
    if (opts.nextLeaseMs !== undefined) checkLeaseMs(opts.nextLeaseMs);
    const text = canonicalJson(judgement);
    const now = this.clock();
    const created = j.createdAt !== undefined ? Date.parse(j.createdAt) : now;
    const args = [j.queryId, j.annotator, judgement.kind, text, judgementFit(judgement), created, opts.requireLease === true, now, opts.nextLeaseMs ?? null];
    const a = await this.call<JudgeAnswer>(CALL_JUDGE, args);
    switch (a.outcome) {
      case 'disabled':
        throw accountDisabled(j.annotator);
      case 'not_found':
        throw notFound('query', j.queryId);
      case 'closed':
        throw runClosed(a.run_id!, a.status!, 'its judgements can no longer change');
      case 'differs':
        throw conflict(`${j.annotator} already judged query "${j.queryId}" differently (undo it first to change it)`);
      case 'not_leased':
        throw new RlhfError('E_AUTH', `query "${j.queryId}" is not leased to ${j.annotator} (lease a query first; an expired lease may have gone to someone else)`);
      case 'check':
        return super.addJudgement({ ...j, judgement }, opts);
    }
    const r: AddJudgementResult = {
      record: { queryId: j.queryId, runId: a.run_id!, annotator: j.annotator, judgement: JSON.parse(a.judgement!) as Judgement, createdAt: iso(a.created_at!) },
      created: a.outcome === 'created',
    };
    if (opts.nextLeaseMs !== undefined) r.next = a.next && a.next.outcome === 'leased' ? leaseOf(a.next) : null;
    return r;
  }

  // ---- token lookups, cached: one round trip less per request ----

  /**
   * Token hash → account, for TOKEN_CACHE_MS at most. Only while the LISTEN connection is up: every token change
   * or disable (here or on another replica) NOTIFYs, and the cache is emptied. A lookup that raced a change is not
   * cached (the generation moved). The stored functions check a disabled account themselves, so a lease or a
   * judgement is refused at once in every case; only reads could pass in the milliseconds a NOTIFY takes.
   */
  private readonly tokenCache = new Map<string, { a: Annotator; at: number }>();
  private cacheGeneration = 0;
  private listening = false;

  private forgetTokens(): void {
    this.tokenCache.clear();
    this.cacheGeneration++;
  }

  override async findAnnotatorByTokenHash(tokenHash: string): Promise<Annotator | undefined> {
    const now = Date.now();
    const hit = this.tokenCache.get(tokenHash);
    if (hit && this.listening && now - hit.at < TOKEN_CACHE_MS) return hit.a;
    const generation = this.cacheGeneration;
    const r = await this.read((tx) => tx.one<AnnotatorRow>(this.sql.annotatorByToken, [tokenHash]));
    const a = r ? rowToAnnotator(r) : undefined;
    if (a && this.listening && generation === this.cacheGeneration) {
      if (this.tokenCache.size >= 10_000) this.tokenCache.clear();
      this.tokenCache.set(tokenHash, { a, at: now });
    }
    return a;
  }

  override async setAnnotatorToken(name: string, tokenHash: string): Promise<Annotator> {
    try {
      return await super.setAnnotatorToken(name, tokenHash);
    } finally {
      this.forgetTokens();
    }
  }

  override async setAnnotatorDisabled(name: string, disabled: boolean, actor: string): Promise<Annotator> {
    try {
      return await super.setAnnotatorDisabled(name, disabled, actor);
    } finally {
      this.forgetTokens();
    }
  }

  // ---- events and account changes from every replica: LISTEN/NOTIFY ----

  watchEvents(listener: (runId: string | undefined) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /**
   * One dedicated connection LISTENs for event appends and account changes, from open to close; if it drops, the
   * token cache is off and every watcher looks again once it is back (catch-up).
   */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const c = new pg.Client(this.clientConfig);
    this.listener = c;
    const retry = () => {
      if (this.listener !== c) return;
      this.listener = undefined;
      this.listening = false;
      this.forgetTokens();
      c.end().catch(() => undefined);
      if (this.closed) return;
      this.listenRetry = setTimeout(() => {
        this.listenRetry = undefined;
        void this.listen();
      }, 1000);
      this.listenRetry.unref();
    };
    c.on('error', retry);
    c.on('end', retry);
    c.on('notification', (m) => {
      const payload = m.payload ?? '';
      if (m.channel === ACCOUNTS_CHANNEL) {
        if (payload === this.schemaName) this.forgetTokens();
        return;
      }
      const space = payload.indexOf(' ');
      if (space < 0 || payload.slice(0, space) !== this.schemaName) return;
      const runId = payload.slice(space + 1);
      for (const w of this.watchers) w(runId);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENTS_CHANNEL}; LISTEN ${ACCOUNTS_CHANNEL}`);
      if (this.listener !== c) return;
      this.forgetTokens();
      this.listening = true;
      for (const w of this.watchers) w(undefined); // anything appended while not listening
    } catch {
      retry();
    }
  }

  private unlisten(): void {
    if (this.listenRetry !== undefined) clearTimeout(this.listenRetry);
    this.listenRetry = undefined;
    this.listening = false;
    const c = this.listener;
    this.listener = undefined;
    c?.end().catch(() => undefined);
  }

  /** Writable when the server is not a read-only standby and a write (rolled back) is allowed. */
  async health(): Promise<StoreHealth> {
    try {
      await this.transaction(async (c) => {
        await c.query("UPDATE meta SET value = value WHERE key = 'store_id'");
        throw new RollBack();
      });
      return { writable: true };
    } catch (e) {
      if (e instanceof RollBack || (e as Error).cause instanceof RollBack) return { writable: true };
      return { writable: false, reason: (e as Error).message };
    }
  }

  protected async read<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    if (this.closed) throw new StoreError('the store is closed');
    try {
      return await fn(this.poolTx);
    } catch (e) {
      throw pgError(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.unlisten();
    await this.pool.end();
  }
}

/** Thrown to roll a probe transaction back. */
class RollBack extends Error {}

const CALL_LEASE = 'SELECT rlhf_lease_v1(?, ?, ?, ?) AS r';
/** Longest a cached token lookup is trusted even with no NOTIFY (a safety net; NOTIFY empties the cache at once). */
const TOKEN_CACHE_MS = 5000;
const CALL_JUDGE = 'SELECT rlhf_judge_v1(?, ?, ?, ?, ?, ?, ?, ?, ?) AS r';
