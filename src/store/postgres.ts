/**
 * The team feedback store on PostgreSQL (pg). Several server replicas may share one database: every write is a
 * transaction, leases are taken with `SELECT … FOR UPDATE SKIP LOCKED`, a judgement locks its query row, and
 * migrations run under an advisory lock. PostgreSQL commits are durable (fsync) before they are acknowledged.
 *
 * URL: postgres://user:password@host:port/database[?schema=name] — `schema` (rlhfkit's own parameter) puts the
 * tables in that schema (created if missing), e.g. one schema per test.
 */
import pg from 'pg';
import { RlhfError, StoreError } from '../core/errors.js';
import type { JudgementRecord, Query } from '../feedback/types.js';
import { FieldError, canonicalJson, checkJudgementFitsQuery, validateJudgement } from '../feedback/validate.js';
import {
  type AnnotatorRow,
  type EventRow,
  type JudgementRow,
  type QueryRow,
  type RunRow,
  DEFAULT_LIST_LIMIT,
  checkAnnotatorInput,
  checkConfig,
  checkEvent,
  checkJudgeName,
  checkLeaseMs,
  checkLimit,
  checkNewRun,
  checkQueries,
  checkRedundancy,
  checkStatus,
  conflict,
  iso,
  notFound,
  queryBody,
  rowToAnnotator,
  rowToEvent,
  rowToJudgement,
  rowToQuery,
  rowToQueryState,
  rowToRun,
  sortByName,
} from './common.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import type {
  AddJudgementOptions,
  AddJudgementResult,
  AddQueriesOptions,
  Annotator,
  CountFilter,
  FeedbackStore,
  ImportBatch,
  ImportResult,
  JsonObject,
  JudgementFilter,
  Lease,
  MetricEvent,
  NewEvent,
  NewJudgement,
  NewRun,
  QueryFilter,
  QueryState,
  Role,
  Run,
  RunStats,
  RunStatus,
  StoreOptions,
} from './types.js';

type Client = pg.PoolClient;

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

export class PostgresStore implements FeedbackStore {
  readonly backend = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly clock: () => number;
  private closed = false;

  private constructor(pool: pg.Pool, location: string, clock: () => number) {
    this.pool = pool;
    this.location = location;
    this.clock = clock;
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

  private async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const at = Number((await c.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')).rows[0].v);
      if (at > LATEST_SCHEMA_VERSION) {
        throw new StoreError(`the store's schema is version ${at}, newer than this rlhfkit understands (${LATEST_SCHEMA_VERSION}); upgrade rlhfkit`);
      }
      for (const m of MIGRATIONS) {
        if (m.version <= at) continue;
        await c.query(m.postgres);
        await c.query('INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, this.clock()]);
      }
    });
  }

  /** Runs fn in a transaction; retries on serialization failures and deadlocks. */
  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
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

  private async q<T>(sql: string, args: unknown[] = []): Promise<T[]> {
    if (this.closed) throw new StoreError('the store is closed');
    try {
      return (await this.pool.query(sql, args)).rows as T[];
    } catch (e) {
      throw pgError(e);
    }
  }

  private async appendEventTx(c: Client, runId: string, type: string, iteration: number | null, data: JsonObject): Promise<MetricEvent> {
    const now = this.clock();
    const r = await c.query('INSERT INTO events (run_id, type, iteration, data, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq', [
      runId,
      type,
      iteration,
      JSON.stringify(data),
      now,
    ]);
    return { seq: Number(r.rows[0].seq), runId, type, iteration, data, createdAt: iso(now) };
  }

  private async requireRun(c: Client, id: string, lock = false): Promise<RunRow> {
    const r = await c.query(`SELECT * FROM runs WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (r.rowCount === 0) throw notFound('run', id);
    return r.rows[0] as RunRow;
  }

  // ---- runs ----

  async createRun(run: NewRun): Promise<Run> {
    const r = checkNewRun(run);
    const now = this.clock();
    const rows = await this.tx(async (c) => {
      const ins = await c.query(
        'INSERT INTO runs (id, domain, status, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING RETURNING *',
        [r.id, r.domain, r.status, JSON.stringify(r.config), now],
      );
      if (ins.rowCount === 0) throw conflict(`run "${r.id}" exists already`);
      return ins.rows as RunRow[];
    });
    return rowToRun(rows[0]!);
  }

  async getRun(id: string): Promise<Run | undefined> {
    const rows = await this.q<RunRow>('SELECT * FROM runs WHERE id = $1', [id]);
    return rows[0] ? rowToRun(rows[0]) : undefined;
  }

  async listRuns(): Promise<Run[]> {
    return (await this.q<RunRow>('SELECT * FROM runs ORDER BY created_at DESC, id DESC')).map(rowToRun);
  }

  async updateRun(id: string, patch: { status?: RunStatus; config?: JsonObject }): Promise<Run> {
    if (patch.status !== undefined) checkStatus(patch.status, 'status');
    if (patch.config !== undefined) checkConfig(patch.config, 'config');
    return this.tx(async (c) => {
      const r = await this.requireRun(c, id, true);
      const status = patch.status ?? (r.status as RunStatus);
      const config = patch.config !== undefined ? JSON.stringify(patch.config) : r.config;
      const up = await c.query('UPDATE runs SET status = $1, config = $2, updated_at = $3 WHERE id = $4 RETURNING *', [status, config, this.clock(), id]);
      if (status !== r.status) await this.appendEventTx(c, id, 'status', null, { status, previous: r.status });
      return rowToRun(up.rows[0] as RunRow);
    });
  }

  // ---- annotators ----

  async createAnnotator(a: { name: string; role: Role; tokenHash: string }): Promise<Annotator> {
    checkAnnotatorInput(a);
    return this.tx(async (c) => {
      const ins = await c.query(
        'INSERT INTO annotators (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING name, role, created_at',
        [a.name, a.role, a.tokenHash, this.clock()],
      );
      if (ins.rowCount === 0) throw conflict(`annotator "${a.name}" exists already`);
      return rowToAnnotator(ins.rows[0] as AnnotatorRow);
    });
  }

  async setAnnotatorToken(name: string, tokenHash: string): Promise<Annotator> {
    return this.tx(async (c) => {
      const cur = await c.query('SELECT name, role, created_at FROM annotators WHERE name = $1 FOR UPDATE', [name]);
      if (cur.rowCount === 0) throw notFound('annotator', name);
      const row = cur.rows[0] as AnnotatorRow;
      checkAnnotatorInput({ name, role: row.role as Role, tokenHash });
      await c.query('UPDATE annotators SET token_hash = $1 WHERE name = $2', [tokenHash, name]);
      return rowToAnnotator(row);
    });
  }

  async getAnnotator(name: string): Promise<Annotator | undefined> {
    const rows = await this.q<AnnotatorRow>('SELECT name, role, created_at FROM annotators WHERE name = $1', [name]);
    return rows[0] ? rowToAnnotator(rows[0]) : undefined;
  }

  async findAnnotatorByTokenHash(tokenHash: string): Promise<Annotator | undefined> {
    const rows = await this.q<AnnotatorRow>('SELECT name, role, created_at FROM annotators WHERE token_hash = $1', [tokenHash]);
    return rows[0] ? rowToAnnotator(rows[0]) : undefined;
  }

  async listAnnotators(): Promise<Annotator[]> {
    const rows = await this.q<AnnotatorRow>('SELECT name, role, created_at FROM annotators');
    return rows.map(rowToAnnotator).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- queries ----

  async addQueries(runId: string, queries: Query[], opts: AddQueriesOptions = {}): Promise<number> {
    const checked = checkQueries(runId, queries);
    const wanted = checkRedundancy(opts.redundancy);
    return this.tx(async (c) => {
      await this.requireRun(c, runId);
      const now = this.clock();
      const ids = checked.map((q) => q.id);
      const dup = await c.query('SELECT id FROM queries WHERE id = ANY($1::text[]) LIMIT 1', [ids]);
      if (dup.rowCount !== 0) {
        const id = dup.rows[0].id as string;
        throw conflict(`queries.${ids.indexOf(id)}.id: query "${id}" exists already (query ids are unique in a store)`);
      }
      // one multi-row INSERT per chunk of 500 (parameter limit 65535)
      for (let start = 0; start < checked.length; start += 500) {
        const chunk = checked.slice(start, start + 500);
        const args: unknown[] = [];
        const values = chunk.map((q) => {
          const b = args.length;
          args.push(q.id, runId, q.iteration, q.kind, queryBody(q), wanted, now);
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, 0, $${b + 7})`;
        });
        await c.query(`INSERT INTO queries (id, run_id, iteration, kind, body, wanted, judged, created_at) VALUES ${values.join(', ')}`, args);
      }
      if (checked.length > 0) {
        const iteration = Math.min(...checked.map((q) => q.iteration));
        await this.appendEventTx(c, runId, 'queries', iteration, { added: checked.length, iteration });
      }
      return checked.length;
    });
  }

  async getQuery(id: string): Promise<QueryState | undefined> {
    const rows = await this.q<QueryRow>('SELECT * FROM queries WHERE id = $1', [id]);
    return rows[0] ? rowToQueryState(rows[0], this.clock()) : undefined;
  }

  async listQueries(runId: string, filter: QueryFilter = {}): Promise<QueryState[]> {
    const now = this.clock();
    const where = ['run_id = $1'];
    const args: unknown[] = [runId];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (filter.iteration !== undefined) where.push(`iteration = ${arg(filter.iteration)}`);
    if (filter.status === 'done') where.push('judged >= wanted');
    else if (filter.status === 'leased') where.push(`judged < wanted AND lease_annotator IS NOT NULL AND lease_expires > ${arg(now)}`);
    else if (filter.status === 'pending') {
      where.push(`judged < wanted AND (lease_annotator IS NULL OR lease_expires IS NULL OR lease_expires <= ${arg(now)})`);
    }
    const limit = arg(checkLimit(filter.limit, DEFAULT_LIST_LIMIT, 'limit'));
    const offset = arg(checkLimit(filter.offset, 0, 'offset'));
    const rows = await this.q<QueryRow>(`SELECT * FROM queries WHERE ${where.join(' AND ')} ORDER BY iteration, seq LIMIT ${limit} OFFSET ${offset}`, args);
    return rows.map((r) => rowToQueryState(r, now));
  }

  async leaseQuery(runId: string, annotator: string, leaseMs: number): Promise<Lease | undefined> {
    checkJudgeName(annotator);
    checkLeaseMs(leaseMs);
    return this.tx(async (c) => {
      await this.requireRun(c, runId);
      const now = this.clock();
      let r = await c.query(
        `SELECT * FROM queries q WHERE run_id = $1 AND lease_annotator = $2 AND lease_expires > $3 AND judged < wanted
         AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.query_id = q.id AND j.annotator = $2)
         ORDER BY iteration, seq LIMIT 1 FOR UPDATE`,
        [runId, annotator, now],
      );
      if (r.rowCount === 0) {
        r = await c.query(
          `SELECT * FROM queries q WHERE run_id = $1 AND judged < wanted AND (lease_expires IS NULL OR lease_expires <= $2)
           AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.query_id = q.id AND j.annotator = $3)
           ORDER BY iteration, seq LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [runId, now, annotator],
        );
      }
      if (r.rowCount === 0) return undefined;
      const row = r.rows[0] as QueryRow;
      const expires = now + leaseMs;
      await c.query('UPDATE queries SET lease_annotator = $1, lease_expires = $2 WHERE id = $3', [annotator, expires, row.id]);
      return { query: rowToQuery(row), expiresAt: iso(expires) };
    });
  }

  async releaseLease(queryId: string, annotator: string): Promise<boolean> {
    return this.tx(async (c) => {
      const q = await c.query('SELECT id FROM queries WHERE id = $1', [queryId]);
      if (q.rowCount === 0) throw notFound('query', queryId);
      const r = await c.query('UPDATE queries SET lease_annotator = NULL, lease_expires = NULL WHERE id = $1 AND lease_annotator = $2', [
        queryId,
        annotator,
      ]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async queueLength(runId: string, annotator: string): Promise<number> {
    const rows = await this.q<{ n: number }>(
      `SELECT COUNT(*) AS n FROM queries q WHERE run_id = $1 AND judged < wanted
       AND (lease_expires IS NULL OR lease_expires <= $2 OR lease_annotator = $3)
       AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.query_id = q.id AND j.annotator = $3)`,
      [runId, this.clock(), annotator],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async activeLeases(runId: string, annotator: string): Promise<number> {
    const rows = await this.q<{ n: number }>(
      'SELECT COUNT(*) AS n FROM queries WHERE run_id = $1 AND lease_annotator = $2 AND lease_expires > $3 AND judged < wanted',
      [runId, annotator, this.clock()],
    );
    return Number(rows[0]?.n ?? 0);
  }

  // ---- judgements ----

  private async addJudgementTx(c: Client, j: NewJudgement, opts: AddJudgementOptions): Promise<AddJudgementResult> {
    const qr = await c.query('SELECT * FROM queries WHERE id = $1 FOR UPDATE', [j.queryId]);
    if (qr.rowCount === 0) throw notFound('query', j.queryId);
    const q = qr.rows[0] as QueryRow;
    const text = canonicalJson(j.judgement);
    const ex = await c.query('SELECT * FROM judgements WHERE query_id = $1 AND annotator = $2', [j.queryId, j.annotator]);
    if (ex.rowCount !== 0) {
      const existing = ex.rows[0] as JudgementRow;
      if (existing.judgement === text) return { record: rowToJudgement(existing), created: false };
      throw conflict(`${j.annotator} already judged query "${j.queryId}" differently (undo it first to change it)`);
    }
    checkJudgementFitsQuery(j.judgement, rowToQuery(q));
    if (opts.requireLease && q.lease_annotator !== j.annotator) {
      throw new RlhfError('E_AUTH', `query "${j.queryId}" is not leased to ${j.annotator} (lease a query first; an expired lease may have gone to someone else)`);
    }
    const created = j.createdAt !== undefined ? Date.parse(j.createdAt) : this.clock();
    await c.query(
      'INSERT INTO judgements (query_id, run_id, iteration, annotator, kind, judgement, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [j.queryId, q.run_id, q.iteration, j.annotator, j.judgement.kind, text, created],
    );
    await c.query(
      `UPDATE queries SET judged = judged + 1,
         lease_expires = CASE WHEN lease_annotator = $1 THEN NULL ELSE lease_expires END,
         lease_annotator = CASE WHEN lease_annotator = $1 THEN NULL ELSE lease_annotator END
       WHERE id = $2`,
      [j.annotator, j.queryId],
    );
    return {
      record: { queryId: j.queryId, runId: q.run_id, annotator: j.annotator, judgement: JSON.parse(text), createdAt: iso(created) },
      created: true,
    };
  }

  async addJudgement(j: NewJudgement, opts: AddJudgementOptions = {}): Promise<AddJudgementResult> {
    checkJudgeName(j.annotator);
    const input = { ...j, judgement: validateJudgement(j.judgement) };
    if (j.createdAt !== undefined && Number.isNaN(Date.parse(j.createdAt))) throw new FieldError('createdAt', `"${j.createdAt}" is not a date`);
    return this.tx((c) => this.addJudgementTx(c, input, opts));
  }

  async retractJudgement(queryId: string, annotator: string, leaseMs: number): Promise<Lease> {
    checkLeaseMs(leaseMs);
    return this.tx(async (c) => {
      const qr = await c.query('SELECT * FROM queries WHERE id = $1 FOR UPDATE', [queryId]);
      if (qr.rowCount === 0) throw notFound('query', queryId);
      const q = qr.rows[0] as QueryRow;
      const now = this.clock();
      const del = await c.query('SELECT 1 FROM judgements WHERE query_id = $1 AND annotator = $2', [queryId, annotator]);
      if (del.rowCount === 0) throw notFound('judgement by ' + annotator + ' on query', queryId);
      if (q.lease_annotator !== null && q.lease_annotator !== annotator && q.lease_expires !== null && Number(q.lease_expires) > now) {
        throw conflict(`query "${queryId}" is leased to another annotator now; try again later`);
      }
      await c.query('DELETE FROM judgements WHERE query_id = $1 AND annotator = $2', [queryId, annotator]);
      const expires = now + leaseMs;
      await c.query('UPDATE queries SET judged = judged - 1, lease_annotator = $1, lease_expires = $2 WHERE id = $3', [annotator, expires, queryId]);
      return { query: rowToQuery(q), expiresAt: iso(expires) };
    });
  }

  async listJudgements(runId: string, filter: JudgementFilter = {}): Promise<JudgementRecord[]> {
    const where = ['run_id = $1'];
    const args: unknown[] = [runId];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (filter.iteration !== undefined) where.push(`iteration = ${arg(filter.iteration)}`);
    if (filter.annotator !== undefined) where.push(`annotator = ${arg(filter.annotator)}`);
    if (filter.queryId !== undefined) where.push(`query_id = ${arg(filter.queryId)}`);
    const limit = arg(checkLimit(filter.limit, 10000, 'limit'));
    const offset = arg(checkLimit(filter.offset, 0, 'offset'));
    const order = filter.order === 'desc' ? 'DESC' : 'ASC';
    const rows = await this.q<JudgementRow>(
      `SELECT * FROM judgements WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ${limit} OFFSET ${offset}`,
      args,
    );
    return rows.map(rowToJudgement);
  }

  async countJudgements(runId: string | undefined, filter: CountFilter = {}): Promise<number> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (runId !== undefined) where.push(`run_id = ${arg(runId)}`);
    if (filter.iteration !== undefined) where.push(`iteration = ${arg(filter.iteration)}`);
    if (filter.annotator !== undefined) where.push(`annotator = ${arg(filter.annotator)}`);
    const rows = await this.q<{ n: number }>(
      `SELECT COUNT(*) AS n FROM judgements${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`,
      args,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async runStats(runId: string): Promise<RunStats> {
    if ((await this.q('SELECT 1 FROM runs WHERE id = $1', [runId])).length === 0) throw notFound('run', runId);
    const now = this.clock();
    const [q] = await this.q<{ total: number; done: number; leased: number }>(
      `SELECT COUNT(*) AS total,
         COALESCE(SUM(CASE WHEN judged >= wanted THEN 1 ELSE 0 END), 0)::bigint AS done,
         COALESCE(SUM(CASE WHEN judged < wanted AND lease_annotator IS NOT NULL AND lease_expires > $1 THEN 1 ELSE 0 END), 0)::bigint AS leased
       FROM queries WHERE run_id = $2`,
      [now, runId],
    );
    const byAnnotator = sortByName(
      (await this.q<{ annotator: string; n: number }>('SELECT annotator, COUNT(*) AS n FROM judgements WHERE run_id = $1 GROUP BY annotator', [runId])).map(
        (r) => ({ annotator: r.annotator, count: Number(r.n) }),
      ),
    );
    const byIteration = (
      await this.q<{ iteration: number; n: number }>(
        'SELECT iteration, COUNT(*) AS n FROM judgements WHERE run_id = $1 GROUP BY iteration ORDER BY iteration',
        [runId],
      )
    ).map((r) => ({ iteration: Number(r.iteration), count: Number(r.n) }));
    const byPreference = { left: 0, right: 0, tie: 0, skip: 0 };
    const prefs = await this.q<{ p: string; n: number }>(
      `SELECT (judgement::json)->>'preferred' AS p, COUNT(*) AS n FROM judgements WHERE run_id = $1 AND kind = 'comparison' GROUP BY p`,
      [runId],
    );
    for (const r of prefs) if (r.p in byPreference) byPreference[r.p as keyof typeof byPreference] = Number(r.n);
    const [last] = await this.q<{ t: number | null }>('SELECT MAX(created_at) AS t FROM judgements WHERE run_id = $1', [runId]);
    const total = Number(q?.total ?? 0);
    const done = Number(q?.done ?? 0);
    const leased = Number(q?.leased ?? 0);
    return {
      runId,
      queries: { total, pending: total - done - leased, leased, done },
      judgements: { total: byAnnotator.reduce((s, r) => s + r.count, 0), byAnnotator, byIteration, byPreference },
      lastJudgementAt: last?.t === null || last?.t === undefined ? null : iso(Number(last.t)),
    };
  }

  // ---- events ----

  async appendEvent(runId: string, e: NewEvent): Promise<MetricEvent> {
    const ev = checkEvent(e);
    return this.tx(async (c) => {
      await this.requireRun(c, runId);
      return this.appendEventTx(c, runId, ev.type, ev.iteration, ev.data);
    });
  }

  async listEvents(runId: string, opts: { after?: number; limit?: number } = {}): Promise<MetricEvent[]> {
    const rows = await this.q<EventRow>('SELECT * FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
      runId,
      opts.after ?? 0,
      checkLimit(opts.limit, DEFAULT_LIST_LIMIT, 'limit'),
    ]);
    return rows.map(rowToEvent);
  }

  // ---- import ----

  async importBatch(batch: ImportBatch): Promise<ImportResult> {
    return this.tx(async (c) => {
      const res: ImportResult = { runs: 0, queries: 0, judgements: 0, skipped: 0 };
      const now = this.clock();
      for (const run of batch.runs) {
        const r = checkNewRun(run);
        const ex = await c.query('SELECT domain FROM runs WHERE id = $1', [r.id]);
        if (ex.rowCount !== 0) {
          if (ex.rows[0].domain !== r.domain) throw conflict(`run "${r.id}" exists with domain ${ex.rows[0].domain}, the import says ${r.domain}`);
          res.skipped++;
          continue;
        }
        await c.query('INSERT INTO runs (id, domain, status, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)', [
          r.id,
          r.domain,
          r.status,
          JSON.stringify(r.config),
          now,
        ]);
        res.runs++;
      }
      for (const { query, wanted } of batch.queries) {
        const ex = await c.query('SELECT * FROM queries WHERE id = $1', [query.id]);
        if (ex.rowCount !== 0) {
          const row = ex.rows[0] as QueryRow;
          if (row.run_id !== query.runId || canonicalJson(rowToQuery(row)) !== canonicalJson(query)) {
            throw conflict(`query "${query.id}" exists with different content`);
          }
          res.skipped++;
          continue;
        }
        await this.requireRun(c, query.runId);
        await c.query(
          'INSERT INTO queries (id, run_id, iteration, kind, body, wanted, judged, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)',
          [query.id, query.runId, query.iteration, query.kind, queryBody(query), checkRedundancy(wanted), now],
        );
        res.queries++;
      }
      for (const rec of batch.judgements) {
        const r = await this.addJudgementTx(c, rec, {});
        if (r.record.runId !== rec.runId) throw conflict(`judgement on query "${rec.queryId}" says run ${rec.runId}, the query is in ${r.record.runId}`);
        if (r.created) res.judgements++;
        else res.skipped++;
      }
      return res;
    });
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.q<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version');
    return Number(rows[0]?.v ?? 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
