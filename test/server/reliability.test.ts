/**
 * Fast reliability checks of the labeling server on SQLite (the full versions: `npm run bench -- server`):
 * concurrent annotators lose and duplicate nothing; hostile requests are all 4xx and change nothing; a server
 * killed with SIGKILL mid-load keeps every judgement it acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/app.js';
import { openStore } from '../../src/store/index.js';
import { generateToken, hashToken } from '../../src/store/tokens.js';
import type { FeedbackStore } from '../../src/store/types.js';
import { startServerChild } from './child.js';
import { hostileRequests, makeQueries, prepareHostile, rawHostile, request, runAnnotators, snapshot } from './kit.js';

const dir = mkdtempSync(join(tmpdir(), 'rlhf-reliab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store with run "load", `n` queries and `k` annotators with known tokens. */
async function seed(location: string, n: number, k: number): Promise<{ store: FeedbackStore; annotators: { name: string; token: string }[] }> {
  const store = await openStore(location);
  await store.createRun({ id: 'load', domain: 'gridworld', status: 'running' });
  await store.addQueries('load', makeQueries('load', n));
  const annotators = [];
  for (let i = 0; i < k; i++) {
    const token = generateToken();
    await store.createAnnotator({ name: `ann${i}`, role: 'annotator', tokenHash: hashToken(token) });
    annotators.push({ name: `ann${i}`, token });
  }
  return { store, annotators };
}

describe('labeling server reliability (fast)', () => {
  it('10 annotators × 20 judgements: 0 lost, 0 duplicated', async () => {
    const { store, annotators } = await seed(join(dir, 'a.sqlite'), 200, 10);
    const srv = await createServer({ store, staticDir: false });
    const load = await runAnnotators({ url: srv.url, runId: 'load', annotators, perAnnotator: 20 });
    expect(load.failures).toEqual([]);
    expect(load.acked).toHaveLength(200);
    const stored = await store.listJudgements('load', { limit: 10_000 });
    const keys = stored.map((j) => `${j.queryId} ${j.annotator}`);
    expect(new Set(keys).size).toBe(keys.length); // no duplicates
    expect(new Set(stored.map((j) => j.queryId)).size).toBe(200); // each query judged once
    expect([...keys].sort()).toEqual([...load.acked].sort()); // nothing lost, nothing extra
    await srv.close();
    await store.close();
  });

  it('150 hostile requests (every finding of issue 14 included): every one 4xx, the store unchanged, the server still serving', async () => {
    const { store, annotators } = await seed(join(dir, 'b.sqlite'), 10, 2);
    const srv = await createServer({ store, staticDir: false });
    const [victim, attacker] = annotators as [{ name: string; token: string }, { name: string; token: string }];
    // the victim judged one query and holds the lease of the next; a closed run, a reviewer, a disabled account
    const ctx = await prepareHostile(srv.url, 'load', srv.adminToken!, victim.token, attacker.token);
    const before = await snapshot(store, 'load', 'closed');
    const specs = hostileRequests(ctx, 150, 7);
    const results = await Promise.all(specs.map((s) => request(srv.url, s)));
    const bad = results.map((r, i) => [specs[i]!.label, specs[i]!.method, specs[i]!.path.slice(0, 60), r.status] as const).filter(([, , , s]) => s < 400 || s >= 500);
    expect(bad).toEqual([]);
    const noBody = results.map((r, i) => [specs[i]!.path, r.status, r.text.slice(0, 80)] as const).filter((_, i) => !(results[i]!.json as { error?: { code?: string } } | undefined)?.error?.code?.startsWith("E_"));
    expect(noBody).toEqual([]);
    // nothing the attacker could not see leaks (the victim's sample ids), every answer carries the CSP
    const leaks = results.filter((r, i) => specs[i]!.token === attacker.token && ctx.leasedSamples.some((id) => r.text.includes(id)));
    expect(leaks.map((r) => r.text.slice(0, 120))).toEqual([]);
    expect(results.filter((r) => !String(r.headers['content-security-policy']).includes("default-src 'self'"))).toEqual([]);
    expect(new Set(specs.map((sp) => sp.label)).size).toBeGreaterThanOrEqual(30);
    // raw-socket abuse: malformed request, huge headers, a body after an early 401 — answered and closed
    for (const kind of ['malformed', 'huge header', 'body after 401'] as const) {
      const r = await rawHostile(srv.url, kind, attacker.token, 5000);
      expect([kind, r.status >= 400 && r.status < 500, (r.body as { error?: { code?: string } } | undefined)?.error?.code]).toEqual([kind, true, kind === 'body after 401' ? 'E_AUTH' : 'E_REQUEST']);
      expect(r.closedAfterMs).not.toBeNull();
    }
    expect(await snapshot(store, 'load', 'closed')).toBe(before);
    // still serving: the victim finishes the leased query
    const j2 = { kind: 'comparison', leftId: ctx.leasedSamples[0], rightId: ctx.leasedSamples[1], preferred: 'right' };
    expect((await request(srv.url, { method: 'POST', path: `/api/queries/${ctx.leasedQueryId}/judgement`, token: victim.token, body: { judgement: j2 } })).status).toBe(201);
    await srv.close();
    await store.close();
  });

  it('SIGKILL of the server mid-load: every 2xx judgement is present after restart', async () => {
    const location = join(dir, 'c.sqlite');
    const seeded = await seed(location, 2000, 8);
    await seeded.store.close();
    const child = await startServerChild(location);
    let acked = 0;
    const loadDone = runAnnotators({
      url: child.url,
      runId: 'load',
      annotators: seeded.annotators,
      perAnnotator: 250,
      tolerateErrors: true,
      onAck: () => {
        acked++;
        if (acked === 150) child.proc.kill('SIGKILL');
      },
    });
    const load = await loadDone;
    expect(await child.exited).toBe('SIGKILL');
    expect(load.acked.length).toBeGreaterThanOrEqual(150);
    expect(load.acked.length).toBeLessThan(2000); // killed mid-stream

    // restart on the same store and check
    const again = await startServerChild(location);
    const store = await openStore(location);
    const present = new Set((await store.listJudgements('load', { limit: 10_000 })).map((j) => `${j.queryId} ${j.annotator}`));
    expect(load.acked.filter((k) => !present.has(k))).toEqual([]);
    // the restarted server serves the rest of the queue
    const more = await runAnnotators({ url: again.url, runId: 'load', annotators: seeded.annotators.slice(0, 2), perAnnotator: 5 });
    expect(more.failures).toEqual([]);
    expect(more.acked).toHaveLength(10);
    again.proc.kill('SIGKILL');
    await again.exited;
    await store.close();
  }, 60_000);
});
