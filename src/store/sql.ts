/**
 * What the store's logic (sqlStore.ts) needs from a backend, and the SQL it runs, written once.
 *
 * SQL uses `?` placeholders, bound in order (the PostgreSQL backend numbers them `$1, $2, …`). The few phrases
 * the two dialects spell differently — row locks, an index hint, reading a JSON field — come from a `Dialect`;
 * everything else (RETURNING, ON CONFLICT, CAST, COALESCE) is spelled the same in SQLite ≥ 3.35 and PostgreSQL.
 */

/** A value now (a synchronous driver such as better-sqlite3) or later (a network round trip). Always `await` it. */
export type Awaitable<T> = T | Promise<T>;

/** One connection inside the current transaction (or, for reads, outside any). */
export interface Tx {
  /** The first row the statement returns, or undefined. */
  one<T>(sql: string, args?: readonly unknown[]): Awaitable<T | undefined>;
  /** Every row the statement returns. */
  all<T>(sql: string, args?: readonly unknown[]): Awaitable<T[]>;
  /** A statement that returns no rows; the number of rows it changed. */
  run(sql: string, args?: readonly unknown[]): Awaitable<number>;
}

/** The phrases SQLite and PostgreSQL spell differently. */
export interface Dialect {
  /**
   * Appended to a SELECT of one row the transaction goes on to change: locks it until the commit. SQLite: ''
   * (a write transaction is BEGIN IMMEDIATE, which holds the whole file's write lock).
   */
  lockRow: string;
  /** As `lockRow`, and passes over rows other transactions have locked (leasing: SKIP LOCKED). SQLite: ''. */
  lockFreeRow: string;
  /** Follows `FROM queries q` in the lease lookups: an index hint where the planner needs one, else ''. */
  leaseIndex: string;
  /**
   * Ends the "not judged by the annotator" subquery so that it stays a per-row lookup on the (query, annotator)
   * index. PostgreSQL: ' OFFSET 0' (else, with young statistics, it plans an anti-join that reads every judgement
   * the annotator ever made — a lease got slower with each label); SQLite: ''.
   */
  perRowSubquery: string;
  /** The SQL expression for the text of `key` in the JSON object stored as text in `column`. */
  jsonText(column: string, key: string): string;
  /**
   * Run before inserting an event: makes events commit in `seq` order (PostgreSQL: a transaction-scoped advisory
   * lock, so a later seq never commits before an earlier one). SQLite: '' (one writer at a time already).
   */
  lockEvents: string;
  /** Run after inserting an event, with the run id: tells other processes (PostgreSQL: NOTIFY). SQLite: ''. */
  notifyEvent: string;
  /**
   * Run in a transaction that changes an account's token or disables it: tells other processes to forget what
   * they remember of tokens (PostgreSQL: NOTIFY; its replicas cache token lookups). SQLite: '' (no cache).
   */
  notifyAccounts: string;
}

/** Longest multi-row INSERT / IN list: 500 rows × 8 values stays far below both backends' parameter limits. */
export const SQL_CHUNK = 500;

const list = (n: number, item: string): string => Array.from({ length: n }, () => item).join(', ');

/** The statements of sqlStore.ts for one dialect (built once per store, so a backend can cache by text). */
export function statements(d: Dialect) {
  const ownLease = `FROM queries q ${d.leaseIndex} WHERE run_id = ? AND lease_annotator = ? AND lease_expires > ? AND judged < wanted`;
  const notJudgedBy = `NOT EXISTS (SELECT 1 FROM judgements j WHERE j.query_id = q.id AND j.annotator = ?${d.perRowSubquery})`;
  const annotatorColumns = 'name, role, created_at, disabled_at';
  return {
    // runs
    insertRun: 'INSERT INTO runs (id, domain, status, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *',
    getRun: 'SELECT * FROM runs WHERE id = ?',
    lockRun: `SELECT * FROM runs WHERE id = ? ${d.lockRow}`,
    listRuns: 'SELECT * FROM runs ORDER BY created_at DESC, id DESC',
    updateRun: 'UPDATE runs SET status = ?, config = ?, updated_at = ? WHERE id = ? RETURNING *',

    // annotators
    insertAnnotator: `INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING ${annotatorColumns}`,
    getAnnotator: `SELECT ${annotatorColumns} FROM annotators WHERE name = ?`,
    lockAnnotator: `SELECT ${annotatorColumns} FROM annotators WHERE name = ? ${d.lockRow}`,
    annotatorByToken: `SELECT ${annotatorColumns} FROM annotators WHERE token_hash = ?`,
    /** (name): disabled_at of an account (no row: a teacher or an unknown name) */
    disabledAt: 'SELECT disabled_at FROM annotators WHERE name = ?',
    setToken: 'UPDATE annotators SET token_hash = ? WHERE name = ?',
    listAnnotators: `SELECT ${annotatorColumns} FROM annotators`,
    /** (disabledAt or null, name) */
    setDisabled: `UPDATE annotators SET disabled_at = ? WHERE name = ? RETURNING ${annotatorColumns}`,
    /** (annotator): every lease they hold goes back to the pool */
    releaseLeasesOf: 'UPDATE queries SET lease_annotator = NULL, lease_expires = NULL WHERE lease_annotator = ?',

    // queries
    /** the ids among n given ones that exist already */
    queryIdsIn: (n: number) => `SELECT id FROM queries WHERE id IN (${list(n, '?')})`,
    /** n rows of (id, run_id, iteration, kind, body, fit, wanted, created_at) */
    insertQueries: (n: number) =>
      `INSERT INTO queries (id, run_id, iteration, kind, body, fit, wanted, judged, created_at) VALUES ${list(n, '(?, ?, ?, ?, ?, ?, ?, 0, ?)')}`,
    getQuery: 'SELECT * FROM queries WHERE id = ?',
    lockQuery: `SELECT * FROM queries WHERE id = ? ${d.lockRow}`,
    /**
     * (annotator, queryId): what a judgement needs, in one statement — the query row (locked), its run's status and
     * the annotator's own judgement of it (own_judgement and own_created_at null when there is none)
     */
    judgeContext: `SELECT q.*, r.status AS run_status, j.judgement AS own_judgement, j.created_at AS own_created_at
      FROM queries q JOIN runs r ON r.id = q.run_id LEFT JOIN judgements j ON j.query_id = q.id AND j.annotator = ?
      WHERE q.id = ? ${d.lockRow === '' ? '' : `${d.lockRow} OF q`}`,
    /** (runId, annotator, now, annotator): the annotator's own unexpired lease on a query they have not judged */
    ownLease: `SELECT * ${ownLease} AND ${notJudgedBy} ORDER BY iteration, seq LIMIT 1 ${d.lockRow}`,
    /** (runId, now, annotator): the first open query nobody holds and the annotator has not judged */
    nextFree: `SELECT * FROM queries q WHERE run_id = ? AND judged < wanted AND (lease_expires IS NULL OR lease_expires <= ?)
      AND ${notJudgedBy} ORDER BY iteration, seq LIMIT 1 ${d.lockFreeRow}`,
    setLease: 'UPDATE queries SET lease_annotator = ?, lease_expires = ? WHERE id = ?',
    release: 'UPDATE queries SET lease_annotator = NULL, lease_expires = NULL WHERE id = ? AND lease_annotator = ?',
    /** (runId, now, annotator, annotator) */
    queueLength: `SELECT COUNT(*) AS n FROM queries q WHERE run_id = ? AND judged < wanted
      AND (lease_expires IS NULL OR lease_expires <= ? OR lease_annotator = ?) AND ${notJudgedBy}`,
    /** (runId, annotator, now) */
    activeLeases: `SELECT COUNT(*) AS n ${ownLease}`,

    // judgements
    getJudgement: 'SELECT * FROM judgements WHERE query_id = ? AND annotator = ?',
    insertJudgement: 'INSERT INTO judgements (query_id, run_id, iteration, annotator, kind, judgement, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    /** (annotator, annotator, queryId): one more judgement; the judge's own lease ends */
    judgedUp: `UPDATE queries SET judged = judged + 1,
      lease_expires = CASE WHEN lease_annotator = ? THEN NULL ELSE lease_expires END,
      lease_annotator = CASE WHEN lease_annotator = ? THEN NULL ELSE lease_annotator END
      WHERE id = ?`,
    deleteJudgement: 'DELETE FROM judgements WHERE query_id = ? AND annotator = ?',
    /** (annotator, expires, queryId): one judgement fewer; the query is leased to the one who took it back */
    judgedDown: 'UPDATE queries SET judged = judged - 1, lease_annotator = ?, lease_expires = ? WHERE id = ?',

    // run stats
    /** (now, runId) */
    queryStats: `SELECT COUNT(*) AS total,
      COALESCE(SUM(CASE WHEN judged >= wanted THEN 1 ELSE 0 END), 0) AS done,
      COALESCE(SUM(CASE WHEN judged < wanted AND lease_annotator IS NOT NULL AND lease_expires > ? THEN 1 ELSE 0 END), 0) AS leased
      FROM queries WHERE run_id = ?`,
    byAnnotator: 'SELECT annotator, COUNT(*) AS n FROM judgements WHERE run_id = ? GROUP BY annotator',
    byIteration: 'SELECT iteration, COUNT(*) AS n FROM judgements WHERE run_id = ? GROUP BY iteration ORDER BY iteration',
    byPreference: `SELECT ${d.jsonText('judgement', 'preferred')} AS p, COUNT(*) AS n FROM judgements
      WHERE run_id = ? AND kind = 'comparison' GROUP BY p`,
    lastJudgement: 'SELECT MAX(created_at) AS t FROM judgements WHERE run_id = ?',

    // events
    insertEvent: 'INSERT INTO events (run_id, type, iteration, data, created_at) VALUES (?, ?, ?, ?, ?) RETURNING seq',
    listEvents: 'SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',

    // audit trail (append only)
    /** (run_id, query_id, action, actor, annotator, data, created_at) */
    insertAudit: 'INSERT INTO audit (run_id, query_id, action, actor, annotator, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq',

    schemaVersion: 'SELECT COALESCE(MAX(version), 0) AS v FROM schema_version',
    getMeta: 'SELECT value FROM meta WHERE key = ?',
  } as const;
}

export type Statements = ReturnType<typeof statements>;

/** A WHERE clause built from optional equality filters, with its arguments in placeholder order. */
export function whereEq(filters: [column: string, value: unknown][]): { sql: string; args: unknown[] } {
  const used = filters.filter(([, v]) => v !== undefined);
  return { sql: used.length === 0 ? '' : ` WHERE ${used.map(([c]) => `${c} = ?`).join(' AND ')}`, args: used.map(([, v]) => v) };
}
