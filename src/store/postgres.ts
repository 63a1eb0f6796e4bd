/**
 * The team feedback store on PostgreSQL (pg). Several server replicas may share one database: every write is a
 * transaction, leases are taken with `SELECT … FOR UPDATE SKIP LOCKED`, a judgement locks its query row, and
 * migrations run under an advisory lock. PostgreSQL commits are durable (fsync) before they are acknowledged.
 * The logic is sqlStore.ts; this file is the dialect, the connection pool and how PostgreSQL commits.
 *
 * URL: postgres://user:password@host:port/database[?schema=name] — `schema` (rlhfkit's own parameter) puts the
 * tables in that schema (created if missing), e.g. one schema per test.
 */
import pg from 'pg';
import { RlhfError, StoreError } from '../core/errors.js';
import { conflict } from './common.js';
import { MIGRATIONS, refuseNewerSchema } from './migrations.js';
import type { Awaitable, Dialect, Tx } from './sql.js';
import { SqlStore } from './sqlStore.js';
import type { StoreOptions } from './types.js';

type Client = pg.PoolClient;

const POSTGRES: Dialect = {
  lockRow: 'FOR UPDATE',
  lockFreeRow: 'FOR UPDATE SKIP LOCKED',
  leaseIndex: '',
  jsonText: (column, key) => `(${column}::json)->>'${key}'`,
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

/** A `Tx` over a pooled client inside a transaction, or over the pool itself (reads: one statement each). */
class PgTx implements Tx {
  constructor(private readonly c: pg.Pool | Client) {}

  private async query(sql: string, args: readonly unknown[]): Promise<pg.QueryResult> {
    return this.c.query(numberPlaceholders(sql), args as unknown[]);
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

export class PostgresStore extends SqlStore {
  readonly backend = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly poolTx: PgTx;
  private closed = false;

  private constructor(pool: pg.Pool, location: string, clock: () => number) {
    super(POSTGRES, clock);
    this.pool = pool;
    this.poolTx = new PgTx(pool);
    this.location = location;
  }

  /** Connects, creates the schema if asked, applies missing migrations. */
  static async open(url: string, opts: StoreOptions = {}): Promise<PostgresStore> {
    const { connectionString, schema, redacted } = parsePgUrl(url);
    const config: pg.PoolConfig = { connectionString, max: opts.poolSize ?? 10, types: TYPES };
    if (schema !== undefined) config.options = `-c search_path=${schema}`;
    const pool = new pg.Pool(config);
    pool.on('error', () => {
      /* an idle client died (server restart); the pool replaces it */
    });
    const store = new PostgresStore(pool, redacted, opts.clock ?? Date.now);
    try {
      if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await store.migrate();
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
        const code = (e as { code?: string }).code;
        if ((code === '40001' || code === '40P01') && attempt < 5) continue;
        throw pgError(e);
      }
    }
  }

  /** Every write is a transaction; PostgreSQL fsyncs each commit, so all writes are durable. */
  protected write<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    return this.transaction(async (c) => fn(new PgTx(c)));
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
    await this.pool.end();
  }
}
