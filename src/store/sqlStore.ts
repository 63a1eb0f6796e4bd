/**
 * The feedback store's logic, written once against a transaction (`Tx`, sql.ts): input checks, idempotent
 * judgements, leases, undo, runs, annotators, events, imports. A backend supplies only its dialect and how it
 * runs a transaction:
 *   - `write(fn)`: fn in one transaction, resolved after the commit (SQLite: a group-committed savepoint inside
 *     BEGIN IMMEDIATE; PostgreSQL: BEGIN … COMMIT with row locks, retried on serialization failures);
 *   - `read(fn)`: fn outside any write transaction.
 * Every operation is a method, so a backend may override one with a faster form (e.g. `addJudgementTx` as a
 * single PostgreSQL statement) as long as the contract suite (test/store/contract.test.ts) still passes.
 */
import { RlhfError } from '../core/errors.js';
import type { JudgementRecord, Query } from '../feedback/types.js';
import { canonicalJson, checkJudgementFitsQuery, validateJudgement } from '../feedback/validate.js';
import {
  type AnnotatorRow,
  type AuditRow,
  type EventRow,
  type JudgeContextRow,
  type JudgementRow,
  type QueryRow,
  type RunRow,
  DEFAULT_LIST_LIMIT,
  accountDisabled,
  auditToAdjudication,
  checkAnnotatorInput,
  checkConfig,
  checkCreatedAt,
  checkEvent,
  checkJudgeName,
  checkLeaseMs,
  checkLimit,
  checkNewRun,
  checkNote,
  checkQueries,
  checkQueryLimits,
  checkRedundancy,
  checkStatus,
  conflict,
  isOpenStatus,
  iso,
  notFound,
  queryBody,
  queryFit,
  rowToAnnotator,
  rowToAudit,
  rowToEvent,
  rowToJudgement,
  rowToQuery,
  rowToQueryState,
  rowToRun,
  runClosed,
  sortByName,
} from './common.js';
import { type Awaitable, type Dialect, type Statements, type Tx, SQL_CHUNK, statements, whereEq } from './sql.js';
import type {
  AddJudgementOptions,
  AddJudgementResult,
  AddQueriesOptions,
  Adjudication,
  Annotator,
  AuditAction,
  AuditEntry,
  AuditFilter,
  CountFilter,
  FeedbackStore,
  ImportBatch,
  ImportResult,
  JsonObject,
  JudgementFilter,
  Lease,
  MetricEvent,
  NewAdjudication,
  NewEvent,
  NewJudgement,
  NewRun,
  QueryFilter,
  QueryState,
  Role,
  Run,
  RunStats,
  RunStatus,
  StoreHealth,
} from './types.js';

/**
 * How durable a write must be when its promise resolves. `durable`: on disk (fsynced). `light` (leases): survives
 * the process dying, may be lost to a power cut — a lost lease only returns its query to the pool early.
 */
export type Durability = 'durable' | 'light';

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export abstract class SqlStore implements FeedbackStore {
  abstract readonly backend: 'sqlite' | 'postgres';
  abstract readonly location: string;
  /** the SQL of every operation, in the backend's dialect */
  protected readonly sql: Statements;
  /** milliseconds since the epoch */
  protected readonly clock: () => number;

  protected readonly dialect: Dialect;

  protected constructor(dialect: Dialect, clock: () => number) {
    this.dialect = dialect;
    this.sql = statements(dialect);
    this.clock = clock;
  }

  /** Runs fn in one write transaction; resolves after the commit, rejects (nothing written) if fn throws. */
  protected abstract write<T>(fn: (tx: Tx) => Awaitable<T>, durability?: Durability): Promise<T>;
  /** Runs fn outside any write transaction (it never sees half of one). */
  protected abstract read<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T>;
  abstract close(): Promise<void>;
  abstract watchEvents(listener: (runId: string | undefined) => void): () => void;
  abstract health(): Promise<StoreHealth>;

  // ---- transaction bodies shared by several operations ----

  protected async requireRun(tx: Tx, id: string, lock = false): Promise<RunRow> {
    const r = await tx.one<RunRow>(lock ? this.sql.lockRun : this.sql.getRun, [id]);
    if (!r) throw notFound('run', id);
    return r;
  }

  protected async appendEventTx(tx: Tx, runId: string, type: string, iteration: number | null, data: JsonObject): Promise<MetricEvent> {
    if (this.dialect.lockEvents !== '') await tx.one(this.dialect.lockEvents);
    const now = this.clock();
    const r = await tx.one<{ seq: number }>(this.sql.insertEvent, [runId, type, iteration, JSON.stringify(data), now]);
    if (this.dialect.notifyEvent !== '') await tx.one(this.dialect.notifyEvent, [runId]);
    this.eventAppended(runId);
    return { seq: Number(r!.seq), runId, type, iteration, data, createdAt: iso(now) };
  }

  /** Called inside the transaction that appended an event of the run (SQLite tells its watchers after the commit). */
  protected eventAppended(_runId: string): void {}

  /** Inside a transaction that replaced a token or disabled an account: caches of token lookups must forget. */
  protected async accountsChanged(tx: Tx): Promise<void> {
    if (this.dialect.notifyAccounts !== '') await tx.one(this.dialect.notifyAccounts);
  }

  protected async auditTx(
    tx: Tx,
    e: { action: AuditAction; actor: string; runId?: string | null; queryId?: string | null; annotator?: string | null; data: JsonObject },
  ): Promise<AuditEntry> {
    const now = this.clock();
    const args = [e.runId ?? null, e.queryId ?? null, e.action, e.actor, e.annotator ?? null, JSON.stringify(e.data), now];
    const r = await tx.one<{ seq: number }>(this.sql.insertAudit, args);
    return { seq: Number(r!.seq), action: e.action, actor: e.actor, runId: e.runId ?? null, queryId: e.queryId ?? null, annotator: e.annotator ?? null, data: e.data, createdAt: iso(now) };
  }

  /**
   * Adds one (checked) judgement, idempotent on (query, annotator); also the body of each imported judgement.
   * Locks the query row, so concurrent judgements of one query serialize. The checks run in an order that tells
   * someone without the lease nothing about the query: the same judgement again → the stored record; a person
   * (`requireLease`) in a closed run → E_CONFLICT; a different one → E_CONFLICT; not the lease holder → E_AUTH;
   * only then does the judgement have to fit the query (E_FEEDBACK names the field). (A person's account being
   * disabled is checked by the caller, once per transaction.)
   */
  protected async addJudgementTx(tx: Tx, j: NewJudgement, opts: AddJudgementOptions): Promise<AddJudgementResult> {
    const q = await tx.one<JudgeContextRow>(this.sql.judgeContext, [j.annotator, j.queryId]);
    if (!q) throw notFound('query', j.queryId);
    const text = canonicalJson(j.judgement);
    if (q.own_judgement === text) {
      return { record: { queryId: j.queryId, runId: q.run_id, annotator: j.annotator, judgement: JSON.parse(text), createdAt: iso(Number(q.own_created_at)) }, created: false };
    }
    if (opts.requireLease && !isOpenStatus(q.run_status)) throw runClosed(q.run_id, q.run_status, 'its judgements can no longer change');
    if (q.own_judgement !== null) throw conflict(`${j.annotator} already judged query "${j.queryId}" differently (undo it first to change it)`);
    if (opts.requireLease && q.lease_annotator !== j.annotator) {
      throw new RlhfError('E_AUTH', `query "${j.queryId}" is not leased to ${j.annotator} (lease a query first; an expired lease may have gone to someone else)`);
    }
    checkJudgementFitsQuery(j.judgement, rowToQuery(q));
    const created = j.createdAt !== undefined ? Date.parse(j.createdAt) : this.clock();
    await tx.run(this.sql.insertJudgement, [j.queryId, q.run_id, q.iteration, j.annotator, j.judgement.kind, text, created]);
    await tx.run(this.sql.judgedUp, [j.annotator, j.annotator, j.queryId]);
    return {
      record: { queryId: j.queryId, runId: q.run_id, annotator: j.annotator, judgement: JSON.parse(text), createdAt: iso(created) },
      created: true,
    };
  }

  /** E_AUTH when `name` is an account an admin disabled (people only: teachers have no account). */
  protected async refuseDisabled(tx: Tx, name: string): Promise<void> {
    const a = await tx.one<{ disabled_at: number | null }>(this.sql.disabledAt, [name]);
    if (a && a.disabled_at !== null) throw accountDisabled(name);
  }

  /**
   * The lease rule (FeedbackStore.leaseQuery) inside a transaction: the annotator's own unexpired lease, else the
   * first free query; undefined when there is none. The caller has checked the run.
   */
  protected async leaseTx(tx: Tx, runId: string, annotator: string, leaseMs: number): Promise<Lease | undefined> {
    const now = this.clock();
    const row =
      (await tx.one<QueryRow>(this.sql.ownLease, [runId, annotator, now, annotator])) ??
      (await tx.one<QueryRow>(this.sql.nextFree, [runId, now, annotator]));
    if (!row) return undefined;
    const expires = now + leaseMs;
    await tx.run(this.sql.setLease, [annotator, expires, row.id]);
    return { query: rowToQuery(row), expiresAt: iso(expires) };
  }

  // ---- runs ----

  async createRun(run: NewRun): Promise<Run> {
    const r = checkNewRun(run);
    return this.write(async (tx) => {
      const now = this.clock();
      const row = await tx.one<RunRow>(this.sql.insertRun, [r.id, r.domain, r.status, JSON.stringify(r.config), now, now]);
      if (!row) throw conflict(`run "${r.id}" exists already`);
      return rowToRun(row);
    });
  }

  async getRun(id: string): Promise<Run | undefined> {
    const r = await this.read((tx) => tx.one<RunRow>(this.sql.getRun, [id]));
    return r ? rowToRun(r) : undefined;
  }

  async listRuns(): Promise<Run[]> {
    return (await this.read((tx) => tx.all<RunRow>(this.sql.listRuns))).map(rowToRun);
  }

  async updateRun(id: string, patch: { status?: RunStatus; config?: JsonObject }): Promise<Run> {
    if (patch.status !== undefined) checkStatus(patch.status, 'status');
    if (patch.config !== undefined) checkConfig(patch.config, 'config');
    return this.write(async (tx) => {
      const r = await this.requireRun(tx, id, true);
      const status = patch.status ?? (r.status as RunStatus);
      const config = patch.config !== undefined ? JSON.stringify(patch.config) : r.config;
      const up = await tx.one<RunRow>(this.sql.updateRun, [status, config, this.clock(), id]);
      if (status !== r.status) await this.appendEventTx(tx, id, 'status', null, { status, previous: r.status });
      return rowToRun(up!);
    });
  }

  // ---- annotators ----

  async createAnnotator(a: { name: string; role: Role; tokenHash: string }): Promise<Annotator> {
    checkAnnotatorInput(a);
    return this.write(async (tx) => {
      if (await tx.one(this.sql.getAnnotator, [a.name])) throw conflict(`annotator "${a.name}" exists already`);
      if (await tx.one(this.sql.annotatorByToken, [a.tokenHash])) throw conflict('token hash already in use');
      return rowToAnnotator((await tx.one<AnnotatorRow>(this.sql.insertAnnotator, [a.name, a.role, a.tokenHash, this.clock()]))!);
    });
  }

  async setAnnotatorToken(name: string, tokenHash: string): Promise<Annotator> {
    return this.write(async (tx) => {
      const row = await tx.one<AnnotatorRow>(this.sql.lockAnnotator, [name]);
      if (!row) throw notFound('annotator', name);
      checkAnnotatorInput({ name, role: row.role as Role, tokenHash });
      await tx.run(this.sql.setToken, [tokenHash, name]);
      await this.accountsChanged(tx);
      return rowToAnnotator(row);
    });
  }

  async getAnnotator(name: string): Promise<Annotator | undefined> {
    const r = await this.read((tx) => tx.one<AnnotatorRow>(this.sql.getAnnotator, [name]));
    return r ? rowToAnnotator(r) : undefined;
  }

  async findAnnotatorByTokenHash(tokenHash: string): Promise<Annotator | undefined> {
    const r = await this.read((tx) => tx.one<AnnotatorRow>(this.sql.annotatorByToken, [tokenHash]));
    return r ? rowToAnnotator(r) : undefined;
  }

  /** By name in code-unit order (not the database's collation, which may differ between servers). */
  async listAnnotators(): Promise<Annotator[]> {
    return (await this.read((tx) => tx.all<AnnotatorRow>(this.sql.listAnnotators))).map(rowToAnnotator).sort(byName);
  }

  async setAnnotatorDisabled(name: string, disabled: boolean, actor: string): Promise<Annotator> {
    checkJudgeName(actor);
    return this.write(async (tx) => {
      const row = await tx.one<AnnotatorRow>(this.sql.lockAnnotator, [name]);
      if (!row) throw notFound('annotator', name);
      if ((row.disabled_at !== null) === disabled) return rowToAnnotator(row); // already so: no audit row
      const up = await tx.one<AnnotatorRow>(this.sql.setDisabled, [disabled ? this.clock() : null, name]);
      // a disabled account's leases go back to the pool in the same transaction: a judgement racing the disable
      // either commits before it or finds its lease gone (E_AUTH)
      const released = disabled ? await tx.run(this.sql.releaseLeasesOf, [name]) : 0;
      await this.accountsChanged(tx);
      await this.auditTx(tx, { action: disabled ? 'disable' : 'enable', actor, annotator: name, data: disabled ? { releasedLeases: released } : {} });
      return rowToAnnotator(up!);
    });
  }

  // ---- queries ----

  async addQueries(runId: string, queries: Query[], opts: AddQueriesOptions = {}): Promise<number> {
    const checked = checkQueries(runId, queries);
    const wanted = checkRedundancy(opts.redundancy);
    return this.write(async (tx) => {
      await this.requireRun(tx, runId);
      const now = this.clock();
      for (let start = 0; start < checked.length; start += SQL_CHUNK) {
        const chunk = checked.slice(start, start + SQL_CHUNK);
        const taken = await tx.all<{ id: string }>(this.sql.queryIdsIn(chunk.length), chunk.map((q) => q.id));
        if (taken.length > 0) {
          const ids = new Set(taken.map((r) => r.id));
          const i = start + chunk.findIndex((q) => ids.has(q.id));
          throw conflict(`queries.${i}.id: query "${checked[i]!.id}" exists already (query ids are unique in a store)`);
        }
        const args = chunk.flatMap((q) => [q.id, runId, q.iteration, q.kind, queryBody(q), queryFit(q), wanted, now]);
        await tx.run(this.sql.insertQueries(chunk.length), args);
      }
      if (checked.length > 0) {
        const iteration = Math.min(...checked.map((q) => q.iteration));
        await this.appendEventTx(tx, runId, 'queries', iteration, { added: checked.length, iteration });
      }
      return checked.length;
    });
  }

  async getQuery(id: string): Promise<QueryState | undefined> {
    const r = await this.read((tx) => tx.one<QueryRow>(this.sql.getQuery, [id]));
    return r ? rowToQueryState(r, this.clock()) : undefined;
  }

  async listQueries(runId: string, filter: QueryFilter = {}): Promise<QueryState[]> {
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
    const sql = `SELECT * FROM queries WHERE ${where.join(' AND ')} ORDER BY iteration, seq LIMIT ? OFFSET ?`;
    return (await this.read((tx) => tx.all<QueryRow>(sql, args))).map((r) => rowToQueryState(r, now));
  }

  async leaseQuery(runId: string, annotator: string, leaseMs: number): Promise<Lease | undefined> {
    checkJudgeName(annotator);
    checkLeaseMs(leaseMs);
    return this.write(async (tx) => {
      const run = await this.requireRun(tx, runId);
      if (!isOpenStatus(run.status)) throw runClosed(runId, run.status, 'nothing to label');
      await this.refuseDisabled(tx, annotator);
      return this.leaseTx(tx, runId, annotator, leaseMs);
    }, 'light');
  }

  async releaseLease(queryId: string, annotator: string): Promise<boolean> {
    return this.write(async (tx) => {
      if (!(await tx.one(this.sql.getQuery, [queryId]))) throw notFound('query', queryId);
      return (await tx.run(this.sql.release, [queryId, annotator])) > 0;
    }, 'light');
  }

  async queueLength(runId: string, annotator: string): Promise<number> {
    const r = await this.read((tx) => tx.one<{ n: number }>(this.sql.queueLength, [runId, this.clock(), annotator, annotator]));
    return Number(r?.n ?? 0);
  }

  async activeLeases(runId: string, annotator: string): Promise<number> {
    const r = await this.read((tx) => tx.one<{ n: number }>(this.sql.activeLeases, [runId, annotator, this.clock()]));
    return Number(r?.n ?? 0);
  }

  // ---- judgements ----

  async addJudgement(j: NewJudgement, opts: AddJudgementOptions = {}): Promise<AddJudgementResult> {
    checkJudgeName(j.annotator);
    const input: NewJudgement = { ...j, judgement: validateJudgement(j.judgement) };
    checkCreatedAt(j.createdAt, 'createdAt');
    if (opts.nextLeaseMs !== undefined) checkLeaseMs(opts.nextLeaseMs);
    return this.write(async (tx) => {
      if (opts.requireLease) await this.refuseDisabled(tx, j.annotator);
      const r = await this.addJudgementTx(tx, input, opts);
      if (opts.nextLeaseMs === undefined) return r;
      // the next query of the same run, in the same transaction (one commit for both)
      const run = await tx.one<RunRow>(this.sql.getRun, [r.record.runId]);
      const next = run && isOpenStatus(run.status) ? await this.leaseTx(tx, run.id, j.annotator, opts.nextLeaseMs) : undefined;
      return { ...r, next: next ?? null };
    });
  }

  async retractJudgement(queryId: string, annotator: string, leaseMs: number): Promise<Lease> {
    checkLeaseMs(leaseMs);
    return this.write(async (tx) => {
      const q = await tx.one<QueryRow>(this.sql.lockQuery, [queryId]);
      if (!q) throw notFound('query', queryId);
      const existing = await tx.one<JudgementRow>(this.sql.getJudgement, [queryId, annotator]);
      if (!existing) throw notFound('judgement by ' + annotator + ' on query', queryId);
      const run = await tx.one<RunRow>(this.sql.getRun, [q.run_id]);
      if (run && !isOpenStatus(run.status)) throw runClosed(q.run_id, run.status, 'its judgements can no longer change');
      const now = this.clock();
      if (q.lease_annotator !== null && q.lease_annotator !== annotator && q.lease_expires !== null && Number(q.lease_expires) > now) {
        throw conflict(`query "${queryId}" is leased to another annotator now; try again later`);
      }
      // the judgement leaves the live table but not the store: the audit row keeps it as it was
      const old = rowToJudgement(existing);
      await this.auditTx(tx, {
        action: 'retract',
        actor: annotator,
        runId: q.run_id,
        queryId,
        annotator,
        data: { judgement: old.judgement as unknown as JsonObject, createdAt: old.createdAt, iteration: Number(q.iteration) },
      });
      await tx.run(this.sql.deleteJudgement, [queryId, annotator]);
      const expires = now + leaseMs;
      await tx.run(this.sql.judgedDown, [annotator, expires, queryId]);
      return { query: rowToQuery(q), expiresAt: iso(expires) };
    });
  }

  async listJudgements(runId: string, filter: JudgementFilter = {}): Promise<JudgementRecord[]> {
    const w = whereEq([
      ['run_id', runId],
      ['iteration', filter.iteration],
      ['annotator', filter.annotator],
      ['query_id', filter.queryId],
    ]);
    const args = [...w.args, checkLimit(filter.limit, 10000, 'limit'), checkLimit(filter.offset, 0, 'offset')];
    const sql = `SELECT * FROM judgements${w.sql} ORDER BY seq ${filter.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ? OFFSET ?`;
    return (await this.read((tx) => tx.all<JudgementRow>(sql, args))).map(rowToJudgement);
  }

  async countJudgements(runId: string | undefined, filter: CountFilter = {}): Promise<number> {
    const w = whereEq([
      ['run_id', runId],
      ['iteration', filter.iteration],
      ['annotator', filter.annotator],
    ]);
    const r = await this.read((tx) => tx.one<{ n: number }>(`SELECT COUNT(*) AS n FROM judgements${w.sql}`, w.args));
    return Number(r?.n ?? 0);
  }

  async runStats(runId: string): Promise<RunStats> {
    const now = this.clock();
    const s = this.sql;
    const rows = await this.read(async (tx) => {
      await this.requireRun(tx, runId);
      return {
        q: await tx.one<{ total: number; done: number; leased: number }>(s.queryStats, [now, runId]),
        byAnnotator: await tx.all<{ annotator: string; n: number }>(s.byAnnotator, [runId]),
        byIteration: await tx.all<{ iteration: number; n: number }>(s.byIteration, [runId]),
        byPreference: await tx.all<{ p: string | null; n: number }>(s.byPreference, [runId]),
        last: await tx.one<{ t: number | null }>(s.lastJudgement, [runId]),
      };
    });
    // COUNT/SUM come back as numbers (SQLite), BIGINT numbers or NUMERIC strings (PostgreSQL)
    const total = Number(rows.q?.total ?? 0);
    const done = Number(rows.q?.done ?? 0);
    const leased = Number(rows.q?.leased ?? 0);
    const byAnnotator = sortByName(rows.byAnnotator.map((r) => ({ annotator: r.annotator, count: Number(r.n) })));
    const byIteration = rows.byIteration.map((r) => ({ iteration: Number(r.iteration), count: Number(r.n) }));
    const byPreference = { left: 0, right: 0, tie: 0, skip: 0 };
    for (const r of rows.byPreference) if (r.p !== null && r.p in byPreference) byPreference[r.p as keyof typeof byPreference] = Number(r.n);
    const last = rows.last?.t ?? null;
    return {
      runId,
      queries: { total, pending: total - done - leased, leased, done },
      judgements: { total: byAnnotator.reduce((sum, r) => sum + r.count, 0), byAnnotator, byIteration, byPreference },
      lastJudgementAt: last === null ? null : iso(Number(last)),
    };
  }

  // ---- review and audit ----

  async adjudicate(a: NewAdjudication): Promise<Adjudication> {
    checkJudgeName(a.reviewer);
    const judgement = validateJudgement(a.judgement);
    checkNote(a.note);
    return this.write(async (tx) => {
      const q = await tx.one<QueryRow>(this.sql.getQuery, [a.queryId]);
      if (!q) throw notFound('query', a.queryId);
      checkJudgementFitsQuery(judgement, rowToQuery(q));
      const data: JsonObject = { judgement: JSON.parse(canonicalJson(judgement)), iteration: Number(q.iteration) };
      if (a.note !== undefined) data.note = a.note;
      return auditToAdjudication(await this.auditTx(tx, { action: 'adjudicate', actor: a.reviewer, runId: q.run_id, queryId: a.queryId, data }));
    });
  }

  async listAdjudications(runId: string, filter: { queryId?: string; limit?: number; offset?: number } = {}): Promise<Adjudication[]> {
    const rows = await this.listAudit({ runId, action: 'adjudicate', ...filter });
    return rows.map(auditToAdjudication);
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const w = whereEq([
      ['run_id', filter.runId],
      ['query_id', filter.queryId],
      ['annotator', filter.annotator],
      ['action', filter.action],
    ]);
    const args = [...w.args, checkLimit(filter.limit, DEFAULT_LIST_LIMIT, 'limit'), checkLimit(filter.offset, 0, 'offset')];
    const sql = `SELECT * FROM audit${w.sql} ORDER BY seq LIMIT ? OFFSET ?`;
    return (await this.read((tx) => tx.all<AuditRow>(sql, args))).map(rowToAudit);
  }

  // ---- events ----

  async appendEvent(runId: string, e: NewEvent): Promise<MetricEvent> {
    const ev = checkEvent(e);
    return this.write(async (tx) => {
      await this.requireRun(tx, runId);
      return this.appendEventTx(tx, runId, ev.type, ev.iteration, ev.data);
    });
  }

  async listEvents(runId: string, opts: { after?: number; limit?: number } = {}): Promise<MetricEvent[]> {
    const args = [runId, opts.after ?? 0, checkLimit(opts.limit, DEFAULT_LIST_LIMIT, 'limit')];
    return (await this.read((tx) => tx.all<EventRow>(this.sql.listEvents, args))).map(rowToEvent);
  }

  // ---- import ----

  async importBatch(batch: ImportBatch): Promise<ImportResult> {
    const runs = batch.runs.map(checkNewRun);
    batch.judgements.forEach((rec, i) => checkCreatedAt(rec.createdAt, `judgements.${i}.createdAt`));
    batch.queries.forEach(({ query }, i) => checkQueryLimits(query, `queries.${i}`));
    return this.write(async (tx) => {
      const res: ImportResult = { runs: 0, queries: 0, judgements: 0, skipped: 0 };
      const now = this.clock();
      for (const r of runs) {
        const existing = await tx.one<RunRow>(this.sql.getRun, [r.id]);
        if (existing) {
          if (existing.domain !== r.domain) throw conflict(`run "${r.id}" exists with domain ${existing.domain}, the import says ${r.domain}`);
          res.skipped++;
          continue;
        }
        await tx.one(this.sql.insertRun, [r.id, r.domain, r.status, JSON.stringify(r.config), now, now]);
        res.runs++;
      }
      for (const { query, wanted } of batch.queries) {
        const existing = await tx.one<QueryRow>(this.sql.getQuery, [query.id]);
        if (existing) {
          if (existing.run_id !== query.runId || canonicalJson(rowToQuery(existing)) !== canonicalJson(query)) {
            throw conflict(`query "${query.id}" exists with different content`);
          }
          res.skipped++;
          continue;
        }
        await this.requireRun(tx, query.runId);
        await tx.run(this.sql.insertQueries(1), [query.id, query.runId, query.iteration, query.kind, queryBody(query), queryFit(query), checkRedundancy(wanted), now]);
        res.queries++;
      }
      for (const rec of batch.judgements) {
        const r = await this.addJudgementTx(tx, rec, {});
        if (r.record.runId !== rec.runId) throw conflict(`judgement on query "${rec.queryId}" says run ${rec.runId}, the query is in ${r.record.runId}`);
        if (r.created) res.judgements++;
        else res.skipped++;
      }
      return res;
    });
  }

  async schemaVersion(): Promise<number> {
    const r = await this.read((tx) => tx.one<{ v: number }>(this.sql.schemaVersion));
    return Number(r?.v ?? 0);
  }

  private id: string | undefined;
  async storeId(): Promise<string> {
    this.id ??= (await this.read((tx) => tx.one<{ value: string }>(this.sql.getMeta, ['store_id'])))?.value;
    if (this.id === undefined) throw new RlhfError('E_STORE', 'the store has no id (its schema is incomplete)');
    return this.id;
  }
}
