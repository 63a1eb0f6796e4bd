/**
 * The hostile probe's findings (issue 14), one `describe` each, against a real server on SQLite: a run that
 * ended refuses changes; JSON nesting limits; a store that cannot be written is never acknowledged; Node's
 * timeouts and the SSE caps; no tokens in URLs; security headers; the small leaks and limits. Roles and the
 * audit trail over HTTP at the end. (Attaching `rlhf run --port` to a server: attach.test.ts.)
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../src/server/app.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { generateToken, hashToken } from '../../src/store/tokens.js';
import type { FeedbackStore } from '../../src/store/types.js';
import { startServerChild } from './child.js';
import { makeQueries, request, snapshot, type HttpResult, type RequestSpec } from './kit.js';

const dir = mkdtempSync(join(tmpdir(), 'rlhf-harden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ctx {
  store: FeedbackStore;
  srv: Server;
  file: string;
  admin: string;
  tokens: Record<string, string>;
}

let n = 0;
/** A store with run r1 (running, 6 comparison queries) and annotators; a server over it. */
async function setup(opts: Parameters<typeof createServer>[0]['limits'] = {}, staticDir: string | false = false, reviewer = false): Promise<Ctx> {
  const file = join(dir, `s${n++}`, 'feedback.sqlite');
  const store = new SqliteStore(file);
  await store.createRun({ id: 'r1', domain: 'gridworld', status: 'running', config: { grid: 5 } });
  await store.addQueries('r1', makeQueries('r1', 6, 'q'));
  const admin = generateToken();
  await store.createAnnotator({ name: 'admin', role: 'admin', tokenHash: hashToken(admin) });
  const tokens: Record<string, string> = {};
  const people: [string, 'annotator' | 'reviewer'][] = [
    ['alice', 'annotator'],
    ['bob', 'annotator'],
    ['carol', 'annotator'],
  ];
  if (reviewer) people.push(['rita', 'reviewer']);
  for (const [name, role] of people) {
    tokens[name] = generateToken();
    await store.createAnnotator({ name, role, tokenHash: hashToken(tokens[name]!) });
  }
  const srv = await createServer({ store, staticDir, limits: opts });
  return { store, srv, file, admin, tokens };
}

async function teardown(c: Ctx): Promise<void> {
  await c.srv.close();
  await c.store.close().catch(() => undefined);
}

const errOf = (r: HttpResult) => (r.json as { error: { code: string; field?: string; message: string } }).error;
type Q = { id: string; samples: { id: string }[] };
const cmp = (q: Q, preferred = 'left') => ({ kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred });

async function lease(c: Ctx, who: string): Promise<Q> {
  const r = await request(c.srv.url, { method: 'POST', path: '/api/runs/r1/lease', token: c.tokens[who]!, body: {} });
  expect(r.status).toBe(200);
  return (r.json as { query: Q }).query;
}

/** Sends raw bytes on a new connection; resolves with what came back and when the server closed it. */
function rawExchange(url: string, chunks: string[], waitMs: number): Promise<{ text: string; closedAfterMs: number | null }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect(Number(u.port), u.hostname);
    let text = '';
    let closedAfterMs: number | null = null;
    sock.on('data', (d) => (text += d.toString()));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      closedAfterMs = Date.now() - t0;
      clearTimeout(timer);
      resolve({ text, closedAfterMs });
    });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closedAfterMs });
    }, waitMs);
    sock.on('connect', () => chunks.forEach((c) => sock.write(c)));
  });
}

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
const bodyOf = (raw: string): unknown => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

describe('finding 1: a run that is done or failed takes no more labels, undos or re-submissions', () => {
  let c: Ctx;
  beforeAll(async () => (c = await setup()));
  afterAll(() => teardown(c));

  it('answers 409 and changes nothing', async () => {
    const q = await lease(c, 'alice');
    expect((await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.tokens.alice, body: { judgement: cmp(q) } })).status).toBe(201);
    const q2 = await lease(c, 'alice');
    for (const status of ['done', 'failed']) {
      await c.store.updateRun('r1', { status: status as 'done' });
      const before = await snapshot(c.store, 'r1');
      const tries: RequestSpec[] = [
        { method: 'DELETE', path: `/api/queries/${q.id}/judgement`, token: c.tokens.alice },
        { method: 'POST', path: `/api/queries/${q2.id}/judgement`, token: c.tokens.alice, body: { judgement: cmp(q2) } },
        { method: 'POST', path: `/api/queries/${q2.id}/judgement`, token: c.tokens.alice, body: { judgement: cmp(q2), next: true } },
        { method: 'POST', path: '/api/runs/r1/lease', token: c.tokens.bob, body: {} },
      ];
      for (const t of tries) {
        const r = await request(c.srv.url, t);
        expect([t.method, t.path, r.status, errOf(r).code]).toEqual([t.method, t.path, 409, 'E_CONFLICT']);
        expect(errOf(r).message).toContain(`is ${status}`);
      }
      expect(await snapshot(c.store, 'r1')).toBe(before);
    }
  });
});

describe('finding 2: JSON nesting depth', () => {
  let c: Ctx;
  beforeAll(async () => (c = await setup()));
  afterAll(() => teardown(c));

  const nestedText = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

  it('refuses configs, event data and payloads nested past 64 levels with a 400, before any write', async () => {
    const before = await snapshot(c.store, 'r1');
    const q = makeQueries('r1', 1, 'deep')[0]!;
    const cases: [RequestSpec, string][] = [
      [{ method: 'POST', path: '/api/runs', token: c.admin, raw: `{"id":"d1","domain":"gridworld","config":${nestedText(65)}}` }, 'config'],
      [{ method: 'POST', path: '/api/runs', token: c.admin, raw: `{"id":"d2","domain":"gridworld","config":${nestedText(4150)}}` }, 'body'],
      [{ method: 'POST', path: '/api/runs', token: c.admin, raw: `{"id":"d3","domain":"gridworld","config":${nestedText(9000)}}` }, 'body'],
      [{ method: 'PATCH', path: '/api/runs/r1', token: c.admin, raw: `{"config":${nestedText(65)}}` }, 'config'],
      [{ method: 'POST', path: '/api/runs/r1/events', token: c.admin, raw: `{"type":"metrics","data":${nestedText(65)}}` }, 'data'],
      [{ method: 'POST', path: '/api/runs/r1/events', token: c.admin, raw: `{"type":"metrics","data":${nestedText(5000)}}` }, 'body'],
      [
        { method: 'POST', path: '/api/runs/r1/queries', token: c.admin, raw: JSON.stringify({ queries: [{ ...q, runId: undefined }] }).replace('"payload":{', `"payload":{"x":${nestedText(64)},`) },
        'queries.0.samples.0.payload',
      ],
    ];
    for (const [spec, field] of cases) {
      const r = await request(c.srv.url, { ...spec, headers: { 'content-type': 'application/json' } });
      expect([spec.path, r.status, errOf(r).code === 'E_REQUEST' || errOf(r).code === 'E_FEEDBACK', errOf(r).field]).toEqual([spec.path, 400, true, field]);
    }
    expect(await snapshot(c.store, 'r1')).toBe(before);
    expect((await request(c.srv.url, { method: 'GET', path: '/api/runs', token: c.admin })).status).toBe(200);
  });

  it('keeps listing runs and events when the store already holds a row nested too deep', async () => {
    const deep = nestedText(4150);
    const db = new Database(c.file);
    db.prepare('UPDATE runs SET config = ? WHERE id = ?').run(deep, 'r1');
    db.prepare("INSERT INTO events (run_id, type, iteration, data, created_at) VALUES ('r1', 'metrics', 0, ?, 0)").run(deep);
    db.close();
    for (const path of ['/api/runs', '/api/runs/r1']) {
      const r = await request(c.srv.url, { method: 'GET', path, token: c.admin });
      expect([path, r.status]).toEqual([path, 200]);
      expect(r.text).toContain('nested deeper than 64 levels');
    }
  });
});

describe('finding 4: a store that cannot be written is never acknowledged', () => {
  it('the store directory deleted while serving: writes answer 503 E_STORE, health says so', async () => {
    const c = await setup();
    const q = await lease(c, 'alice');
    rmSync(join(c.file, '..'), { recursive: true, force: true });
    const r = await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.tokens.alice, body: { judgement: cmp(q) } });
    expect([r.status, errOf(r).code]).toEqual([503, 'E_STORE']);
    expect(errOf(r).message).toMatch(/deleted or replaced/);
    const h = await request(c.srv.url, { method: 'GET', path: '/api/health' });
    expect(h.status).toBe(503);
    expect(h.json).toMatchObject({ ok: false, writable: false, error: { code: 'E_STORE' } });
    expect((await request(c.srv.url, { method: 'POST', path: '/api/runs/r1/lease', token: c.tokens.bob, body: {} })).status).toBe(503);
    await teardown(c);
  });

  it('a read-only store: health 503, writes 503 E_STORE, reads still served', async () => {
    // root can write any file: the server runs as "nobody" on a file it may read but not write
    const asNobody = process.getuid?.() === 0;
    chmodSync(dir, 0o755);
    const d = join(dir, 'ro');
    mkdirSync(d);
    const file = join(d, 'feedback.sqlite');
    const store = new SqliteStore(file);
    await store.createRun({ id: 'r1', domain: 'gridworld', status: 'running' });
    await store.addQueries('r1', makeQueries('r1', 2));
    const token = generateToken();
    await store.createAnnotator({ name: 'alice', role: 'annotator', tokenHash: hashToken(token) });
    await store.createAnnotator({ name: 'admin', role: 'admin', tokenHash: hashToken(generateToken()) }); // served before: no admin to create
    await store.close();
    chmodSync(file, 0o444);
    if (asNobody) {
      chownSync(d, 65534, 65534); // the -wal and -shm files may be made next to it
      chmodSync(file, 0o644);
    }
    const child = await startServerChild(file, 0, undefined, asNobody ? { uid: 65534, gid: 65534 } : undefined);
    try {
      const h = await request(child.url, { method: 'GET', path: '/api/health' });
      expect([h.status, (h.json as { writable: boolean }).writable]).toEqual([503, false]);
      const l = await request(child.url, { method: 'POST', path: '/api/runs/r1/lease', token, body: {} });
      expect([l.status, errOf(l).code]).toEqual([503, 'E_STORE']);
      expect((await request(child.url, { method: 'GET', path: '/api/me/progress?runId=r1', token })).status).toBe(200);
    } finally {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
  });

  it('new store files are readable by their owner only', async () => {
    const c = await setup();
    await lease(c, 'alice'); // a write: -wal and -shm exist
    for (const f of [c.file, `${c.file}-wal`, `${c.file}-shm`]) expect([f, (statSync(f).mode & 0o777).toString(8)]).toEqual([f, '600']);
    expect((statSync(join(c.file, '..')).mode & 0o777).toString(8)).toBe('700');
    await teardown(c);
  });
});

describe('finding 5: timeouts, body limits and SSE caps', () => {
  let c: Ctx;
  beforeAll(async () => (c = await setup({ requestTimeoutMs: 800, headersTimeoutMs: 800, sse: { perAccount: 2, total: 3, recheckMs: 60_000 } })));
  afterAll(() => teardown(c));

  it('a body that trickles in is cut off after requestTimeout with a 408', async () => {
    const head = `POST /api/runs/r1/lease HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.tokens.alice}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"lea`;
    const r = await rawExchange(c.srv.url, [head], 5000);
    expect(r.closedAfterMs).not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(3000);
    expect(statusOf(r.text)).toBe(408);
    expect(bodyOf(r.text)).toMatchObject({ error: { code: 'E_REQUEST' } });
  });

  it('a request refused before its body is read (401, 413) closes the connection at once', async () => {
    const noToken = `POST /api/runs/r1/lease HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"x":`;
    const r1 = await rawExchange(c.srv.url, [noToken], 5000);
    expect(statusOf(r1.text)).toBe(401);
    expect(r1.closedAfterMs!).toBeLessThan(500);
    const tooBig = `POST /api/runs/r1/lease HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.tokens.alice}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"x":`;
    const r2 = await rawExchange(c.srv.url, [tooBig], 5000);
    expect(statusOf(r2.text)).toBe(413);
    expect(r2.closedAfterMs!).toBeLessThan(500);
  });

  it('caps SSE streams per account and in total (429), and streams without polling the store', async () => {
    let reads = 0;
    const listEvents = c.store.listEvents.bind(c.store);
    c.store.listEvents = async (...args) => {
      reads++;
      return listEvents(...args);
    };
    const streams: { close(): void; events: unknown[]; status: Promise<number> }[] = [];
    const open = (who: string) => {
      const ac = new AbortController();
      const events: unknown[] = [];
      const status = fetch(new URL('/api/runs/r1/events', c.srv.url), { headers: { authorization: `Bearer ${who === 'admin' ? c.admin : c.tokens[who]!}` }, signal: ac.signal }).then(async (res) => {
        if (res.status === 200) {
          void (async () => {
            const reader = res.body!.getReader();
            let buf = '';
            try {
              for (;;) {
                const { value, done } = await reader.read();
                if (done) return;
                buf += new TextDecoder().decode(value);
                for (const m of buf.matchAll(/^data: (.*)$/gm)) events.push(JSON.parse(m[1]!));
                buf = buf.slice(buf.lastIndexOf('\n') + 1);
              }
            } catch {
              /* aborted */
            }
          })();
        } else await res.text();
        return res.status;
      });
      const s = { close: () => ac.abort(), events, status };
      streams.push(s);
      return s;
    };
    const a1 = open('alice');
    const a2 = open('alice');
    expect([await a1.status, await a2.status]).toEqual([200, 200]);
    expect(await open('alice').status).toBe(429); // per account
    expect(await open('bob').status).toBe(200);
    expect(await open('carol').status).toBe(429); // in total
    // idle streams do not read the store (no polling): only when an event is appended
    const readsBefore = reads;
    await new Promise((r) => setTimeout(r, 1200));
    expect(reads - readsBefore).toBe(0);
    await c.store.appendEvent('r1', { type: 'metrics', iteration: 0, data: { x: 1 } });
    await expect.poll(() => a1.events.length, { timeout: 2000 }).toBe(1);
    expect(reads - readsBefore).toBe(3); // one read per open stream, after the append
    a2.close();
    await expect.poll(async () => await open('carol').status, { timeout: 2000 }).toBe(200); // a closed stream frees its place
    for (const s of streams) s.close();
  });
});

describe('finding 6: no tokens in URLs or argv', () => {
  let c: Ctx;
  beforeAll(async () => (c = await setup()));
  afterAll(() => teardown(c));

  it('refuses ?token= on every route, SSE included', async () => {
    for (const path of [`/api/runs/r1/events?token=${c.tokens.alice}`, `/api/me?token=${c.tokens.alice}`]) {
      const r = await request(c.srv.url, { method: 'GET', path });
      expect([path.slice(0, 20), r.status, errOf(r).message]).toEqual([path.slice(0, 20), 401, expect.stringMatching(/not accepted in URLs/)]);
    }
  });
});

describe('finding 7: security headers', () => {
  let c: Ctx;
  beforeAll(async () => {
    const web = join(dir, 'web');
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>app</title>');
    c = await setup({}, web);
  });
  afterAll(() => teardown(c));

  it('sends a Content-Security-Policy and helmet headers on pages, the API and errors', async () => {
    for (const spec of [
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/label/r1' },
      { method: 'GET', path: '/api/health' },
      { method: 'GET', path: '/api/me' },
    ]) {
      const r = await request(c.srv.url, spec);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(/script-src [^;]*'unsafe-inline'/.test(csp)).toBe(false);
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    }
  });
});

describe('finding 8: small leaks and limits', () => {
  let c: Ctx;
  beforeAll(async () => (c = await setup()));
  afterAll(() => teardown(c));

  it("an annotator without the lease learns nothing of another's query from the error", async () => {
    const q = await lease(c, 'alice');
    for (const judgement of [{ kind: 'rating', sampleId: 'x', value: 1 }, { kind: 'ranking', sampleIds: ['a', 'b'] }, cmp({ id: 'x', samples: [{ id: 'a' }, { id: 'b' }] })]) {
      const r = await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.tokens.bob, body: { judgement } });
      expect([r.status, errOf(r).code]).toEqual([403, 'E_AUTH']);
      expect(r.text).not.toMatch(new RegExp(`${q.samples[0]!.id}|${q.samples[1]!.id}|comparison`));
    }
  });

  it('bounds iterations to 32-bit integers', async () => {
    const q = { ...makeQueries('r1', 1, 'big')[0]!, runId: undefined, iteration: 1e300 };
    const r1 = await request(c.srv.url, { method: 'POST', path: '/api/runs/r1/queries', token: c.admin, body: { queries: [q] } });
    expect([r1.status, errOf(r1).field]).toEqual([400, 'queries.0.iteration']);
    const r2 = await request(c.srv.url, { method: 'POST', path: '/api/runs/r1/events', token: c.admin, body: { type: 'metrics', iteration: 2 ** 31, data: {} } });
    expect([r2.status, errOf(r2).field]).toEqual([400, 'iteration']);
    expect(await c.store.getQuery('big0')).toBeUndefined();
  });

  it('answers an over-long path parameter with 414', async () => {
    const long = 'x'.repeat(300);
    for (const spec of [
      { method: 'GET', path: `/api/runs/${long}`, token: c.admin },
      { method: 'POST', path: `/api/queries/${long}/judgement`, token: c.tokens.alice, body: { judgement: {} } },
      { method: 'POST', path: `/api/runs/${long}/lease` },
      { method: 'GET', path: `/label/${long}` },
    ]) {
      const r = await request(c.srv.url, spec);
      expect([spec.path.slice(0, 16), r.status, errOf(r).code]).toEqual([spec.path.slice(0, 16), 414, 'E_REQUEST']);
    }
  });

  it("answers Node's own 400 and 431 in the documented error format", async () => {
    const bad = await rawExchange(c.srv.url, ['NOT HTTP AT ALL\r\n\r\n'], 3000);
    expect(statusOf(bad.text)).toBe(400);
    expect(bodyOf(bad.text)).toMatchObject({ error: { code: 'E_REQUEST', message: expect.stringMatching(/malformed HTTP request/) } });
    const big = await rawExchange(c.srv.url, [`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`], 3000);
    expect(statusOf(big.text)).toBe(431);
    expect(bodyOf(big.text)).toMatchObject({ error: { code: 'E_REQUEST' } });
  });
});

describe('roles and the audit trail over HTTP', () => {
  let c: Ctx;
  beforeAll(async () => (c = await setup({}, false, true)));
  afterAll(() => teardown(c));

  it('a reviewer sees every run and adjudicates, but changes nothing else', async () => {
    const q = await lease(c, 'alice');
    await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.tokens.alice, body: { judgement: cmp(q) } });
    const rita = c.tokens.rita!;
    for (const path of ['/api/runs', '/api/runs/r1', '/api/runs/r1/stats', '/api/runs/r1/agreement', '/api/runs/r1/queries', '/api/runs/r1/judgements', '/api/runs/r1/export', '/api/annotators', '/api/audit', '/api/runs/r1/adjudications', '/api/server']) {
      expect([path, (await request(c.srv.url, { method: 'GET', path, token: rita })).status]).toEqual([path, 200]);
      expect([path, (await request(c.srv.url, { method: 'GET', path, token: c.tokens.bob })).status]).toEqual([path, 403]);
    }
    const adj = await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/adjudication`, token: rita, body: { judgement: cmp(q, 'right'), note: 'the right path is shorter' } });
    expect(adj.status).toBe(201);
    expect(adj.json).toMatchObject({ adjudication: { queryId: q.id, reviewer: 'rita', judgement: cmp(q, 'right'), note: 'the right path is shorter' } });
    expect((await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/adjudication`, token: c.tokens.bob, body: { judgement: cmp(q) } })).status).toBe(403);
    const before = await snapshot(c.store, 'r1');
    const forbidden: RequestSpec[] = [
      { method: 'POST', path: '/api/runs', body: { domain: 'gridworld' } },
      { method: 'PATCH', path: '/api/runs/r1', body: { status: 'done' } },
      { method: 'POST', path: '/api/runs/r1/queries', body: { queries: [] } },
      { method: 'POST', path: '/api/runs/r1/events', body: { type: 'x', data: {} } },
      { method: 'POST', path: '/api/annotators', body: { name: 'mallory', role: 'admin' } },
      { method: 'POST', path: '/api/annotators/alice/token' },
      { method: 'PATCH', path: '/api/annotators/alice', body: { disabled: true } },
      { method: 'DELETE', path: `/api/queries/${q.id}/judgement` }, // alice's label: the reviewer has none to undo
    ];
    for (const f of forbidden) {
      const r = await request(c.srv.url, { ...f, token: rita });
      expect([f.method, f.path, r.status >= 400 && r.status < 500]).toEqual([f.method, f.path, true]);
    }
    expect(await snapshot(c.store, 'r1')).toBe(before);
    expect((await c.store.listJudgements('r1')).map((j) => j.annotator)).toEqual(['alice']);
  });

  it('an admin disables an account: its token stops working at once, its labels stay; enabling restores it', async () => {
    const q = await lease(c, 'bob');
    await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.tokens.bob, body: { judgement: cmp(q) } });
    const q2 = await lease(c, 'bob');
    const off = await request(c.srv.url, { method: 'PATCH', path: '/api/annotators/bob', token: c.admin, body: { disabled: true } });
    expect(off.json).toMatchObject({ annotator: { name: 'bob', disabledAt: expect.any(String) } });
    const me = await request(c.srv.url, { method: 'GET', path: '/api/me', token: c.tokens.bob });
    expect([me.status, errOf(me).message]).toEqual([401, expect.stringMatching(/disabled/)]);
    expect((await request(c.srv.url, { method: 'POST', path: `/api/queries/${q2.id}/judgement`, token: c.tokens.bob, body: { judgement: cmp(q2) } })).status).toBe(401);
    expect((await c.store.getQuery(q2.id))?.status).toBe('pending'); // back in the pool
    expect(await c.store.countJudgements('r1', { annotator: 'bob' })).toBe(1);
    expect((await request(c.srv.url, { method: 'PATCH', path: '/api/annotators/admin', token: c.admin, body: { disabled: true } })).status).toBe(409);
    expect((await request(c.srv.url, { method: 'PATCH', path: '/api/annotators/nobody', token: c.admin, body: { disabled: true } })).status).toBe(404);
    expect((await request(c.srv.url, { method: 'PATCH', path: '/api/annotators/bob', token: c.admin, body: { disabled: false } })).status).toBe(200);
    expect((await request(c.srv.url, { method: 'GET', path: '/api/me', token: c.tokens.bob })).status).toBe(200);
    const audit = await request(c.srv.url, { method: 'GET', path: '/api/audit?annotator=bob', token: c.admin });
    expect((audit.json as { audit: { action: string; actor: string }[] }).audit.map((e) => `${e.action}:${e.actor}`)).toEqual(['disable:admin', 'enable:admin']);
  });

  it('an undo is kept in the audit trail', async () => {
    const q = await lease(c, 'alice');
    await request(c.srv.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.tokens.alice, body: { judgement: cmp(q, 'tie') } });
    expect((await request(c.srv.url, { method: 'DELETE', path: `/api/queries/${q.id}/judgement`, token: c.tokens.alice })).status).toBe(200);
    const audit = await request(c.srv.url, { method: 'GET', path: `/api/audit?queryId=${q.id}&action=retract`, token: c.tokens.rita! });
    expect((audit.json as { audit: unknown[] }).audit).toEqual([expect.objectContaining({ action: 'retract', actor: 'alice', data: expect.objectContaining({ judgement: cmp(q, 'tie') }) })]);
  });
});
