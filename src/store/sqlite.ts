/**
 * The embedded feedback store: one SQLite file (better-sqlite3), WAL journal with synchronous=FULL, so a write
 * is on disk before its promise resolves and survives kill -9 of the process. The logic is sqlStore.ts; this file
 * is the dialect and how SQLite commits.
 *
 * better-sqlite3 is synchronous: every statement of the logic runs at once (its promise is already settled), so a
 * whole transaction runs within one turn of the event loop. Writes go through a small group-commit queue: every
 * write requested in the same turn runs in ONE immediate transaction (each inside its own savepoint, so one
 * failing write does not undo the others), and all their promises resolve after the single commit (one fsync
 * for the batch). Reads run directly, but never in the middle of a batch.
 */
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { RlhfError, StoreError } from '../core/errors.js';
import { conflict } from './common.js';
import { MIGRATIONS, refuseNewerSchema } from './migrations.js';
import type { Awaitable, Dialect, Tx } from './sql.js';
import { type Durability, SqlStore } from './sqlStore.js';
import type { StoreHealth, StoreOptions } from './types.js';

const SQLITE: Dialect = {
  lockRow: '', // BEGIN IMMEDIATE holds the file's write lock for the whole transaction
  lockFreeRow: '',
  // without the hint the planner walks the (iteration, seq) order of every open query of the run
  perRowSubquery: '',
  leaseIndex: 'INDEXED BY queries_lease',
  jsonText: (column, key) => `json_extract(${column}, '$.${key}')`,
  lockEvents: '', // one writer at a time: seq order is commit order
  notifyEvent: '', // watchers in this process are told after the commit; other processes see data_version change
  notifyAccounts: '', // token lookups are not cached
};

/** How often watchers look for commits by other processes (PRAGMA data_version). */
const WATCH_POLL_MS = 250;

/** The identity of a file: a store whose file was deleted or replaced must stop acknowledging writes. */
function fileIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Prepared statements kept per SQL text; the cache is emptied when dynamic SQL (filters, batch sizes) fills it. */
const MAX_CACHED_STATEMENTS = 1000;

/** The store's error for a failed SQLite statement. */
function sqliteError(e: unknown): unknown {
  if (e instanceof RlhfError) return e;
  if (e instanceof Error && /UNIQUE constraint failed/.test(e.message)) return conflict(e.message);
  return new StoreError(`SQLite: ${(e as Error).message}`, { cause: e });
}

/**
 * A `Tx` over the one better-sqlite3 connection: statements prepared once and run synchronously — results are
 * returned as values, not promises, so the logic's `await`s cost no more than a microtask each.
 */
class SqliteTx implements Tx {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (s === undefined) {
      if (this.cache.size >= MAX_CACHED_STATEMENTS) this.cache.clear();
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  one<T>(sql: string, args: readonly unknown[] = []): T | undefined {
    try {
      return this.stmt(sql).get(...args) as T | undefined;
    } catch (e) {
      throw sqliteError(e);
    }
  }

  all<T>(sql: string, args: readonly unknown[] = []): T[] {
    try {
      return this.stmt(sql).all(...args) as T[];
    } catch (e) {
      throw sqliteError(e);
    }
  }

  run(sql: string, args: readonly unknown[] = []): number {
    try {
      return this.stmt(sql).run(...args).changes;
    } catch (e) {
      throw sqliteError(e);
    }
  }
}

interface PendingWrite {
  fn: (tx: Tx) => Awaitable<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Applies the missing migrations (each in an immediate transaction, so concurrent openers don't race). */
function migrate(db: Database.Database, now: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const current = (): number => (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  refuseNewerSchema(current());
  for (const m of MIGRATIONS) {
    db.transaction(() => {
      if (current() >= m.version) return;
      db.exec(m.sqlite);
      db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
    }).immediate();
  }
}

export class SqliteStore extends SqlStore {
  readonly backend = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly tx: SqliteTx;
  /** transaction control, prepared once */
  private readonly ctl: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;
  private queue: PendingWrite[] = [];
  private lightQueue: PendingWrite[] = [];
  /** the connection's current synchronous mode */
  private sync: 'NORMAL' | 'FULL' = 'FULL';
  private scheduled = false;
  /** the group commit under way; reads wait for it */
  private committing: Promise<void> | undefined;
  private closed = false;
  /** dev:inode of the file when opened (undefined for ':memory:') */
  private readonly identity: string | undefined;
  /** why writes cannot be kept any more (the file was deleted or replaced), once seen */
  private lost: string | undefined;
  /** runs that got events in the transaction being committed */
  private touched = new Set<string>();
  private readonly watchers = new Set<(runId: string | undefined) => void>();
  private watchTimer: NodeJS.Timeout | undefined;
  private dataVersion = 0;

  /**
   * Opens (creating if needed) the SQLite file at `path` (':memory:' for a throwaway store). A new file and the
   * directories made for it are private to the user (0600 / 0700); SQLite gives its -wal and -shm files the
   * file's permissions.
   */
  constructor(path: string, opts: StoreOptions = {}) {
    super(SQLITE, opts.clock ?? Date.now);
    const file = path === ':memory:' ? path : resolve(path);
    if (file !== ':memory:') {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      try {
        closeSync(openSync(file, 'wx', 0o600)); // a new file is private; an existing one keeps its mode
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError(`cannot create the SQLite store at ${file}: ${(e as Error).message}`, { cause: e });
      }
    }
    this.location = file;
    try {
      this.db = new Database(file);
    } catch (e) {
      throw new StoreError(`cannot open the SQLite store at ${file}: ${(e as Error).message}`, { cause: e });
    }
    this.identity = file === ':memory:' ? undefined : fileIdentity(file);
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
    this.tx = new SqliteTx(this.db);
    const p = (sql: string) => this.db.prepare(sql);
    this.ctl = {
      begin: p('BEGIN IMMEDIATE'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
      savepoint: p('SAVEPOINT one_write'),
      release: p('RELEASE one_write'),
      rollbackTo: p('ROLLBACK TO one_write'),
    };
  }

  /**
   * Queues a write for the next group commit; resolves after the commit. `durable` writes commit with
   * synchronous=FULL (fsynced: they survive power loss, not only kill -9). `light` writes (leases) commit with
   * synchronous=NORMAL (written to the OS, so they survive kill -9 of the process, but not fsynced).
   */
  protected write<T>(fn: (tx: Tx) => Awaitable<T>, durability: Durability = 'durable'): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    if (this.lost !== undefined) return Promise.reject(new StoreError(this.lost));
    return new Promise<T>((res, rej) => {
      (durability === 'durable' ? this.queue : this.lightQueue).push({ fn, resolve: res as (v: unknown) => void, reject: rej });
      this.schedule();
    });
  }

  protected read<T>(fn: (tx: Tx) => Awaitable<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    if (this.committing) return this.committing.then(() => this.read(fn));
    try {
      return Promise.resolve(fn(this.tx));
    } catch (e) {
      return Promise.reject(sqliteError(e));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const light = this.lightQueue;
    const durable = this.queue;
    this.lightQueue = [];
    this.queue = [];
    // one transaction per turn: fsynced when it holds a durable write, else only written to the OS
    const ops = durable.length > 0 && light.length > 0 ? [...light, ...durable] : durable.length > 0 ? durable : light;
    if (ops.length === 0) return;
    this.committing = this.commit(ops, durable.length > 0 ? 'FULL' : 'NORMAL').finally(() => {
      this.committing = undefined;
      if (this.queue.length > 0 || this.lightQueue.length > 0) this.schedule();
    });
  }

  /** Runs ops in one immediate transaction (each in a savepoint) and settles their promises after the commit. */
  private async commit(ops: PendingWrite[], sync: 'NORMAL' | 'FULL'): Promise<void> {
    const results: { ok: boolean; v: unknown }[] = [];
    try {
      if (this.sync !== sync) {
        this.db.pragma(`synchronous = ${sync}`);
        this.sync = sync;
      }
      this.ctl.begin.run();
      for (const op of ops) {
        this.ctl.savepoint.run();
        try {
          const v = await op.fn(this.tx);
          this.ctl.release.run();
          results.push({ ok: true, v });
        } catch (e) {
          if (!this.db.inTransaction) throw e; // SQLite rolled the whole transaction back (disk full, I/O error)
          this.ctl.rollbackTo.run();
          this.ctl.release.run();
          results.push({ ok: false, v: e });
        }
      }
      this.checkFile(); // a write into a deleted file would be acknowledged and lost
      this.ctl.commit.run();
    } catch (e) {
      if (this.db.inTransaction) {
        try {
          this.ctl.rollback.run();
        } catch {
          /* the connection is broken; the error below says why */
        }
      }
      const err = e instanceof RlhfError ? e : new StoreError(`SQLite write failed: ${(e as Error).message}`, { cause: e });
      this.touched.clear();
      for (const op of ops) op.reject(err);
      return;
    }
    ops.forEach((op, i) => {
      const r = results[i]!;
      if (r.ok) op.resolve(r.v);
      else op.reject(sqliteError(r.v));
    });
    this.tellWatchers();
  }

  /** Throws (and remembers) when the file at the store's path is gone or is another file. */
  private checkFile(): void {
    if (this.identity === undefined) return;
    if (this.lost === undefined && fileIdentity(this.location) !== this.identity) {
      this.lost = `the SQLite store ${this.location} was deleted or replaced while open: writes can no longer be kept (restart the server on a store that exists)`;
    }
    if (this.lost !== undefined) throw new StoreError(this.lost);
  }

  protected override eventAppended(runId: string): void {
    this.touched.add(runId);
  }

  private tellWatchers(): void {
    if (this.touched.size === 0) return;
    const runs = [...this.touched];
    this.touched.clear();
    for (const w of this.watchers) for (const r of runs) w(r);
  }

  watchEvents(listener: (runId: string | undefined) => void): () => void {
    this.watchers.add(listener);
    if (this.watchTimer === undefined && !this.closed) {
      // another process (a loop writing to the same file) changes data_version; this connection's commits do not
      this.dataVersion = this.db.pragma('data_version', { simple: true }) as number;
      this.watchTimer = setInterval(() => {
        if (this.committing || this.closed) return;
        const v = this.db.pragma('data_version', { simple: true }) as number;
        if (v === this.dataVersion) return;
        this.dataVersion = v;
        for (const w of this.watchers) w(undefined);
      }, WATCH_POLL_MS);
      this.watchTimer.unref();
    }
    return () => {
      this.watchers.delete(listener);
      if (this.watchers.size === 0 && this.watchTimer !== undefined) {
        clearInterval(this.watchTimer);
        this.watchTimer = undefined;
      }
    };
  }

  /** Writable when the file is still the one opened and a (no-op) write commits. */
  async health(): Promise<StoreHealth> {
    try {
      this.checkFile();
      await this.write((tx) => tx.run("UPDATE meta SET value = value WHERE key = 'store_id'"), 'light');
      return { writable: true };
    } catch (e) {
      return { writable: false, reason: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // let queued writes commit first
    while (this.queue.length > 0 || this.lightQueue.length > 0 || this.scheduled || this.committing) await new Promise((r) => setImmediate(r));
    this.closed = true;
    if (this.watchTimer !== undefined) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    this.watchers.clear();
    this.db.close();
  }
}
