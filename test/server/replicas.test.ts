/**
 * Two server replicas on one PostgreSQL store (skipped without PostgreSQL): an account disabled on one is refused
 * by the other at once (its token lookups are cached, NOTIFY empties the cache; the stored functions refuse a
 * disabled account's leases and judgements whatever the cache says); an event appended through one reaches an SSE
 * stream on the other through LISTEN/NOTIFY, with no polling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../src/server/app.js';
import { generateToken, hashToken } from '../../src/store/tokens.js';
import type { FeedbackStore } from '../../src/store/types.js';
import { availableBackends, type Backend } from '../store/backends.js';
import { makeQueries, request } from './kit.js';

const { backends } = await availableBackends();
const pg = backends.find((b) => b.name === 'postgres');

describe.skipIf(pg === undefined)('replicas on one PostgreSQL store', () => {
  const backend = pg as Backend;
  let stores: FeedbackStore[];
  let servers: Server[];
  const admin = generateToken();
  const bob = generateToken();

  beforeAll(async () => {
    const loc = backend.freshLocation();
    stores = [await backend.open(loc), await backend.open(loc)];
    await stores[0]!.createRun({ id: 'r1', domain: 'gridworld', status: 'running' });
    await stores[0]!.addQueries('r1', makeQueries('r1', 4));
    await stores[0]!.createAnnotator({ name: 'admin', role: 'admin', tokenHash: hashToken(admin) });
    await stores[0]!.createAnnotator({ name: 'bob', role: 'annotator', tokenHash: hashToken(bob) });
    servers = await Promise.all(stores.map((store) => createServer({ store, staticDir: false, limits: { sse: { recheckMs: 60_000 } } })));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const s of stores) await s.close();
    await backend.cleanup();
  });

  it('an account disabled through one replica is refused by the other at once', async () => {
    const [a, b] = servers as [Server, Server];
    // B has bob's token cached
    for (let i = 0; i < 3; i++) expect((await request(b.url, { method: 'GET', path: '/api/me', token: bob })).status).toBe(200);
    expect((await request(a.url, { method: 'PATCH', path: '/api/annotators/bob', token: admin, body: { disabled: true } })).status).toBe(200);
    // a lease is refused: by B's auth once the NOTIFY emptied its cache (401), by the store before that (403)
    const lease = await request(b.url, { method: 'POST', path: '/api/runs/r1/lease', token: bob, body: {} });
    expect([401, 403]).toContain(lease.status);
    expect((lease.json as { error: { code: string } }).error.code).toBe('E_AUTH');
    await expect.poll(async () => (await request(b.url, { method: 'GET', path: '/api/me', token: bob })).status, { timeout: 1000, interval: 20 }).toBe(401);
    await request(a.url, { method: 'PATCH', path: '/api/annotators/bob', token: admin, body: { disabled: false } });
    await expect.poll(async () => (await request(b.url, { method: 'GET', path: '/api/me', token: bob })).status, { timeout: 1000, interval: 20 }).toBe(200);
  });

  it("an event appended through one replica reaches the other's SSE stream by NOTIFY", async () => {
    const [a, b] = servers as [Server, Server];
    const ac = new AbortController();
    const res = await fetch(new URL('/api/runs/r1/events', b.url), { headers: { authorization: `Bearer ${admin}` }, signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const seen = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
        if (text.includes('"from-a"')) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    expect((await request(a.url, { method: 'POST', path: '/api/runs/r1/events', token: admin, body: { type: 'from-a', data: { x: 1 } } })).status).toBe(201);
    await seen;
    expect(Date.now() - t0).toBeLessThan(2000); // the safety re-check is 60 s away: this was the notification
    ac.abort();
  });
});
