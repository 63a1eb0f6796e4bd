/**
 * A playground run kept in IndexedDB (db.ts): the run driver's storage (RunStorage, src/loop/driver.ts) and the
 * judgements people made.
 *
 * Writes during a run do not wait for IndexedDB: the metrics and timing rows of an iteration are buffered and go,
 * with the iteration's checkpoint, into one transaction that is queued without awaiting its commit (IndexedDB
 * commits transactions in order, so after a reload the rows and the checkpoint read back always belong together).
 * A run of 200 gridworld iterations takes a fraction of a second; waiting for 200 commits would double it.
 * `flush()` waits for everything queued (the summary does, and so does the page before an export).
 */
import type { NamedTensor, TensorToWrite } from '../../src/core/safetensors.js';
import type { JudgementRecord, Query } from '../../src/feedback/types.js';
import type { RunStorage, StoredCheckpoint } from '../../src/loop/driver.js';
import type { MetricsRow } from '../../src/loop/parts.js';
import { done, openDb, rowRange, transact } from './db.js';
import type { Settings } from './settings.js';

export type RunStatus = 'running' | 'done' | 'failed';

/** A run as the page lists it. */
export interface RunRecord {
  id: string;
  /** what the run was started with (the URL's parameters, resolved) */
  settings: Settings;
  status: RunStatus;
  /** summary.json, when done */
  summary?: object;
  /** why it failed */
  error?: string;
  createdAt: string;
  updatedAt: string;
}

interface RowRecord {
  runId: string;
  file: 'metrics' | 'timing';
  iteration: number;
  row: object;
}

interface CheckpointRecord {
  runId: string;
  iteration: number;
  state: unknown;
  arrays: Record<string, TensorToWrite>;
}

interface QueryRecord {
  id: string;
  runId: string;
  query: Query;
}

/** A new run id: pg-<time>-<random> (an id the store and `rlhf import` accept). */
export function newRunId(): string {
  return `pg-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

// ---- runs --------------------------------------------------------------------------------------------------

export async function currentRunId(): Promise<string | undefined> {
  const db = await openDb();
  return (await done(db.transaction('meta').objectStore('meta').get('current'))) as string | undefined;
}

export async function getRun(id: string): Promise<RunRecord | undefined> {
  const db = await openDb();
  return (await done(db.transaction('runs').objectStore('runs').get(id))) as RunRecord | undefined;
}

/** Saves the run and makes it the page's current run. */
export async function putRun(run: RunRecord): Promise<void> {
  await transact(['runs', 'meta'], 'readwrite', (tx) => {
    tx.objectStore('runs').put({ ...run, updatedAt: new Date().toISOString() });
    tx.objectStore('meta').put(run.id, 'current');
  });
}

/** Forgets a run's rows and checkpoint (its judgements stay): it starts again from iteration 1. */
export async function resetRunState(runId: string): Promise<void> {
  await transact(['rows', 'checkpoints'], 'readwrite', (tx) => {
    tx.objectStore('rows').delete(rowRange(runId, 'metrics'));
    tx.objectStore('rows').delete(rowRange(runId, 'timing'));
    tx.objectStore('checkpoints').delete(runId);
  });
}

// ---- judgements ----------------------------------------------------------------------------------------------

export async function judgementsOf(runId: string): Promise<JudgementRecord[]> {
  const db = await openDb();
  const all = (await done(db.transaction('judgements').objectStore('judgements').index('runId').getAll(runId))) as JudgementRecord[];
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.queryId.localeCompare(b.queryId));
}

export async function queriesOf(runId: string): Promise<Query[]> {
  const db = await openDb();
  const all = (await done(db.transaction('queries').objectStore('queries').index('runId').getAll(runId))) as QueryRecord[];
  return all.map((r) => r.query);
}

export async function getQuery(id: string): Promise<Query | undefined> {
  const db = await openDb();
  return ((await done(db.transaction('queries').objectStore('queries').get(id))) as QueryRecord | undefined)?.query;
}

/** Keeps the queries (for the export) and the judgements given (one per query and annotator: a new one replaces). */
export async function saveJudgements(queries: Query[], records: JudgementRecord[]): Promise<void> {
  await transact(['queries', 'judgements'], 'readwrite', (tx) => {
    for (const q of queries) tx.objectStore('queries').put({ id: q.id, runId: q.runId, query: q } satisfies QueryRecord);
    for (const r of records) tx.objectStore('judgements').put(r);
  });
}

export async function deleteJudgement(queryId: string, annotator: string): Promise<void> {
  await transact(['judgements'], 'readwrite', (tx) => void tx.objectStore('judgements').delete([queryId, annotator]));
}

// ---- the driver's storage ------------------------------------------------------------------------------------

/** The run driver's storage for one run. */
export class IdbRunStorage implements RunStorage {
  private buffered: RowRecord[] = [];
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(readonly runId: string) {}

  async hasCheckpoint(): Promise<boolean> {
    const db = await openDb();
    return (await done(db.transaction('checkpoints').objectStore('checkpoints').count(this.runId))) > 0;
  }

  async loadCheckpoint<S>(): Promise<StoredCheckpoint<S>> {
    const db = await openDb();
    const c = (await done(db.transaction('checkpoints').objectStore('checkpoints').get(this.runId))) as CheckpointRecord | undefined;
    if (!c) throw new Error(`run ${this.runId} has no checkpoint in this browser`);
    const arrays = new Map<string, NamedTensor>();
    for (const [name, t] of Object.entries(c.arrays)) arrays.set(name, { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: t.shape, data: t.data });
    return { iteration: c.iteration, state: c.state as S, arrays };
  }

  /** (the playground keeps metrics and timing rows; a task's own record files are not kept in the browser) */
  async truncate(last: number, file: string): Promise<void> {
    if (file !== 'metrics' && file !== 'timing') return;
    await this.flush();
    this.buffered = this.buffered.filter((r) => r.file !== file || r.iteration <= last);
    await transact(['rows'], 'readwrite', (tx) => void tx.objectStore('rows').delete(rowRange(this.runId, file, Infinity, last)));
  }

  async readMetrics(): Promise<MetricsRow[]> {
    await this.flush();
    return (await metricsOf(this.runId)).concat(this.buffered.filter((r) => r.file === 'metrics').map((r) => r.row as MetricsRow));
  }

  append(file: string, row: object): void {
    if (file !== 'metrics' && file !== 'timing') return;
    this.buffered.push({ runId: this.runId, file, iteration: (row as { iteration: number }).iteration, row: structuredClone(row) });
  }

  /** The iteration's rows and checkpoint in one transaction, queued (not awaited: see the file comment). */
  saveCheckpoint<S>(iteration: number, state: S, arrays: Record<string, TensorToWrite>): void {
    this.check();
    const rows = this.buffered;
    this.buffered = [];
    // cloned now: the run goes on mutating its arrays while the transaction waits
    const record: CheckpointRecord = { runId: this.runId, iteration, state: structuredClone(state), arrays: structuredClone(arrays) };
    const prev = this.pending;
    this.pending = openDb()
      .then((db) => {
        const tx = db.transaction(['rows', 'checkpoints'], 'readwrite');
        for (const r of rows) tx.objectStore('rows').put(r);
        tx.objectStore('checkpoints').put(record);
        return new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
        });
      })
      .then(() => prev)
      .catch((e: unknown) => {
        this.failure ??= e;
      });
  }

  async writeSummary(summary: object): Promise<void> {
    await this.flush();
    const run = await getRun(this.runId);
    if (run) await putRun({ ...run, status: 'done', summary });
  }

  /** Waits until every queued write has committed; throws the first write error. */
  async flush(): Promise<void> {
    await this.pending;
    if (this.buffered.length > 0) {
      const rows = this.buffered;
      this.buffered = [];
      await transact(['rows'], 'readwrite', (tx) => rows.forEach((r) => tx.objectStore('rows').put(r)));
    }
    this.check();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure instanceof Error ? this.failure : new Error(String(this.failure));
  }
}

/** The metrics rows of a run as stored, in iteration order. */
export async function metricsOf(runId: string): Promise<MetricsRow[]> {
  const db = await openDb();
  const rows = (await done(db.transaction('rows').objectStore('rows').getAll(rowRange(runId, 'metrics')))) as RowRecord[];
  return rows.map((r) => r.row as MetricsRow);
}
