import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'rlhf-migr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  it('are numbered 1, 2, … with SQL for both backends', () => {
    MIGRATIONS.forEach((m, i) => {
      expect(m.version).toBe(i + 1);
      expect(m.sqlite.length).toBeGreaterThan(0);
      expect(m.postgres.length).toBeGreaterThan(0);
    });
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('records each applied version once and refuses a store from a newer rlhfkit', async () => {
    const file = join(dir, 'm.sqlite');
    await new SqliteStore(file).close();
    await new SqliteStore(file).close();
    const db = new Database(file);
    expect(db.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(LATEST_SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    expect(() => new SqliteStore(file)).toThrow(/newer than this rlhfkit/);
  });

  it('opens the store with WAL and synchronous=FULL', async () => {
    const s = new SqliteStore(join(dir, 'w.sqlite'));
    const db = (s as unknown as { db: Database.Database }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    await s.close();
  });
});
