/**
 * The labeling server's HTTP contract (docs/api.md): auth and roles, validation errors naming the field,
 * leasing and judging, isolation between annotators, admin views, SSE, static files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, redactToken, type Server } from '../../src/server/app.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { FeedbackStore } from '../../src/store/types.js';
import { makeQueries, request, type RequestSpec } from './kit.js';

interface Ctx {
  store: FeedbackStore;
  srv: Server;
  admin: string;
  alice: string;
  bob: string;
  dir: string;
}

const tokenRe = /^rlhf_[A-Za-z0-9_-]{43}$/;

async function setup(): Promise<Ctx> {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-server-'));
  const web = join(dir, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>app</title>APP-INDEX');
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log("APP-JS")');
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET');
  const store = new SqliteStore(join(dir, 'feedback.sqlite'));
  const srv = await createServer({ store, staticDir: web, limits: { sse: { recheckMs: 20 } } });
  const admin = srv.adminToken!;
  const mk = async (name: string) => {
    const r = await request(srv.url, { method: 'POST', path: '/api/annotators', token: admin, body: { name } });
    expect(r.status).toBe(201);
    return (r.json as { token: string }).token;
  };
  const ctx = { store, srv, admin, alice: await mk('alice'), bob: await mk('bob'), dir };
  const run = await request(srv.url, { method: 'POST', path: '/api/runs', token: admin, body: { id: 'r1', domain: 'gridworld', config: { grid: 5 }, status: 'running' } });
  expect(run.status).toBe(201);
  const add = await request(srv.url, { method: 'POST', path: '/api/runs/r1/queries', token: admin, body: { queries: makeQueries('r1', 6, 'q', 2).map(({ runId: _r, ...q }) => q) } });
  expect(add.json).toEqual({ added: 6 });
  return ctx;
}

let c: Ctx;
beforeAll(async () => {
  c = await setup();
});
afterAll(async () => {
  await c.srv.close();
  await c.store.close();
  rmSync(c.dir, { recursive: true, force: true });
});

const call = (spec: RequestSpec) => request(c.srv.url, spec);
const errOf = (r: { json: unknown }) => (r.json as { error: { code: string; field?: string; message: string } }).error;

describe('auth', () => {
  it('prints an admin token at first start only, and can replace it', async () => {
    expect(c.admin).toMatch(tokenRe);
    const again = await createServer({ store: c.store, staticDir: false });
    expect(again.adminToken).toBeUndefined();
    await again.close();
    const rotated = await createServer({ store: c.store, staticDir: false, newAdminToken: true });
    expect(rotated.adminToken).toMatch(tokenRe);
    expect((await request(rotated.url, { method: 'GET', path: '/api/me', token: c.admin })).status).toBe(401);
    expect((await request(rotated.url, { method: 'GET', path: '/api/me', token: rotated.adminToken! })).status).toBe(200);
    await rotated.close();
    // restore a known admin token for the other tests
    const fixed = await createServer({ store: c.store, staticDir: false, adminToken: c.admin });
    await fixed.close();
  });

  it('health is public; everything else needs a valid token', async () => {
    const health = await call({ method: 'GET', path: '/api/health' });
    expect(health.json).toMatchObject({ ok: true, store: 'sqlite' });
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['x-frame-options']).toBe('DENY');
    expect(redactToken('/api/runs/r1/events?after=3&token=rlhf_abc')).toBe('/api/runs/r1/events?after=3&token=***');
    const none = await call({ method: 'GET', path: '/api/me' });
    expect(none.status).toBe(401);
    expect(errOf(none)).toMatchObject({ code: 'E_AUTH', field: 'token' });
    expect((await call({ method: 'GET', path: '/api/me', headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await call({ method: 'GET', path: '/api/me', token: `rlhf_${'A'.repeat(43)}` })).status).toBe(401);
    const me = await call({ method: 'GET', path: '/api/me', token: c.alice });
    expect(me.json).toMatchObject({ annotator: { name: 'alice', role: 'annotator' } });
  });

  it('annotators never reach admin routes', async () => {
    const adminRoutes: [string, string][] = [
      ['POST', '/api/annotators'],
      ['GET', '/api/annotators'],
      ['POST', '/api/annotators/bob/token'],
      ['POST', '/api/runs'],
      ['GET', '/api/runs'],
      ['GET', '/api/runs/r1'],
      ['PATCH', '/api/runs/r1'],
      ['GET', '/api/runs/r1/stats'],
      ['GET', '/api/runs/r1/agreement'],
      ['POST', '/api/runs/r1/queries'],
      ['GET', '/api/runs/r1/queries'],
      ['GET', '/api/runs/r1/judgements'],
      ['POST', '/api/runs/r1/events'],
      ['GET', '/api/runs/r1/export'],
    ];
    for (const [method, path] of adminRoutes) {
      const r = await call({ method, path, token: c.alice, body: { name: 'mallory', role: 'admin' } });
      expect([method, path, r.status]).toEqual([method, path, 403]);
      expect(errOf(r).code).toBe('E_AUTH');
    }
    expect((await c.store.getAnnotator('mallory'))).toBeUndefined();
  });
});

describe('labeling', () => {
  it('leases, judges idempotently, reports progress, undoes', async () => {
    const l1 = await call({ method: 'POST', path: '/api/runs/r1/lease', token: c.alice });
    expect(l1.status).toBe(200);
    const q = (l1.json as { query: { id: string; samples: { id: string }[] } }).query;
    expect(q.id).toBe('q0');
    expect(Object.keys(q).sort()).toEqual(['id', 'iteration', 'kind', 'runId', 'samples']);
    const judgement = { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: 'left' };
    const s1 = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.alice, body: { judgement } });
    expect(s1.status).toBe(201);
    expect(s1.json).toMatchObject({ created: true, judgement: { queryId: 'q0', runId: 'r1', annotator: 'alice', judgement } });
    const s2 = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.alice, body: { judgement } });
    expect(s2.status).toBe(200);
    expect((s2.json as { created: boolean }).created).toBe(false);
    const s3 = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.alice, body: { judgement: { ...judgement, preferred: 'right' } } });
    expect(s3.status).toBe(409);
    expect(errOf(s3).code).toBe('E_CONFLICT');

    const prog = await call({ method: 'GET', path: '/api/me/progress?runId=r1', token: c.alice });
    expect(prog.json).toEqual({ runId: 'r1', labels: 1, labelsAllRuns: 1, queue: 5, leased: 0 });
    const mine = await call({ method: 'GET', path: '/api/me/judgements?runId=r1', token: c.alice });
    expect((mine.json as { judgements: unknown[] }).judgements).toHaveLength(1);
    const runs = await call({ method: 'GET', path: '/api/me/runs', token: c.alice });
    expect(runs.json).toEqual({ runs: [{ id: 'r1', domain: 'gridworld', status: 'running', queue: 5, labels: 1 }] });

    const undo = await call({ method: 'DELETE', path: `/api/queries/${q.id}/judgement`, token: c.alice });
    expect(undo.status).toBe(200);
    expect((undo.json as { query: { id: string } }).query.id).toBe('q0');
    const s4 = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.alice, body: { judgement: { ...judgement, preferred: 'right' } } });
    expect(s4.status).toBe(201);
  });

  it('validation errors name the field', async () => {
    const l = await call({ method: 'POST', path: '/api/runs/r1/lease', token: c.bob, body: { leaseSeconds: 60 } });
    const q = (l.json as { query: { id: string; samples: { id: string }[] } }).query;
    const base = { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: 'left' };
    const cases: [unknown, string][] = [
      [{ judgement: { ...base, preferred: 'up' } }, 'judgement.preferred'],
      [{ judgement: { ...base, leftId: 3 } }, 'judgement.leftId'],
      [{ judgement: { kind: 'comparison', leftId: 'a', rightId: 'b' } }, 'judgement.preferred'],
      [{ judgement: { ...base, extra: 1 } }, 'judgement.extra'],
      [{ judgement: { kind: 'vote' } }, 'judgement.kind'],
      [{ judgement: base, who: 'x' }, 'who'],
      [{}, 'judgement'],
      [{ judgement: { ...base, leftId: base.rightId, rightId: base.leftId } }, 'judgement.leftId'],
      [{ judgement: { kind: 'rating', sampleId: base.leftId, value: 1 } }, 'judgement.kind'],
    ];
    for (const [body, field] of cases) {
      const r = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.bob, body });
      expect([r.status, errOf(r).field]).toEqual([400, field]);
    }
    expect(errOf(await call({ method: 'POST', path: '/api/runs/r1/lease', token: c.bob, body: { leaseSeconds: '60' } })).field).toBe('leaseSeconds');
    expect(errOf(await call({ method: 'GET', path: '/api/me/judgements?runId=r1&limit=x', token: c.bob })).field).toBe('query.limit');
    expect(errOf(await call({ method: 'POST', path: '/api/queries/a%20b/judgement', token: c.bob, body: { judgement: base } })).field).toBe('params.queryId');
    const big = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.bob, body: { judgement: { ...base, pad: 'x'.repeat(70_000) } } });
    expect(big.status).toBe(413);
    const badJson = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.bob, raw: '{"judgement":', headers: { 'content-type': 'application/json' } });
    expect([badJson.status, errOf(badJson).code]).toEqual([400, 'E_REQUEST']);
    const ctype = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.bob, raw: JSON.stringify({ judgement: base }), headers: { 'content-type': 'text/plain' } });
    expect(ctype.status).toBe(415);
    // nothing of that was stored
    expect(await c.store.countJudgements('r1', { annotator: 'bob' })).toBe(0);
  });

  it("annotators cannot touch each other's queries and judgements", async () => {
    const l = await call({ method: 'POST', path: '/api/runs/r1/lease', token: c.bob });
    const q = (l.json as { query: { id: string; samples: { id: string }[] } }).query;
    const judgement = { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: 'tie' };
    // alice submits for bob's leased query
    const steal = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.alice, body: { judgement } });
    expect([steal.status, errOf(steal).code]).toEqual([403, 'E_AUTH']);
    expect((await call({ method: 'DELETE', path: `/api/queries/${q.id}/lease`, token: c.alice })).status).toBe(409);
    expect((await call({ method: 'DELETE', path: '/api/queries/q0/judgement', token: c.bob })).status).toBe(404);
    const bobs = await call({ method: 'GET', path: '/api/me/judgements?runId=r1', token: c.bob });
    expect((bobs.json as { judgements: unknown[] }).judgements).toEqual([]);
    expect((await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: c.bob, body: { judgement } })).status).toBe(201);
    expect((await call({ method: 'DELETE', path: '/api/queries/q5/lease', token: c.bob })).status).toBe(409);
    expect((await call({ method: 'DELETE', path: '/api/queries/nope/lease', token: c.bob })).status).toBe(404);
  });
});

describe('admin views', () => {
  it('lists runs, stats, agreement, queries, judgements and exports', async () => {
    const runs = await call({ method: 'GET', path: '/api/runs', token: c.admin });
    expect((runs.json as { runs: { id: string }[] }).runs.map((r) => r.id)).toEqual(['r1']);
    const made = await call({ method: 'POST', path: '/api/runs', token: c.admin, body: { domain: 'gridworld' } });
    expect((made.json as { run: { id: string } }).run.id).toMatch(/^gridworld-\d{8}-\d{6}-[a-z0-9]{4}$/);
    expect((await call({ method: 'POST', path: '/api/runs', token: c.admin, body: { id: 'r1', domain: 'gridworld' } })).status).toBe(409);
    const one = await call({ method: 'GET', path: '/api/runs/r1', token: c.admin });
    expect(one.json).toMatchObject({ run: { id: 'r1', config: { grid: 5 } }, stats: { judgements: { total: 2 } } });
    expect((await call({ method: 'GET', path: '/api/runs/zz', token: c.admin })).status).toBe(404);
    const queries = await call({ method: 'GET', path: '/api/runs/r1/queries?status=done', token: c.admin });
    expect((queries.json as { queries: { id: string; judged: number }[] }).queries.map((q) => q.id)).toEqual(['q0', 'q2']);
    const js = await call({ method: 'GET', path: '/api/runs/r1/judgements?annotator=alice', token: c.admin });
    expect((js.json as { judgements: unknown[] }).judgements).toHaveLength(1);
    const exp = await call({ method: 'GET', path: '/api/runs/r1/export', token: c.admin });
    expect(exp.headers['content-type']).toMatch(/ndjson/);
    expect(exp.text.trim().split('\n')).toHaveLength(2);

    // agreement needs queries judged by several annotators
    await call({ method: 'POST', path: '/api/runs', token: c.admin, body: { id: 'agree', domain: 'gridworld', status: 'running' } });
    await call({ method: 'POST', path: '/api/runs/agree/queries', token: c.admin, body: { redundancy: 2, queries: makeQueries('agree', 2, 'ag').map(({ runId: _r, ...q }) => q) } });
    for (const [token, prefs] of [
      [c.alice, ['left', 'left']],
      [c.bob, ['left', 'right']],
    ] as const) {
      for (const p of prefs) {
        const l = await call({ method: 'POST', path: '/api/runs/agree/lease', token });
        const q = (l.json as { query: { id: string; samples: { id: string }[] } }).query;
        const r = await call({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token, body: { judgement: { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: p } } });
        expect(r.status).toBe(201);
      }
    }
    const ag = await call({ method: 'GET', path: '/api/runs/agree/agreement', token: c.admin });
    expect(ag.json).toMatchObject({ queries: 2, pairs: 2, agreed: 1, rate: 0.5, byPair: [{ a: 'alice', b: 'bob', pairs: 2, agreed: 1 }] });

    const patched = await call({ method: 'PATCH', path: '/api/runs/agree', token: c.admin, body: { status: 'done' } });
    expect((patched.json as { run: { status: string } }).run.status).toBe('done');
    expect((await call({ method: 'POST', path: '/api/runs/agree/lease', token: c.alice })).status).toBe(409);
    expect((await call({ method: 'PATCH', path: '/api/runs/agree', token: c.admin, body: {} })).status).toBe(400);
  });
});

/** Opens an SSE stream and collects parsed events until `count` arrived. */
function sse(path: string, headers: Record<string, string>, count: number): Promise<{ status: number; events: { seq: number; type: string }[]; ids: string[] }> {
  const u = new URL(c.srv.url);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: u.hostname, port: u.port, path, headers }, (res) => {
      const events: { seq: number; type: string }[] = [];
      const ids: string[] = [];
      let buf = '';
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ status: res.statusCode ?? 0, events, ids });
        return;
      }
      expect(res.headers['content-type']).toMatch(/text\/event-stream/);
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) ids.push(line.slice(4));
            if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)));
          }
          if (events.length >= count) {
            req.destroy();
            resolve({ status: 200, events, ids });
            return;
          }
        }
      });
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
  });
}

describe('server-sent events', () => {
  it('replays stored events, streams new ones, resumes after Last-Event-ID', async () => {
    await c.store.createRun({ id: 'ev', domain: 'gridworld' });
    const e1 = await c.store.appendEvent('ev', { type: 'metrics', iteration: 0, data: { 'reward/loss': 1 } });
    const got = sse('/api/runs/ev/events', { authorization: `Bearer ${c.alice}` }, 3);
    await new Promise((r) => setTimeout(r, 50));
    await c.store.appendEvent('ev', { type: 'metrics', iteration: 1, data: { 'reward/loss': 0.5 } });
    await c.store.updateRun('ev', { status: 'running' });
    const r = await got;
    expect(r.events.map((e) => e.type)).toEqual(['metrics', 'metrics', 'status']);
    expect(r.ids[0]).toBe(String(e1.seq));
    const resumed = await sse('/api/runs/ev/events', { authorization: `Bearer ${c.admin}`, 'last-event-id': String(e1.seq) }, 2);
    expect(resumed.events.map((e) => e.seq)).toEqual(r.events.slice(1).map((e) => e.seq));
    expect((await sse('/api/runs/ev/events', {}, 1)).status).toBe(401);
    // a token in the URL lands in proxy logs: refused
    expect((await sse(`/api/runs/ev/events?token=${c.alice}`, {}, 1)).status).toBe(401);
    expect((await sse('/api/runs/nope/events', { authorization: `Bearer ${c.alice}` }, 1)).status).toBe(404);
  });
});

describe('static files', () => {
  it('serves the app and refuses to leave its directory', async () => {
    expect((await call({ method: 'GET', path: '/' })).text).toContain('APP-INDEX');
    expect((await call({ method: 'GET', path: '/assets/app.js' })).text).toContain('APP-JS');
    expect((await call({ method: 'GET', path: '/label/r1' })).text).toContain('APP-INDEX'); // client-side route
    expect((await call({ method: 'GET', path: '/assets/missing.js' })).status).toBe(404);
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%2e%2e%2fsecret.txt', '//secret.txt', '/assets/%00', '/.git/config']) {
      const r = await call({ method: 'GET', path });
      expect([path, r.status >= 400 && r.status < 500]).toEqual([path, true]);
      expect(r.text).not.toContain('TOP-SECRET');
    }
  });
});
