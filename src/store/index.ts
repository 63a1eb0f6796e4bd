/**
 * The feedback store: `openStore(urlOrPath)` picks the backend.
 *   - `postgres://…` / `postgresql://…` → PostgreSQL (teams; see postgres.ts for the `?schema=` parameter)
 *   - anything else → a SQLite file (`sqlite:` prefix optional; a directory means `<dir>/feedback.sqlite`;
 *     `:memory:` for a throwaway store)
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { FeedbackStore, StoreOptions } from './types.js';

export * from './types.js';
export { SqliteStore } from './sqlite.js';
export { PostgresStore } from './postgres.js';
export { MIGRATIONS, LATEST_SCHEMA_VERSION } from './migrations.js';
export { generateToken, hashToken, TOKEN_PATTERN } from './tokens.js';
export { computeAgreement, type Agreement } from './agreement.js';
export * from './loopBridge.js';

/** The SQLite file name inside a run directory. */
export const DEFAULT_DB_FILE = 'feedback.sqlite';

export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

/** The SQLite file a path names: a directory means `<dir>/feedback.sqlite`. */
export function sqlitePath(pathOrDir: string): string {
  const p = pathOrDir.replace(/^sqlite:(\/\/)?/i, '');
  try {
    if (statSync(p).isDirectory()) return join(p, DEFAULT_DB_FILE);
  } catch {
    /* does not exist yet: a file path */
  }
  return p;
}

/** Opens (creating and migrating if needed) the store at a PostgreSQL URL or a SQLite path. */
export async function openStore(urlOrPath: string, opts: StoreOptions = {}): Promise<FeedbackStore> {
  if (isPostgresUrl(urlOrPath)) return PostgresStore.open(urlOrPath, opts);
  return new SqliteStore(sqlitePath(urlOrPath), opts);
}
