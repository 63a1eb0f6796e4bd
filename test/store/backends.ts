/**
 * The store backends the shared test suites run against: SQLite always; PostgreSQL when RLHF_TEST_PG_URL is set
 * or the default test cluster (scripts/pg-test-setup.sh) is reachable. Each fresh store gets its own SQLite file
 * or its own PostgreSQL schema, dropped at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import type { FeedbackStore } from '../../src/store/types.js';

export const DEFAULT_PG_URL = 'postgres://rlhf:rlhf@127.0.0.1:5432/rlhf_test';

/** A manual clock (ms) for lease expiry. */
export interface TestClock {
  now: number;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2025, 0, 1)): TestClock {
  const c = {
    now: start,
    advance(ms: number) {
      c.now += ms;
    },
  };
  return c;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** a new, empty store location (path or URL) */
  freshLocation(): string;
  open(location: string, clock?: TestClock): Promise<FeedbackStore>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-store-'));
  let n = 0;
  return {
    name: 'sqlite',
    freshLocation: () => join(dir, `s${n++}`, 'feedback.sqlite'),
    open: (loc, clock) => openStore(loc, clock ? { clock: () => clock.now } : {}),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pgReachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function postgresBackend(url: string): Backend {
  const schemas: string[] = [];
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  return {
    name: 'postgres',
    freshLocation() {
      const schema = `t_${tag}_${schemas.length}`;
      schemas.push(schema);
      const u = new URL(url);
      u.searchParams.set('schema', schema);
      return u.toString();
    },
    open: (loc, clock) => openStore(loc, { poolSize: 20, ...(clock ? { clock: () => clock.now } : {}) }),
    async cleanup() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await c.end();
    },
  };
}

/** The backends available here; a note says why PostgreSQL is missing when it is. */
export async function availableBackends(): Promise<{ backends: Backend[]; note?: string }> {
  const backends = [sqliteBackend()];
  const url = process.env.RLHF_TEST_PG_URL ?? DEFAULT_PG_URL;
  if (await pgReachable(url)) return { backends: [...backends, postgresBackend(url)] };
  const note = `PostgreSQL not reachable at ${url.replace(/:[^:@/]*@/, ':***@')} (run scripts/pg-test-setup.sh or set RLHF_TEST_PG_URL)`;
  if (process.env.RLHF_TEST_PG_URL) throw new Error(note);
  return { backends, note };
}
