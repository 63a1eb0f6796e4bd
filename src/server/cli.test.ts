import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_SERVE_DB, DEFAULT_SERVE_PORT, resolveServeOptions, startServe } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rlhf-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function flagOf(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    resolveServeOptions(argv, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.key;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('rlhf serve flags', () => {
  it('has safe defaults', () => {
    const o = resolveServeOptions([], {});
    expect(o).toMatchObject({ db: DEFAULT_SERVE_DB, host: '127.0.0.1', port: DEFAULT_SERVE_PORT, leaseSeconds: 120, annotators: [] });
    expect(resolveServeOptions(['--help'], {})).toBe('help');
  });

  it('names the bad flag', () => {
    expect(flagOf(['--port', '70000'])).toBe('port');
    expect(flagOf(['--port', 'x'])).toBe('port');
    expect(flagOf(['--db', ''])).toBe('db');
    expect(flagOf(['--host', 'a b'])).toBe('host');
    expect(flagOf(['--open-run', '../x'])).toBe('open-run');
    expect(flagOf(['--domain', 'text'])).toBe('domain');
    expect(flagOf(['--annotator', 'teacher:x'])).toBe('annotator');
    expect(flagOf(['--admin-token', 'secret'])).toBe('admin-token');
    expect(flagOf([], { RLHF_ADMIN_TOKEN: 'short' })).toBe('admin-token');
    expect(flagOf(['--admin-token-file', join(dir, 'missing')])).toBe('admin-token-file');
    expect(flagOf(['--lease-seconds', '1'])).toBe('lease-seconds');
    expect(flagOf(['--static', 'x', '--no-static'])).toBe('static');
    expect(() => resolveServeOptions(['--bogus'], {})).toThrow(/bogus/);
  });
});

describe('the admin token never on the command line', () => {
  const token = `rlhf_${'A'.repeat(43)}`;
  it('refuses --admin-token even when the token is well formed (it would show in ps)', () => {
    expect(() => resolveServeOptions(['--admin-token', token], {})).toThrow(/ps.*--admin-token-file FILE.*RLHF_ADMIN_TOKEN/);
  });

  it('reads it from --admin-token-file or RLHF_ADMIN_TOKEN', () => {
    const file = join(dir, 'admin-token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    expect(resolveServeOptions(['--admin-token-file', file], {})).toMatchObject({ adminToken: token });
    expect(resolveServeOptions([], { RLHF_ADMIN_TOKEN: token })).toMatchObject({ adminToken: token });
    writeFileSync(file, 'not a token');
    expect(flagOf(['--admin-token-file', file])).toBe('admin-token-file');
    expect(flagOf(['--new-admin-token'], { RLHF_ADMIN_TOKEN: token })).toBe('new-admin-token');
  });
});

describe('startServe', () => {
  it('prints the URL and the admin token once, opens a run and makes annotator tokens', async () => {
    const db = join(dir, 'serve.sqlite');
    const lines: string[] = [];
    const opts = resolveServeOptions(['--db', db, '--port', '0', '--no-static', '--open-run', 'gw-1', '--annotator', 'alice'], {});
    if (opts === 'help') throw new Error('unexpected');
    const h = await startServe(opts, (l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toContain(h.server.url);
    expect(text).toContain(h.server.adminToken!);
    expect(text).toContain(h.annotatorTokens.alice!);
    expect((await h.store.getRun('gw-1'))?.status).toBe('running');
    const r = await fetch(`${h.server.url}/api/me/runs`, { headers: { authorization: `Bearer ${h.annotatorTokens.alice}` } });
    expect(((await r.json()) as { runs: { id: string }[] }).runs.map((x) => x.id)).toEqual(['gw-1']);
    await h.close();

    // a second start on the same store does not print a token it cannot know
    const again: string[] = [];
    const h2 = await startServe(opts, (l) => again.push(l));
    expect(h2.server.adminToken).toBeUndefined();
    expect(again.join('\n')).toContain('--new-admin-token');
    await h2.close();
  });

  it('reports a busy port as a ConfigError on --port', async () => {
    const first = resolveServeOptions(['--db', join(dir, 'a.sqlite'), '--port', '0', '--no-static', '--quiet'], {});
    if (first === 'help') throw new Error('unexpected');
    const h = await startServe(first, () => undefined);
    const port = Number(new URL(h.server.url).port);
    const second = resolveServeOptions(['--db', join(dir, 'b.sqlite'), '--port', String(port), '--no-static'], {});
    if (second === 'help') throw new Error('unexpected');
    await expect(startServe(second, () => undefined)).rejects.toMatchObject({ code: 'E_CONFIG', key: 'port' });
    await h.close();
  });
});

describe('rlhf export / import', () => {
  it('round-trips a run through a file and names bad flags', async () => {
    const { exportCommand, importCommand } = await import('./cli.js');
    const { openStore } = await import('../store/index.js');
    const src = join(dir, 'src.sqlite');
    const s = await openStore(src);
    await s.createRun({ id: 'gw', domain: 'gridworld' });
    await s.addQueries('gw', [
      { id: 'q1', runId: 'gw', kind: 'comparison', iteration: 0, samples: [{ id: 'a', domain: 'gridworld', payload: [0, 1] }, { id: 'b', domain: 'gridworld', payload: [0, 5] }] },
    ]);
    await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: { kind: 'comparison', leftId: 'a', rightId: 'b', preferred: 'right' } });
    await s.close();
    const file = join(dir, 'gw.jsonl');
    expect(await exportCommand(['--db', src, '--run', 'gw', '--out', file])).toBe(0);
    let printed = '';
    expect(await exportCommand(['--db', src, '--run', 'gw'], (t) => (printed += t))).toBe(0);
    expect(JSON.parse(printed.trim())).toMatchObject({ annotator: 'alice', judgement: { preferred: 'right' } });
    const dst = join(dir, 'dst.sqlite');
    expect(await importCommand([file, '--db', dst])).toBe(0);
    const d = await openStore(dst);
    expect((await d.listJudgements('gw')).map((j) => j.annotator)).toEqual(['alice']);
    await d.close();
    await expect(exportCommand(['--db', src])).rejects.toMatchObject({ key: 'run' });
    await expect(exportCommand(['--db', src, '--run', 'nope'])).rejects.toMatchObject({ key: 'run' });
    await expect(exportCommand(['--db', src, '--run', 'gw', '--format', 'csv'])).rejects.toMatchObject({ key: 'format' });
    await expect(importCommand(['--db', dst])).rejects.toMatchObject({ key: 'file' });
    await expect(importCommand([join(dir, 'missing.jsonl'), '--db', dst])).rejects.toMatchObject({ code: 'E_DATA' });
  });
});
