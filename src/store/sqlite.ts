/**
 * The embedded feedback store: one SQLite file (better-sqlite3), WAL journal with synchronous=FULL, so a write
 * is on disk before its promise resolves and survives kill -9 of the process.
 *
 * better-sqlite3 is synchronous. Writes go through a small group-commit queue: every write requested in the same
 * event-loop turn runs in ONE immediate transaction (each inside its own savepoint, so one failing write does not
 * undo the others), and all their promises resolve after the single commit (one fsync for the batch).
 * Reads run directly.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { RlhfError, StoreError } from '../core/errors.js';
import type { JudgementRecord, Query } from '../feedback/types.js';
import { canonicalJson, checkJudgementFitsQuery, validateJudgement } from '../feedback/validate.js';
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

type Stmt = Database.Statement;

interface PendingWrite {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Applies the missing migrations (each in an immediate transaction, so concurrent openers don't race). */
function migrate(db: Database.Database, now: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const current = (): number => (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  const at = current();
  if (at > LATEST_SCHEMA_VERSION) {
    throw new StoreError(`the store's schema is version ${at}, newer than this rlhfkit understands (${LATEST_SCHEMA_VERSION}); upgrade rlhfkit`);
  }
  for (const m of MIGRATIONS) {
    db.transaction(() => {
      if (current() >= m.version) return;
      db.exec(m.sqlite);
      db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
    }).immediate();
  }
}

export class SqliteStore implements FeedbackStore {
  readonly backend = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private readonly s: Record<string, Stmt>;
  private queue: PendingWrite[] = [];
  private lightQueue: PendingWrite[] = [];
  /** the connection's current synchronous mode */
  private sync: 'NORMAL' | 'FULL' = 'FULL';
  private scheduled = false;
  private closed = false;
  /** runs fn inside a savepoint (a nested better-sqlite3 transaction) */
  private readonly savepoint: (fn: () => unknown) => unknown;
  private readonly batch: Database.Transaction<(ops: PendingWrite[]) => { ok: boolean; v: unknown }[]>;

  /** Opens (creating if needed) the SQLite file at `path` (':memory:' for a throwaway store). */
  constructor(path: string, opts: StoreOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    const file = path === ':memory:' ? path : resolve(path);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.location = file;
    try {
      this.db = new Database(file);
    } catch (e) {
      throw new StoreError(`cannot open the SQLite store at ${file}: ${(e as Error).message}`, { cause: e });
    }
    try {
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL'); // fsync the WAL at every commit: acknowledged ⇒ durable
      this.db.pragma('foreign_keys = ON');
      migrate(this.db, this.clock());
    } catch (e) {
      this.db.close();
      if (e instanceof RlhfError) throw e;
      throw new StoreError(`cannot prepare the SQLite store at ${file}: ${(e as Error).message}`, { cause: e });
    }
    this.s = this.prepare();
    this.savepoint = this.db.transaction((fn: () => unknown) => fn());
    this.batch = this.db.transaction((ops: PendingWrite[]) =>
      ops.map((op) => {
        try {
          return { ok: true, v: this.savepoint(op.fn) };
        } catch (e) {
          return { ok: false, v: e };
        }
      }),
    );
  }

  private prepare(): Record<string, Stmt> {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      insertRun: p('INSERT INTO runs (id, domain, status, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)'),
      getRun: p('SELECT * FROM runs WHERE id = ?'),
      listRuns: p('SELECT * FROM runs ORDER BY created_at DESC, id DESC'),
      updateRun: p('UPDATE runs SET status = ?, config = ?, updated_at = ? WHERE id = ?'),
      insertAnnotator: p('INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)'),
      setToken: p('UPDATE annotators SET token_hash = ? WHERE name = ?'),
      getAnnotator: p('SELECT name, role, created_at FROM annotators WHERE name = ?'),
      annotatorByToken: p('SELECT name, role, created_at FROM annotators WHERE token_hash = ?'),
      tokenUsed: p('SELECT name FROM annotators WHERE token_hash = ?'),
      listAnnotators: p('SELECT name, role, created_at FROM annotators ORDER BY name'),
      queryExists: p('SELECT run_id FROM queries WHERE id = ?'),
      insertQuery: p(
        'INSERT INTO queries (id, run_id, iteration, kind, body, wanted, judged, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)',
      ),
      getQuery: p('SELECT * FROM queries WHERE id = ?'),
      ownLease: p(
        // INDEXED BY: without it the planner walks the (iteration, seq) order of every open query
        `SELECT * FROM queries q INDEXED BY queries_lease WHERE run_id = ? AND lease_annotator = ? AND lease_expires > ? AND judged < wanted
         AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.query_id = q.id AND j.annotator = ?)
         ORDER BY iteration, seq LIMIT 1`,
      ),
      nextFree: p(
        `SELECT * FROM queries q WHERE run_id = ? AND judged < wanted AND (lease_expires IS NULL OR lease_expires <= ?)
         AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.query_id = q.id AND j.annotator = ?)
         ORDER BY iteration, seq LIMIT 1`,
      ),
      setLease: p('UPDATE queries SET lease_annotator = ?, lease_expires = ? WHERE id = ?'),
      release: p('UPDATE queries SET lease_annotator = NULL, lease_expires = NULL WHERE id = ? AND lease_annotator = ?'),
      queue: p(
        `SELECT COUNT(*) AS n FROM queries q WHERE run_id = ? AND judged < wanted
         AND (lease_expires IS NULL OR lease_expires <= ? OR lease_annotator = ?)
         AND NOT EXISTS (SELECT 1 FROM judgements j WHERE j.query_id = q.id AND j.annotator = ?)`,
      ),
      activeLeases: p(
        'SELECT COUNT(*) AS n FROM queries INDEXED BY queries_lease WHERE run_id = ? AND lease_annotator = ? AND lease_expires > ? AND judged < wanted',
      ),
      getJudgement: p('SELECT * FROM judgements WHERE query_id = ? AND annotator = ?'),
      insertJudgement: p(
        'INSERT INTO judgements (query_id, run_id, iteration, annotator, kind, judgement, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      judgedUp: p(
        `UPDATE queries SET judged = judged + 1,
           lease_expires = CASE WHEN lease_annotator = ? THEN NULL ELSE lease_expires END,
           lease_annotator = CASE WHEN lease_annotator = ? THEN NULL ELSE lease_annotator END
         WHERE id = ?`,
      ),
      deleteJudgement: p('DELETE FROM judgements WHERE query_id = ? AND annotator = ?'),
      judgedDown: p('UPDATE queries SET judged = judged - 1, lease_annotator = ?, lease_expires = ? WHERE id = ?'),
      countAll: p('SELECT COUNT(*) AS n FROM judgements'),
      countAllBy: p('SELECT COUNT(*) AS n FROM judgements WHERE annotator = ?'),
      queryStats: p(
        `SELECT COUNT(*) AS total,
           COALESCE(SUM(CASE WHEN judged >= wanted THEN 1 ELSE 0 END), 0) AS done,
           COALESCE(SUM(CASE WHEN judged < wanted AND lease_annotator IS NOT NULL AND lease_expires > ? THEN 1 ELSE 0 END), 0) AS leased
         FROM queries WHERE run_id = ?`,
      ),
      byAnnotator: p('SELECT annotator, COUNT(*) AS n FROM judgements WHERE run_id = ? GROUP BY annotator'),
      byIteration: p('SELECT iteration, COUNT(*) AS n FROM judgements WHERE run_id = ? GROUP BY iteration ORDER BY iteration'),
      byPreference: p(
        `SELECT json_extract(judgement, '$.preferred') AS p, COUNT(*) AS n FROM judgements
         WHERE run_id = ? AND kind = 'comparison' GROUP BY p`,
      ),
      lastJudgement: p('SELECT MAX(created_at) AS t FROM judgements WHERE run_id = ?'),
      insertEvent: p('INSERT INTO events (run_id, type, iteration, data, created_at) VALUES (?, ?, ?, ?, ?)'),
      listEvents: p('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      schemaVersion: p('SELECT MAX(version) AS v FROM schema_version'),
    };
  }

  /**
   * Queues a write for the next group commit; resolves after the commit. `durable` writes (everything but
   * leases) commit with synchronous=FULL (fsynced: they survive power loss, not only kill -9). Leases commit with
   * synchronous=NORMAL (written to the OS, so they survive kill -9 of the process, but not fsynced): a lease lost
   * to a power cut just returns its query to the pool, as an expired lease would.
   */
  private write<T>(fn: () => T, durable = true): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    return new Promise<T>((res, rej) => {
      (durable ? this.queue : this.lightQueue).push({ fn, resolve: res as (v: unknown) => void, reject: rej });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const light = this.lightQueue;
    const durable = this.queue;
    this.lightQueue = [];
    this.queue = [];
    // one transaction per turn: fsynced when it holds a durable write, else only written to the OS
    if (durable.length > 0) this.commit(light.length > 0 ? [...light, ...durable] : durable, 'FULL');
    else if (light.length > 0) this.commit(light, 'NORMAL');
  }

  /** Runs ops in one immediate transaction (each in a savepoint) and settles their promises after the commit. */
  private commit(ops: PendingWrite[], sync: 'NORMAL' | 'FULL'): void {
    let results: { ok: boolean; v: unknown }[];
    try {
      if (this.sync !== sync) {
        this.db.pragma(`synchronous = ${sync}`);
        this.sync = sync;
      }
      results = this.batch.immediate(ops);
    } catch (e) {
      const err = e instanceof RlhfError ? e : new StoreError(`SQLite write failed: ${(e as Error).message}`, { cause: e });
      for (const op of ops) op.reject(err);
      return;
    }
    ops.forEach((op, i) => {
      const r = results[i]!;
      if (r.ok) op.resolve(r.v);
      else op.reject(this.wrap(r.v));
    });
  }

  private wrap(e: unknown): unknown {
    if (e instanceof RlhfError) return e;
    if (e instanceof Error && /UNIQUE constraint failed/.test(e.message)) return conflict(e.message);
    return new StoreError(`SQLite: ${(e as Error).message}`, { cause: e });
  }

  private read<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(this.wrap(e));
    }
  }

  private appendEventSync(runId: string, type: string, iteration: number | null, data: JsonObject): MetricEvent {
    const now = this.clock();
    const info = this.s.insertEvent!.run(runId, type, iteration, JSON.stringify(data), now);
    return { seq: Number(info.lastInsertRowid), runId, type, iteration, data, createdAt: iso(now) };
  }

  private runRow(id: string): RunRow | undefined {
    return this.s.getRun!.get(id) as RunRow | undefined;
  }

  private requireRun(id: string): RunRow {
    const r = this.runRow(id);
    if (!r) throw notFound('run', id);
    return r;
  }

  // ---- runs ----

  createRun(run: NewRun): Promise<Run> {
    return this.write(() => {
      const r = checkNewRun(run);
      if (this.runRow(r.id)) throw conflict(`run "${r.id}" exists already`);
      const now = this.clock();
      this.s.insertRun!.run(r.id, r.domain, r.status, JSON.stringify(r.config), now, now);
      return rowToRun(this.runRow(r.id)!);
    });
  }

  getRun(id: string): Promise<Run | undefined> {
    return this.read(() => {
      const r = this.runRow(id);
      return r ? rowToRun(r) : undefined;
    });
  }

  listRuns(): Promise<Run[]> {
    return this.read(() => (this.s.listRuns!.all() as RunRow[]).map(rowToRun));
  }

  updateRun(id: string, patch: { status?: RunStatus; config?: JsonObject }): Promise<Run> {
    return this.write(() => {
      const r = this.requireRun(id);
      if (patch.status !== undefined) checkStatus(patch.status, 'status');
      if (patch.config !== undefined) checkConfig(patch.config, 'config');
      const status = patch.status ?? (r.status as RunStatus);
      const config = patch.config !== undefined ? JSON.stringify(patch.config) : r.config;
      this.s.updateRun!.run(status, config, this.clock(), id);
      if (status !== r.status) this.appendEventSync(id, 'status', null, { status, previous: r.status });
      return rowToRun(this.runRow(id)!);
    });
  }

  // ---- annotators ----

  createAnnotator(a: { name: string; role: Role; tokenHash: string }): Promise<Annotator> {
    return this.write(() => {
      checkAnnotatorInput(a);
      if (this.s.getAnnotator!.get(a.name)) throw conflict(`annotator "${a.name}" exists already`);
      if (this.s.tokenUsed!.get(a.tokenHash)) throw conflict('token hash already in use');
      this.s.insertAnnotator!.run(a.name, a.role, a.tokenHash, this.clock());
      return rowToAnnotator(this.s.getAnnotator!.get(a.name) as AnnotatorRow);
    });
  }

  setAnnotatorToken(name: string, tokenHash: string): Promise<Annotator> {
    return this.write(() => {
      const row = this.s.getAnnotator!.get(name) as AnnotatorRow | undefined;
      if (!row) throw notFound('annotator', name);
      checkAnnotatorInput({ name, role: row.role as Role, tokenHash });
      this.s.setToken!.run(tokenHash, name);
      return rowToAnnotator(row);
    });
  }

  getAnnotator(name: string): Promise<Annotator | undefined> {
    return this.read(() => {
      const r = this.s.getAnnotator!.get(name) as AnnotatorRow | undefined;
      return r ? rowToAnnotator(r) : undefined;
    });
  }

  findAnnotatorByTokenHash(tokenHash: string): Promise<Annotator | undefined> {
    return this.read(() => {
      const r = this.s.annotatorByToken!.get(tokenHash) as AnnotatorRow | undefined;
      return r ? rowToAnnotator(r) : undefined;
    });
  }

  listAnnotators(): Promise<Annotator[]> {
    return this.read(() => (this.s.listAnnotators!.all() as AnnotatorRow[]).map(rowToAnnotator));
  }

  // ---- queries ----

  addQueries(runId: string, queries: Query[], opts: AddQueriesOptions = {}): Promise<number> {
    let checked: Query[];
    let wanted: number;
    try {
      checked = checkQueries(runId, queries);
      wanted = checkRedundancy(opts.redundancy);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(() => {
      this.requireRun(runId);
      const now = this.clock();
      checked.forEach((q, i) => {
        if (this.s.queryExists!.get(q.id)) throw conflict(`queries.${i}.id: query "${q.id}" exists already (query ids are unique in a store)`);
        this.s.insertQuery!.run(q.id, runId, q.iteration, q.kind, queryBody(q), wanted, now);
      });
      if (checked.length > 0) {
        const iteration = Math.min(...checked.map((q) => q.iteration));
        this.appendEventSync(runId, 'queries', iteration, { added: checked.length, iteration });
      }
      return checked.length;
    });
  }

  getQuery(id: string): Promise<QueryState | undefined> {
    return this.read(() => {
      const r = this.s.getQuery!.get(id) as QueryRow | undefined;
      return r ? rowToQueryState(r, this.clock()) : undefined;
    });
  }

  listQueries(runId: string, filter: QueryFilter = {}): Promise<QueryState[]> {
    return this.read(() => {
      const now = this.clock();
      const where = ['run_id = ?'];
      const args: unknown[] = [runId];
      if (filter.iteration !== undefined) {
        where.push('iteration = ?');
        args.push(filter.iteration);
      }
      if (filter.status === 'done') where.push('judged >= wanted');
      else if (filter.status === 'leased') {
        where.push('judged < wanted AND lease_annotator IS NOT NULL AND lease_expires > ?');
        args.push(now);
      } else if (filter.status === 'pending') {
        where.push('judged < wanted AND (lease_annotator IS NULL OR lease_expires IS NULL OR lease_expires <= ?)');
        args.push(now);
      }
      args.push(checkLimit(filter.limit, DEFAULT_LIST_LIMIT, 'limit'), checkLimit(filter.offset, 0, 'offset'));
      const rows = this.db
        .prepare(`SELECT * FROM queries WHERE ${where.join(' AND ')} ORDER BY iteration, seq LIMIT ? OFFSET ?`)
        .all(...args) as QueryRow[];
      return rows.map((r) => rowToQueryState(r, now));
    });
  }

  leaseQuery(runId: string, annotator: string, leaseMs: number): Promise<Lease | undefined> {
    try {
      checkJudgeName(annotator);
      checkLeaseMs(leaseMs);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(() => {
      this.requireRun(runId);
      const now = this.clock();
      const row =
        (this.s.ownLease!.get(runId, annotator, now, annotator) as QueryRow | undefined) ??
        (this.s.nextFree!.get(runId, now, annotator) as QueryRow | undefined);
      if (!row) return undefined;
      const expires = now + leaseMs;
      this.s.setLease!.run(annotator, expires, row.id);
      return { query: rowToQuery(row), expiresAt: iso(expires) };
    }, false);
  }

  releaseLease(queryId: string, annotator: string): Promise<boolean> {
    return this.write(() => {
      const r = this.s.getQuery!.get(queryId) as QueryRow | undefined;
      if (!r) throw notFound('query', queryId);
      return this.s.release!.run(queryId, annotator).changes > 0;
    }, false);
  }

  queueLength(runId: string, annotator: string): Promise<number> {
    return this.read(() => (this.s.queue!.get(runId, this.clock(), annotator, annotator) as { n: number }).n);
  }

  activeLeases(runId: string, annotator: string): Promise<number> {
    return this.read(() => (this.s.activeLeases!.get(runId, annotator, this.clock()) as { n: number }).n);
  }

  // ---- judgements ----

  /** The transaction body of addJudgement (also used by importBatch). */
  private addJudgementSync(j: NewJudgement, opts: AddJudgementOptions): AddJudgementResult {
    const q = this.s.getQuery!.get(j.queryId) as QueryRow | undefined;
    if (!q) throw notFound('query', j.queryId);
    const text = canonicalJson(j.judgement);
    const existing = this.s.getJudgement!.get(j.queryId, j.annotator) as JudgementRow | undefined;
    if (existing) {
      if (existing.judgement === text) return { record: rowToJudgement(existing), created: false };
      throw conflict(`${j.annotator} already judged query "${j.queryId}" differently (undo it first to change it)`);
    }
    checkJudgementFitsQuery(j.judgement, rowToQuery(q));
    if (opts.requireLease && q.lease_annotator !== j.annotator) {
      throw new RlhfError('E_AUTH', `query "${j.queryId}" is not leased to ${j.annotator} (lease a query first; an expired lease may have gone to someone else)`);
    }
    const created = j.createdAt !== undefined ? Date.parse(j.createdAt) : this.clock();
    this.s.insertJudgement!.run(j.queryId, q.run_id, q.iteration, j.annotator, j.judgement.kind, text, created);
    this.s.judgedUp!.run(j.annotator, j.annotator, j.queryId);
    return {
      record: { queryId: j.queryId, runId: q.run_id, annotator: j.annotator, judgement: JSON.parse(text), createdAt: iso(created) },
      created: true,
    };
  }

  addJudgement(j: NewJudgement, opts: AddJudgementOptions = {}): Promise<AddJudgementResult> {
    let input: NewJudgement;
    try {
      checkJudgeName(j.annotator);
      input = { ...j, judgement: validateJudgement(j.judgement) };
      if (j.createdAt !== undefined && Number.isNaN(Date.parse(j.createdAt))) throw new StoreError(`createdAt "${j.createdAt}" is not a date`);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(() => this.addJudgementSync(input, opts));
  }

  retractJudgement(queryId: string, annotator: string, leaseMs: number): Promise<Lease> {
    try {
      checkLeaseMs(leaseMs);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(() => {
      const q = this.s.getQuery!.get(queryId) as QueryRow | undefined;
      if (!q) throw notFound('query', queryId);
      if (!this.s.getJudgement!.get(queryId, annotator)) throw notFound('judgement by ' + annotator + ' on query', queryId);
      const now = this.clock();
      if (q.lease_annotator !== null && q.lease_annotator !== annotator && q.lease_expires !== null && q.lease_expires > now) {
        throw conflict(`query "${queryId}" is leased to another annotator now; try again later`);
      }
      this.s.deleteJudgement!.run(queryId, annotator);
      const expires = now + leaseMs;
      this.s.judgedDown!.run(annotator, expires, queryId);
      return { query: rowToQuery(q), expiresAt: iso(expires) };
    });
  }

  listJudgements(runId: string, filter: JudgementFilter = {}): Promise<JudgementRecord[]> {
    return this.read(() => {
      const where = ['run_id = ?'];
      const args: unknown[] = [runId];
      if (filter.iteration !== undefined) {
        where.push('iteration = ?');
        args.push(filter.iteration);
      }
      if (filter.annotator !== undefined) {
        where.push('annotator = ?');
        args.push(filter.annotator);
      }
      if (filter.queryId !== undefined) {
        where.push('query_id = ?');
        args.push(filter.queryId);
      }
      args.push(checkLimit(filter.limit, 10000, 'limit'), checkLimit(filter.offset, 0, 'offset'));
      const order = filter.order === 'desc' ? 'DESC' : 'ASC';
      const rows = this.db
        .prepare(`SELECT * FROM judgements WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ? OFFSET ?`)
        .all(...args) as JudgementRow[];
      return rows.map(rowToJudgement);
    });
  }

  countJudgements(runId: string | undefined, filter: CountFilter = {}): Promise<number> {
    return this.read(() => {
      if (runId === undefined) {
        const r = (filter.annotator !== undefined ? this.s.countAllBy!.get(filter.annotator) : this.s.countAll!.get()) as { n: number };
        return r.n;
      }
      const where = ['run_id = ?'];
      const args: unknown[] = [runId];
      if (filter.iteration !== undefined) {
        where.push('iteration = ?');
        args.push(filter.iteration);
      }
      if (filter.annotator !== undefined) {
        where.push('annotator = ?');
        args.push(filter.annotator);
      }
      return (this.db.prepare(`SELECT COUNT(*) AS n FROM judgements WHERE ${where.join(' AND ')}`).get(...args) as { n: number }).n;
    });
  }

  runStats(runId: string): Promise<RunStats> {
    return this.read(() => {
      this.requireRun(runId);
      const q = this.s.queryStats!.get(this.clock(), runId) as { total: number; done: number; leased: number };
      const byAnnotator = sortByName(
        (this.s.byAnnotator!.all(runId) as { annotator: string; n: number }[]).map((r) => ({ annotator: r.annotator, count: r.n })),
      );
      const byIteration = (this.s.byIteration!.all(runId) as { iteration: number; n: number }[]).map((r) => ({
        iteration: r.iteration,
        count: r.n,
      }));
      const byPreference = { left: 0, right: 0, tie: 0, skip: 0 };
      for (const r of this.s.byPreference!.all(runId) as { p: string; n: number }[]) {
        if (r.p in byPreference) byPreference[r.p as keyof typeof byPreference] = r.n;
      }
      const last = (this.s.lastJudgement!.get(runId) as { t: number | null }).t;
      return {
        runId,
        queries: { total: q.total, pending: q.total - q.done - q.leased, leased: q.leased, done: q.done },
        judgements: { total: byAnnotator.reduce((s, r) => s + r.count, 0), byAnnotator, byIteration, byPreference },
        lastJudgementAt: last === null ? null : iso(last),
      };
    });
  }

  // ---- events ----

  appendEvent(runId: string, e: NewEvent): Promise<MetricEvent> {
    let ev: ReturnType<typeof checkEvent>;
    try {
      ev = checkEvent(e);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.write(() => {
      this.requireRun(runId);
      return this.appendEventSync(runId, ev.type, ev.iteration, ev.data);
    });
  }

  listEvents(runId: string, opts: { after?: number; limit?: number } = {}): Promise<MetricEvent[]> {
    return this.read(() =>
      (this.s.listEvents!.all(runId, opts.after ?? 0, checkLimit(opts.limit, DEFAULT_LIST_LIMIT, 'limit')) as EventRow[]).map(rowToEvent),
    );
  }

  // ---- import ----

  importBatch(batch: ImportBatch): Promise<ImportResult> {
    return this.write(() => {
      const res: ImportResult = { runs: 0, queries: 0, judgements: 0, skipped: 0 };
      const now = this.clock();
      for (const run of batch.runs) {
        const r = checkNewRun(run);
        const existing = this.runRow(r.id);
        if (existing) {
          if (existing.domain !== r.domain) throw conflict(`run "${r.id}" exists with domain ${existing.domain}, the import says ${r.domain}`);
          res.skipped++;
          continue;
        }
        this.s.insertRun!.run(r.id, r.domain, r.status, JSON.stringify(r.config), now, now);
        res.runs++;
      }
      for (const { query, wanted } of batch.queries) {
        const existing = this.s.getQuery!.get(query.id) as QueryRow | undefined;
        if (existing) {
          if (existing.run_id !== query.runId || canonicalJson(rowToQuery(existing)) !== canonicalJson(query)) {
            throw conflict(`query "${query.id}" exists with different content`);
          }
          res.skipped++;
          continue;
        }
        this.requireRun(query.runId);
        this.s.insertQuery!.run(query.id, query.runId, query.iteration, query.kind, queryBody(query), checkRedundancy(wanted), now);
        res.queries++;
      }
      for (const rec of batch.judgements) {
        const r = this.addJudgementSync(rec, {});
        if (r.record.runId !== rec.runId) throw conflict(`judgement on query "${rec.queryId}" says run ${rec.runId}, the query is in ${r.record.runId}`);
        if (r.created) res.judgements++;
        else res.skipped++;
      }
      return res;
    });
  }

  schemaVersion(): Promise<number> {
    return this.read(() => (this.s.schemaVersion!.get() as { v: number }).v);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // let queued writes commit first
    while (this.queue.length > 0 || this.lightQueue.length > 0 || this.scheduled) await new Promise((r) => setImmediate(r));
    this.closed = true;
    this.db.close();
  }
}
