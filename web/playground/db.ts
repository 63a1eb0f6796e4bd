/**
 * The playground's IndexedDB database (one per origin): where a run lives between page loads.
 *
 *   meta         "current" → the id of the run the page shows
 *   runs         a run: id, settings (the URL's), status, summary, created/updated
 *   rows         metrics and timing rows, key [runId, file, iteration]
 *   checkpoints  the last checkpoint of each run: iteration, the driver's JSON state, the named arrays (typed arrays,
 *                stored as structured clones)
 *   queries      the queries put to people, key id, index runId
 *   judgements   what people (and, mixed, the teacher) said, key [queryId, annotator], index runId
 */
export const DB_NAME = 'rlhf-playground';
const VERSION = 1;

let opened: Promise<IDBDatabase> | undefined;

export function openDb(): Promise<IDBDatabase> {
  return (opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore('meta');
      db.createObjectStore('runs', { keyPath: 'id' });
      db.createObjectStore('rows', { keyPath: ['runId', 'file', 'iteration'] });
      db.createObjectStore('checkpoints', { keyPath: 'runId' });
      db.createObjectStore('queries', { keyPath: 'id' }).createIndex('runId', 'runId');
      db.createObjectStore('judgements', { keyPath: ['queryId', 'annotator'] }).createIndex('runId', 'runId');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('cannot open IndexedDB'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of the playground: close it and reload'));
  }));
}

export type StoreName = 'meta' | 'runs' | 'rows' | 'checkpoints' | 'queries' | 'judgements';

/** A request's result as a promise. */
export function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** A transaction's commit as a promise. */
export function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** Runs `fn` in one transaction over `stores` and resolves when it has committed, with fn's value. */
export async function transact<T>(stores: StoreName[], mode: IDBTransactionMode, fn: (tx: IDBTransaction) => T | Promise<T>): Promise<T> {
  const db = await openDb();
  const tx = db.transaction(stores, mode);
  const commit = committed(tx);
  const value = await fn(tx);
  await commit;
  return value;
}

/** The key range of one run's rows of a file: [runId, file, −∞ … +∞]. */
export function rowRange(runId: string, file: string, upTo = Infinity, after = -Infinity): IDBKeyRange {
  return IDBKeyRange.bound([runId, file, after], [runId, file, upTo], true, false);
}
