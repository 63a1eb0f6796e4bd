/**
 * The store contract, second part: closed runs, limits on client values, roles, the audit trail, the store's id
 * and health, and event watching — on every available backend (SQLite always, PostgreSQL when reachable).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { RlhfError } from '../../src/core/errors.js';
import type { Judgement, Query } from '../../src/feedback/types.js';
import { MAX_JSON_DEPTH, TOO_DEEP, judgementFit, queryFit } from '../../src/store/common.js';
import { hashToken } from '../../src/store/index.js';
import { parsePgUrl } from '../../src/store/postgres.js';
import type { FeedbackStore } from '../../src/store/types.js';
import { availableBackends, testClock, type Backend, type TestClock } from './backends.js';
import { cmpQuery, prefer } from './queries.js';

const { backends, note } = await availableBackends();
if (note) console.warn(`[store review] ${note}; running SQLite only`);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RlhfError);
    return (e as RlhfError).code;
  }
  throw new Error('expected the promise to reject');
}

/** {"a":{"a":…}} nested `n` levels deep. */
function nested(n: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < n; i++) v = { a: v };
  return v;
}

/** The JSON text of nested(n), built without recursion (JSON.stringify overflows the stack long before 10,000). */
function nestedText(n: number): string {
  return `${'{"a":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}`;
}

/** Runs raw SQL on the store's database, behind the logic's back (rows as an older rlhfkit wrote them). */
async function rawSql(backend: Backend, location: string, sql: string, args: unknown[] = []): Promise<void> {
  if (backend.name === 'sqlite') {
    const db = new Database(location);
    db.prepare(sql).run(...args);
    db.close();
    return;
  }
  const { connectionString, schema } = parsePgUrl(location);
  const c = new pg.Client({ connectionString, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await c.connect();
  let n = 0;
  await c.query(sql.replace(/\?/g, () => `$${++n}`), args);
  await c.end();
}

describe.each(backends)('FeedbackStore review and limits: $name', (backend: Backend) => {
  afterAll(() => backend.cleanup());

  async function withRun(clock?: TestClock, queries: Query[] = [], location = backend.freshLocation()): Promise<FeedbackStore> {
    const s = await backend.open(location, clock);
    await s.createRun({ id: 'r1', domain: 'gridworld', status: 'running' });
    if (queries.length > 0) await s.addQueries('r1', queries);
    return s;
  }

  it('a done or failed run refuses people: no lease, no judgement, no undo; teachers and retries still answer', async () => {
    const q1 = cmpQuery('q1');
    const q2 = cmpQuery('q2');
    const q3 = cmpQuery('q3');
    const s = await withRun(undefined, [q1, q2, q3]);
    await s.leaseQuery('r1', 'alice', 60_000);
    await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q1, 'left') }, { requireLease: true });
    await s.leaseQuery('r1', 'alice', 60_000); // holds q2
    for (const status of ['done', 'failed'] as const) {
      await s.updateRun('r1', { status });
      expect(await codeOf(s.leaseQuery('r1', 'bob', 60_000))).toBe('E_CONFLICT');
      expect(await codeOf(s.addJudgement({ queryId: 'q2', annotator: 'alice', judgement: prefer(q2, 'right') }, { requireLease: true }))).toBe('E_CONFLICT');
      expect(await codeOf(s.retractJudgement('q1', 'alice', 60_000))).toBe('E_CONFLICT');
      // an identical retry changes nothing and says so
      const retry = await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q1, 'left') }, { requireLease: true });
      expect(retry.created).toBe(false);
    }
    await expect(s.addJudgement({ queryId: 'q2', annotator: 'alice', judgement: prefer(q2, 'right') }, { requireLease: true })).rejects.toThrow(/run "r1" is failed/);
    expect((await s.listJudgements('r1')).map((j) => [j.queryId, j.annotator, j.judgement])).toEqual([['q1', 'alice', prefer(q1, 'left')]]);
    expect(await s.listAudit()).toEqual([]);
    // the loop and its teachers are not people: they may still write (e.g. the last iteration's gaps)
    expect((await s.addJudgement({ queryId: 'q3', annotator: 'teacher:oracle', judgement: prefer(q3, 'tie') })).created).toBe(true);
    await s.close();
  });

  it('judging with nextLeaseMs leases the next query in the same transaction', async () => {
    const qs = [cmpQuery('q1'), cmpQuery('q2')];
    const s = await withRun(undefined, qs);
    await s.leaseQuery('r1', 'alice', 60_000);
    const r1 = await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(qs[0]!, 'left') }, { requireLease: true, nextLeaseMs: 60_000 });
    expect(r1.next?.query.id).toBe('q2');
    expect(await s.getQuery('q2')).toMatchObject({ status: 'leased', leasedTo: 'alice' });
    // a retry of the same judgement hands back the same next lease
    const again = await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(qs[0]!, 'left') }, { requireLease: true, nextLeaseMs: 60_000 });
    expect([again.created, again.next?.query.id]).toEqual([false, 'q2']);
    const r2 = await s.addJudgement({ queryId: 'q2', annotator: 'alice', judgement: prefer(qs[1]!, 'right') }, { requireLease: true, nextLeaseMs: 60_000 });
    expect(r2.next).toBeNull();
    expect(r1.next).not.toHaveProperty('query.status');
    await s.close();
  });

  it('someone without the lease learns nothing about the query from the error', async () => {
    const q = cmpQuery('secret');
    const s = await withRun(undefined, [q]);
    await s.leaseQuery('r1', 'alice', 60_000);
    const wrong: Judgement = { kind: 'rating', sampleId: 'x', value: 1 };
    for (const judgement of [wrong, prefer(cmpQuery('other'), 'left'), prefer(q, 'left')]) {
      const err = await s.addJudgement({ queryId: 'secret', annotator: 'mallory', judgement }, { requireLease: true }).catch((e: RlhfError) => e);
      expect(err).toMatchObject({ code: 'E_AUTH' });
      expect((err as Error).message).not.toMatch(/secret-a|secret-b|comparison/);
    }
    // the holder gets the precise message
    await expect(s.addJudgement({ queryId: 'secret', annotator: 'alice', judgement: wrong }, { requireLease: true })).rejects.toMatchObject({
      code: 'E_FEEDBACK',
      field: 'judgement.kind',
    });
    await s.close();
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels and iterations past 2^31 − 1, before writing`, async () => {
    const s = await withRun();
    const ok = nested(MAX_JSON_DEPTH);
    const deep = nested(MAX_JSON_DEPTH + 1);
    await s.createRun({ id: 'fine', domain: 'gridworld', config: ok });
    await expect(s.createRun({ id: 'deep', domain: 'gridworld', config: deep })).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'run.config' });
    await expect(s.updateRun('r1', { config: deep })).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'config' });
    await expect(s.appendEvent('r1', { type: 'metrics', data: { x: nested(100_000) } })).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'event.data' });
    await expect(s.appendEvent('r1', { type: 'metrics', iteration: 1e300, data: {} })).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'event.iteration' });
    const q = cmpQuery('q1');
    const deepQ: Query = { ...q, samples: [q.samples[0]!, { ...q.samples[1]!, payload: [deep] }] };
    await expect(s.addQueries('r1', [cmpQuery('q0'), deepQ])).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'queries.1.samples.1.payload' });
    await expect(s.addQueries('r1', [{ ...q, iteration: 2 ** 31 }])).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'queries.0.iteration' });
    await expect(s.importBatch({ runs: [], queries: [{ query: deepQ, wanted: 1 }], judgements: [] })).rejects.toMatchObject({ field: 'queries.0.samples.1.payload' });
    expect((await s.listRuns()).map((r) => r.id).sort()).toEqual(['fine', 'r1']);
    expect(await s.listQueries('r1')).toEqual([]);
    expect((await s.listEvents('r1')).map((e) => e.type)).toEqual([]);
    await s.close();
  });

  it('a row stored too deep by an older rlhfkit reads back as a placeholder, so listings keep working', async () => {
    const loc = backend.freshLocation();
    const s = await withRun(undefined, [cmpQuery('q1')], loc);
    await s.appendEvent('r1', { type: 'metrics', data: { a: 1 } });
    const deep = nestedText(10_000);
    await rawSql(backend, loc, 'UPDATE runs SET config = ? WHERE id = ?', [deep, 'r1']);
    await rawSql(backend, loc, 'UPDATE events SET data = ?', [deep]);
    const body = `{"samples":[${cmpQuery('q1').samples.map((x) => `{"id":"${x.id}","domain":"gridworld","payload":${deep}}`).join(',')}]}`;
    await rawSql(backend, loc, 'UPDATE queries SET body = ?', [body]);
    const runs = await s.listRuns();
    expect(runs[0]!.config).toEqual(TOO_DEEP);
    expect(() => JSON.stringify(runs)).not.toThrow();
    expect((await s.listEvents('r1'))[0]!.data).toEqual(TOO_DEEP);
    const q = (await s.listQueries('r1'))[0]!;
    expect(q.samples.map((x) => [x.id, x.payload])).toEqual([
      ['q1-a', TOO_DEEP],
      ['q1-b', TOO_DEEP],
    ]);
    await s.close();
  });

  it('fit keys agree with checkJudgementFitsQuery', async () => {
    const q = cmpQuery('q1');
    const rank: Query = { ...q, kind: 'ranking', samples: [...q.samples, { id: 'q1-c', domain: 'gridworld', payload: 0 }] };
    expect(judgementFit(prefer(q, 'skip'))).toBe(queryFit(q));
    expect(judgementFit({ kind: 'comparison', leftId: 'q1-b', rightId: 'q1-a', preferred: 'left' })).not.toBe(queryFit(q));
    expect(judgementFit({ kind: 'ranking', sampleIds: ['q1-c', 'q1-a', 'q1-b'] })).toBe(queryFit(rank));
    expect(judgementFit({ kind: 'ranking', sampleIds: ['q1-c', 'q1-a'] })).not.toBe(queryFit(rank));
    expect(judgementFit({ kind: 'rating', sampleId: 'q1-a', value: 1 })).toBe(queryFit({ kind: 'rating', samples: [q.samples[0]!] }));
    expect(judgementFit({ kind: 'correction', sampleId: 'q1-a', label: 3 })).not.toBe(queryFit({ kind: 'rating', samples: [q.samples[0]!] }));
  });

  it('a query stored before fit keys existed is still judged, and a misfit still names its field', async () => {
    const loc = backend.freshLocation();
    const q = cmpQuery('old');
    const s = await withRun(undefined, [q, cmpQuery('q2')], loc);
    await rawSql(backend, loc, 'UPDATE queries SET fit = NULL');
    await s.leaseQuery('r1', 'alice', 60_000);
    await expect(
      s.addJudgement({ queryId: 'old', annotator: 'alice', judgement: { kind: 'comparison', leftId: 'old-a', rightId: 'nope', preferred: 'left' } }, { requireLease: true }),
    ).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'judgement.rightId' });
    const r = await s.addJudgement({ queryId: 'old', annotator: 'alice', judgement: prefer(q, 'left') }, { requireLease: true, nextLeaseMs: 1000 });
    expect([r.created, r.next?.query.id]).toEqual([true, 'q2']);
    await s.close();
  });

  it('roles: reviewers exist; a disabled account is refused by token, loses its leases, keeps its labels', async () => {
    const qs = [cmpQuery('q1'), cmpQuery('q2')];
    const s = await withRun(undefined, qs);
    await s.createAnnotator({ name: 'rita', role: 'reviewer', tokenHash: hashToken('r') });
    await s.createAnnotator({ name: 'alice', role: 'annotator', tokenHash: hashToken('a') });
    expect(await codeOf(s.createAnnotator({ name: 'x', role: 'root' as never, tokenHash: hashToken('x') }))).toBe('E_FEEDBACK');
    expect((await s.findAnnotatorByTokenHash(hashToken('r')))?.role).toBe('reviewer');
    await s.leaseQuery('r1', 'alice', 60_000);
    await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(qs[0]!, 'left') }, { requireLease: true });
    await s.leaseQuery('r1', 'alice', 60_000); // holds q2
    const off = await s.setAnnotatorDisabled('alice', true, 'admin');
    expect(off.disabledAt).toEqual(expect.any(String));
    expect((await s.findAnnotatorByTokenHash(hashToken('a')))?.disabledAt).toBe(off.disabledAt);
    expect((await s.getQuery('q2'))?.status).toBe('pending'); // her lease went back to the pool
    expect(await codeOf(s.addJudgement({ queryId: 'q2', annotator: 'alice', judgement: prefer(qs[1]!, 'left') }, { requireLease: true }))).toBe('E_AUTH');
    // the store itself refuses a disabled account a lease (a server's cached token lookup cannot let one through)
    await expect(s.leaseQuery('r1', 'alice', 60_000)).rejects.toMatchObject({ code: 'E_AUTH', message: expect.stringMatching(/disabled/) });
    expect(await s.countJudgements('r1', { annotator: 'alice' })).toBe(1); // her labels stay
    expect((await s.setAnnotatorDisabled('alice', true, 'admin')).disabledAt).toBe(off.disabledAt); // already: no new row
    const on = await s.setAnnotatorDisabled('alice', false, 'admin');
    expect(on.disabledAt).toBeUndefined();
    expect((await s.findAnnotatorByTokenHash(hashToken('a')))?.disabledAt).toBeUndefined();
    expect((await s.listAudit({ annotator: 'alice' })).map((e) => [e.action, e.actor, e.data])).toEqual([
      ['disable', 'admin', { releasedLeases: 1 }],
      ['enable', 'admin', {}],
    ]);
    expect(await codeOf(s.setAnnotatorDisabled('nobody', true, 'admin'))).toBe('E_NOT_FOUND');
    await s.close();
  });

  it('the audit trail: an undo keeps the retracted judgement as a row; adjudications are rows too', async () => {
    const clock = testClock();
    const q = cmpQuery('q1');
    const s = await withRun(clock, [q, cmpQuery('q2', 3)]);
    await s.leaseQuery('r1', 'alice', 60_000);
    const first = await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q, 'left') }, { requireLease: true });
    clock.advance(1000);
    await s.retractJudgement('q1', 'alice', 60_000);
    await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q, 'right') }, { requireLease: true });
    await s.addJudgement({ queryId: 'q1', annotator: 'teacher:oracle', judgement: prefer(q, 'left') });
    const audit = await s.listAudit({ runId: 'r1' });
    expect(audit.map((e) => [e.action, e.actor, e.annotator, e.queryId, e.data])).toEqual([
      ['retract', 'alice', 'alice', 'q1', { judgement: prefer(q, 'left'), createdAt: first.record.createdAt, iteration: 0 }],
    ]);
    expect(audit[0]!.createdAt).toBe(new Date(clock.now).toISOString());
    // a reviewer adjudicates; a later decision supersedes, both stay
    const a1 = await s.adjudicate({ queryId: 'q1', reviewer: 'rita', judgement: prefer(q, 'left'), note: 'the path reaches the goal' });
    const a2 = await s.adjudicate({ queryId: 'q1', reviewer: 'rita', judgement: prefer(q, 'tie') });
    expect(a1).toMatchObject({ queryId: 'q1', runId: 'r1', iteration: 0, reviewer: 'rita', judgement: prefer(q, 'left'), note: 'the path reaches the goal' });
    expect(a2.seq).toBeGreaterThan(a1.seq);
    expect((await s.listAdjudications('r1')).map((a) => a.judgement)).toEqual([prefer(q, 'left'), prefer(q, 'tie')]);
    expect((await s.listAdjudications('r1', { queryId: 'q2' })).length).toBe(0);
    await expect(s.adjudicate({ queryId: 'q1', reviewer: 'rita', judgement: prefer(cmpQuery('q2'), 'left') })).rejects.toMatchObject({ code: 'E_FEEDBACK' });
    await expect(s.adjudicate({ queryId: 'q1', reviewer: 'rita', judgement: prefer(q, 'left'), note: 'x'.repeat(2001) })).rejects.toMatchObject({ field: 'note' });
    expect(await codeOf(s.adjudicate({ queryId: 'zz', reviewer: 'rita', judgement: prefer(q, 'left') }))).toBe('E_NOT_FOUND');
    expect((await s.listAudit({ action: 'adjudicate' })).length).toBe(2);
    // judgements themselves are untouched by a review
    expect((await s.listJudgements('r1')).map((j) => [j.annotator, j.judgement])).toEqual([
      ['alice', prefer(q, 'right')],
      ['teacher:oracle', prefer(q, 'left')],
    ]);
    await s.close();
  });

  it('has a random id that survives reopening, and reports itself writable', async () => {
    const loc = backend.freshLocation();
    const s = await backend.open(loc);
    const id = await s.storeId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await s.health()).toEqual({ writable: true });
    await s.close();
    const again = await backend.open(loc);
    expect(await again.storeId()).toBe(id);
    const other = await backend.open(backend.freshLocation());
    expect(await other.storeId()).not.toBe(id);
    await again.close();
    await other.close();
  });

  it('tells watchers about events appended here and by another process on the store, in seq order', async () => {
    const loc = backend.freshLocation();
    const s = await withRun(undefined, [], loc);
    const other = await backend.open(loc); // another connection: another replica or a loop in another process
    const heard: (string | undefined)[] = [];
    const stop = s.watchEvents((r) => heard.push(r));
    await new Promise((r) => setTimeout(r, 500)); // PostgreSQL: the LISTEN connection is up
    heard.length = 0;
    await s.appendEvent('r1', { type: 'metrics', data: { a: 1 } });
    await expect.poll(() => heard.includes('r1'), { timeout: 3000 }).toBe(true);
    heard.length = 0;
    await other.appendEvent('r1', { type: 'metrics', data: { a: 2 } });
    await expect.poll(() => heard.length > 0, { timeout: 3000 }).toBe(true);
    expect(heard.every((r) => r === 'r1' || r === undefined)).toBe(true);
    stop();
    // concurrent appenders: a reader that only ever asks for seq > last sees every event
    const seen = new Set<number>();
    let last = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        for (const e of await s.listEvents('r1', { after: last })) {
          seen.add(e.seq);
          last = e.seq;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? s : other).appendEvent('r1', { type: 'metrics', iteration: i, data: { i } })));
    reading = false;
    await reader;
    for (const e of await s.listEvents('r1', { after: last })) seen.add(e.seq);
    expect(seen.size).toBe((await s.listEvents('r1')).length);
    await other.close();
    await s.close();
  });
});
