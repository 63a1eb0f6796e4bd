/**
 * Finding 3: `rlhf run … --judge human --port P` attaches to a server already on P only when that server's
 * /api/health says it is rlhfkit serving the same store; otherwise a clear error on --port, and no token link is
 * ever printed for a foreign server.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { startHumanSession } from '../../src/loop/people/session.js';
import { createServer } from '../../src/server/app.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'rlhf-attach-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function attachTo(port: number, db: string): Promise<{ lines: string[]; error: unknown }> {
  const lines: string[] = [];
  try {
    const s = await startHumanSession({ db, runId: 'gw-1', domain: 'gridworld', port, attachIfBusy: true, log: (l) => lines.push(l) });
    await s.close();
    return { lines, error: undefined };
  } catch (e) {
    return { lines, error: e };
  }
}

describe('rlhf run --port P attaches only to an rlhfkit server of the same store', () => {
  it('refuses a foreign server, and prints no token for it', async () => {
    const foreign = http.createServer((_req, res) => res.end(JSON.stringify({ ok: true, store: 'sqlite' })));
    const port = await listen(foreign);
    const r = await attachTo(port, join(dir, 'a.sqlite'));
    foreign.close();
    expect(r.error).toBeInstanceOf(ConfigError);
    expect((r.error as ConfigError).key).toBe('port');
    expect((r.error as Error).message).toMatch(/not an rlhfkit server/);
    expect(r.lines.join('\n')).not.toMatch(/token/);
  });

  it('refuses an rlhfkit server of another store', async () => {
    const other = new SqliteStore(join(dir, 'other.sqlite'));
    const srv = await createServer({ store: other, staticDir: false });
    const port = Number(new URL(srv.url).port);
    const r = await attachTo(port, join(dir, 'b.sqlite'));
    await srv.close();
    await other.close();
    expect((r.error as ConfigError).key).toBe('port');
    expect((r.error as Error).message).toMatch(/another store.*rlhf serve --db .*b\.sqlite/);
    expect(r.lines.join('\n')).not.toMatch(/token/);
  });

  it('attaches to an rlhfkit server of the same store and prints the link there', async () => {
    const db = join(dir, 'same.sqlite');
    const store = new SqliteStore(db);
    const srv = await createServer({ store, staticDir: false });
    const port = Number(new URL(srv.url).port);
    const r = await attachTo(port, db);
    await srv.close();
    await store.close();
    expect(r.error).toBeUndefined();
    expect(r.lines.join('\n')).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/label/gw-1#token=rlhf_`));
  });
});
