/**
 * The feedback store contract: one suite, run against every available backend (SQLite always, PostgreSQL when
 * reachable — see backends.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RlhfError } from '../../src/core/errors.js';
import type { Judgement, Query } from '../../src/feedback/types.js';
import { LATEST_SCHEMA_VERSION, computeAgreement, hashToken } from '../../src/store/index.js';
import type { FeedbackStore } from '../../src/store/types.js';
import { postQueries, unansweredQueries, waitForJudgements } from '../../src/store/loopBridge.js';
import { availableBackends, testClock, type Backend, type TestClock } from './backends.js';
import { cmpQuery, prefer } from './queries.js';

const { backends, note } = await availableBackends();
if (note) console.warn(`[store contract] ${note}; running SQLite only`);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RlhfError);
    return (e as RlhfError).code;
  }
  throw new Error('expected the promise to reject');
}

describe.each(backends)('FeedbackStore contract: $name', (backend: Backend) => {
  afterAll(() => backend.cleanup());

  async function fresh(clock?: TestClock): Promise<FeedbackStore> {
    return backend.open(backend.freshLocation(), clock);
  }

  async function withRun(clock?: TestClock, queries: Query[] = []): Promise<FeedbackStore> {
    const s = await fresh(clock);
    await s.createRun({ id: 'r1', domain: 'gridworld', config: { grid: 5 } });
    if (queries.length > 0) await s.addQueries('r1', queries);
    return s;
  }

  it('migrates to the latest schema once, and reopening keeps the data', async () => {
    const loc = backend.freshLocation();
    const s = await backend.open(loc);
    expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await s.createRun({ id: 'keep', domain: 'gridworld' });
    await s.close();
    const again = await backend.open(loc);
    expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect((await again.getRun('keep'))?.domain).toBe('gridworld');
    await again.close();
  });

  it('creates, lists and updates runs; a status change is an event', async () => {
    const clock = testClock();
    const s = await fresh(clock);
    const r = await s.createRun({ id: 'a', domain: 'gridworld', config: { grid: 5 } });
    expect(r).toMatchObject({ id: 'a', domain: 'gridworld', status: 'created', config: { grid: 5 } });
    clock.advance(1000);
    await s.createRun({ id: 'b', domain: 'text', status: 'running' });
    expect((await s.listRuns()).map((x) => x.id)).toEqual(['b', 'a']);
    expect(await codeOf(s.createRun({ id: 'a', domain: 'gridworld' }))).toBe('E_CONFLICT');
    expect(await codeOf(s.createRun({ id: 'bad id', domain: 'gridworld' }))).toBe('E_FEEDBACK');
    const up = await s.updateRun('a', { status: 'running' });
    expect(up.status).toBe('running');
    expect(await codeOf(s.updateRun('nope', { status: 'done' }))).toBe('E_NOT_FOUND');
    const ev = await s.listEvents('a');
    expect(ev.map((e) => [e.type, e.data])).toEqual([['status', { status: 'running', previous: 'created' }]]);
    expect(await s.getRun('nope')).toBeUndefined();
    await s.close();
  });

  it('stores annotators by token hash only', async () => {
    const s = await fresh();
    const a = await s.createAnnotator({ name: 'ann', role: 'annotator', tokenHash: hashToken('t1') });
    expect(a).toMatchObject({ name: 'ann', role: 'annotator' });
    expect((await s.findAnnotatorByTokenHash(hashToken('t1')))?.name).toBe('ann');
    expect(await s.findAnnotatorByTokenHash(hashToken('t2'))).toBeUndefined();
    expect(await codeOf(s.createAnnotator({ name: 'ann', role: 'admin', tokenHash: hashToken('t3') }))).toBe('E_CONFLICT');
    expect(await codeOf(s.createAnnotator({ name: 'teacher:x', role: 'annotator', tokenHash: hashToken('t4') }))).toBe('E_FEEDBACK');
    await s.setAnnotatorToken('ann', hashToken('t5'));
    expect(await s.findAnnotatorByTokenHash(hashToken('t1'))).toBeUndefined();
    expect((await s.findAnnotatorByTokenHash(hashToken('t5')))?.name).toBe('ann');
    await s.createAnnotator({ name: 'boss', role: 'admin', tokenHash: hashToken('t6') });
    expect((await s.listAnnotators()).map((x) => `${x.name}:${x.role}`)).toEqual(['ann:annotator', 'boss:admin']);
    await s.close();
  });

  it('adds query batches all or nothing', async () => {
    const s = await withRun();
    expect(await s.addQueries('r1', [cmpQuery('q1'), cmpQuery('q2', 1)])).toBe(2);
    const bad = { ...cmpQuery('q3'), samples: [cmpQuery('q3').samples[0]!] };
    await expect(s.addQueries('r1', [cmpQuery('q4'), bad as Query])).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'queries.1.samples' });
    expect(await codeOf(s.addQueries('r1', [cmpQuery('q5'), cmpQuery('q1')]))).toBe('E_CONFLICT');
    expect(await codeOf(s.addQueries('nope', [cmpQuery('q6', 0, 'nope')]))).toBe('E_NOT_FOUND');
    expect((await s.listQueries('r1')).map((q) => q.id)).toEqual(['q1', 'q2']);
    const q1 = await s.getQuery('q1');
    expect(q1).toMatchObject({ id: 'q1', runId: 'r1', kind: 'comparison', status: 'pending', wanted: 1, judged: 0 });
    expect(q1?.samples[1]?.payload).toEqual({ path: [0, 5, 10] });
    expect((await s.listEvents('r1')).filter((e) => e.type === 'queries').map((e) => e.data)).toEqual([{ added: 2, iteration: 0 }]);
    await s.close();
  });

  it('leases in (iteration, insertion) order, one annotator at a time, and expired leases return to the pool', async () => {
    const clock = testClock();
    const s = await withRun(clock, [cmpQuery('late', 1), cmpQuery('first', 0), cmpQuery('second', 0)]);
    const a1 = await s.leaseQuery('r1', 'alice', 60_000);
    expect(a1?.query.id).toBe('first');
    expect(a1?.expiresAt).toBe(new Date(clock.now + 60_000).toISOString());
    // asking again returns the same lease (a page reload)
    expect((await s.leaseQuery('r1', 'alice', 60_000))?.query.id).toBe('first');
    expect((await s.leaseQuery('r1', 'bob', 60_000))?.query.id).toBe('second');
    expect((await s.leaseQuery('r1', 'carol', 60_000))?.query.id).toBe('late');
    expect(await s.leaseQuery('r1', 'dave', 60_000)).toBeUndefined();
    expect(await s.activeLeases('r1', 'alice')).toBe(1);
    expect((await s.getQuery('first'))).toMatchObject({ status: 'leased', leasedTo: 'alice' });
    expect((await s.listQueries('r1', { status: 'leased' })).length).toBe(3);
    // expiry: dave gets alice's query; alice can no longer submit it
    clock.advance(60_001);
    expect((await s.getQuery('first'))?.status).toBe('pending');
    expect((await s.leaseQuery('r1', 'dave', 60_000))?.query.id).toBe('first');
    const q = cmpQuery('first');
    expect(await codeOf(s.addJudgement({ queryId: 'first', annotator: 'alice', judgement: prefer(q, 'left') }, { requireLease: true }))).toBe(
      'E_AUTH',
    );
    // bob's lease expired too but nobody took it: bob may still submit
    const r = await s.addJudgement({ queryId: 'second', annotator: 'bob', judgement: prefer(cmpQuery('second'), 'right') }, { requireLease: true });
    expect(r.created).toBe(true);
    expect(await codeOf(s.leaseQuery('nope', 'x', 1000))).toBe('E_NOT_FOUND');
    // release
    expect(await s.releaseLease('first', 'alice')).toBe(false);
    expect(await s.releaseLease('first', 'dave')).toBe(true);
    expect((await s.getQuery('first'))?.status).toBe('pending');
    await s.close();
  });

  it('judgements are idempotent on (query, annotator), checked against the query, and end the lease', async () => {
    const clock = testClock();
    const q = cmpQuery('q1');
    const s = await withRun(clock, [q, cmpQuery('q2')]);
    await s.leaseQuery('r1', 'alice', 60_000);
    const first = await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q, 'left') }, { requireLease: true });
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ queryId: 'q1', runId: 'r1', annotator: 'alice', judgement: prefer(q, 'left') });
    clock.advance(5000);
    // same content, keys in another order: the stored record comes back
    const j = prefer(q, 'left');
    const reordered = { preferred: j.kind === 'comparison' ? j.preferred : 'left', rightId: q.samples[1]!.id, leftId: q.samples[0]!.id, kind: 'comparison' };
    const again = await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: reordered as Judgement }, { requireLease: true });
    expect(again.created).toBe(false);
    expect(again.record.createdAt).toBe(first.record.createdAt);
    expect(await codeOf(s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q, 'right') }))).toBe('E_CONFLICT');
    expect(await codeOf(s.addJudgement({ queryId: 'q2', annotator: 'bob', judgement: prefer(q, 'right') }))).toBe('E_FEEDBACK');
    expect(await codeOf(s.addJudgement({ queryId: 'zz', annotator: 'bob', judgement: prefer(q, 'right') }))).toBe('E_NOT_FOUND');
    expect(await codeOf(s.addJudgement({ queryId: 'q2', annotator: 'bob', judgement: prefer(cmpQuery('q2'), 'right') }, { requireLease: true }))).toBe(
      'E_AUTH',
    );
    // teachers write without a lease
    await s.addJudgement({ queryId: 'q2', annotator: 'teacher:oracle', judgement: prefer(cmpQuery('q2'), 'tie') });
    expect(await s.getQuery('q1')).toMatchObject({ status: 'done', judged: 1 });
    expect(await s.countJudgements('r1')).toBe(2);
    expect(await s.countJudgements('r1', { annotator: 'alice' })).toBe(1);
    expect(await s.countJudgements(undefined, { annotator: 'alice' })).toBe(1);
    expect((await s.listJudgements('r1')).map((r) => r.annotator)).toEqual(['alice', 'teacher:oracle']);
    expect((await s.listJudgements('r1', { order: 'desc', limit: 1 })).map((r) => r.annotator)).toEqual(['teacher:oracle']);
    expect(await s.leaseQuery('r1', 'carol', 1000)).toBeUndefined();
    await s.close();
  });

  it('a bad client value is E_FEEDBACK naming its field (createdAt, import records too)', async () => {
    const q = cmpQuery('q1');
    const s = await withRun(undefined, [q]);
    const bad = { queryId: 'q1', annotator: 'alice', judgement: prefer(q, 'left'), createdAt: 'yesterday' };
    await expect(s.addJudgement(bad)).rejects.toMatchObject({ code: 'E_FEEDBACK', field: 'createdAt' });
    await expect(s.importBatch({ runs: [], queries: [], judgements: [{ ...bad, runId: 'r1' }] })).rejects.toMatchObject({
      code: 'E_FEEDBACK',
      field: 'judgements.0.createdAt',
    });
    expect(await s.countJudgements('r1')).toBe(0);
    const ok = await s.addJudgement({ ...bad, createdAt: '2024-05-01T12:00:00Z' });
    expect(ok.record.createdAt).toBe('2024-05-01T12:00:00.000Z');
    await s.close();
  });

  it('counts judgements of every run by iteration, and names the first duplicate of a query batch', async () => {
    const s = await withRun(undefined, [cmpQuery('q1', 0), cmpQuery('q2', 1)]);
    await s.createRun({ id: 'r2', domain: 'gridworld' });
    await s.addQueries('r2', [cmpQuery('x1', 1, 'r2')]);
    await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(cmpQuery('q1'), 'left') });
    await s.addJudgement({ queryId: 'q2', annotator: 'alice', judgement: prefer(cmpQuery('q2'), 'left') });
    await s.addJudgement({ queryId: 'x1', annotator: 'alice', judgement: prefer(cmpQuery('x1'), 'left') });
    expect(await s.countJudgements(undefined)).toBe(3);
    expect(await s.countJudgements(undefined, { iteration: 1 })).toBe(2);
    expect(await s.countJudgements(undefined, { iteration: 1, annotator: 'alice' })).toBe(2);
    expect(await s.countJudgements(undefined, { iteration: 0, annotator: 'bob' })).toBe(0);
    const batch = [cmpQuery('n1'), cmpQuery('n2'), cmpQuery('q2'), cmpQuery('n3'), cmpQuery('q1')];
    await expect(s.addQueries('r1', batch)).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringMatching(/^queries\.2\.id: query "q2"/) });
    expect(await s.getQuery('n1')).toBeUndefined();
    await s.close();
  });

  it('redundancy hands a query to several different annotators, one at a time', async () => {
    const s = await withRun();
    await s.addQueries('r1', [cmpQuery('m1')], { redundancy: 2 });
    const q = cmpQuery('m1');
    expect((await s.leaseQuery('r1', 'alice', 60_000))?.query.id).toBe('m1');
    expect(await s.leaseQuery('r1', 'bob', 60_000)).toBeUndefined();
    await s.addJudgement({ queryId: 'm1', annotator: 'alice', judgement: prefer(q, 'left') }, { requireLease: true });
    expect(await s.leaseQuery('r1', 'alice', 60_000)).toBeUndefined();
    expect(await s.queueLength('r1', 'alice')).toBe(0);
    expect(await s.queueLength('r1', 'bob')).toBe(1);
    expect((await s.leaseQuery('r1', 'bob', 60_000))?.query.id).toBe('m1');
    await s.addJudgement({ queryId: 'm1', annotator: 'bob', judgement: prefer(q, 'right') }, { requireLease: true });
    expect(await s.getQuery('m1')).toMatchObject({ status: 'done', judged: 2, wanted: 2 });
    const ag = computeAgreement('r1', await s.listJudgements('r1'));
    expect(ag).toMatchObject({ queries: 1, pairs: 1, agreed: 0, rate: 0 });
    await s.close();
  });

  it('undo deletes the own judgement and leases the query again', async () => {
    const s = await withRun(undefined, [cmpQuery('q1')]);
    const q = cmpQuery('q1');
    await s.leaseQuery('r1', 'alice', 60_000);
    await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q, 'left') }, { requireLease: true });
    expect(await codeOf(s.retractJudgement('q1', 'bob', 60_000))).toBe('E_NOT_FOUND');
    const lease = await s.retractJudgement('q1', 'alice', 60_000);
    expect(lease.query.id).toBe('q1');
    expect(await s.getQuery('q1')).toMatchObject({ status: 'leased', leasedTo: 'alice', judged: 0 });
    const changed = await s.addJudgement({ queryId: 'q1', annotator: 'alice', judgement: prefer(q, 'right') }, { requireLease: true });
    expect(changed.created).toBe(true);
    expect((await s.listJudgements('r1')).map((r) => (r.judgement.kind === 'comparison' ? r.judgement.preferred : ''))).toEqual(['right']);
    await s.close();
  });

  it('reports run stats', async () => {
    const clock = testClock();
    const s = await withRun(clock, [cmpQuery('q1', 0), cmpQuery('q2', 1), cmpQuery('q3', 1)]);
    await s.addJudgement({ queryId: 'q1', annotator: 'teacher:oracle', judgement: prefer(cmpQuery('q1'), 'left') });
    await s.addJudgement({ queryId: 'q2', annotator: 'bob', judgement: prefer(cmpQuery('q2'), 'skip') });
    await s.leaseQuery('r1', 'alice', 60_000);
    const st = await s.runStats('r1');
    expect(st.queries).toEqual({ total: 3, pending: 0, leased: 1, done: 2 });
    expect(st.judgements.total).toBe(2);
    expect(st.judgements.byAnnotator).toEqual([
      { annotator: 'bob', count: 1 },
      { annotator: 'teacher:oracle', count: 1 },
    ]);
    expect(st.judgements.byIteration).toEqual([
      { iteration: 0, count: 1 },
      { iteration: 1, count: 1 },
    ]);
    expect(st.judgements.byPreference).toEqual({ left: 1, right: 0, tie: 0, skip: 1 });
    expect(st.lastJudgementAt).toBe(new Date(clock.now).toISOString());
    expect(await codeOf(s.runStats('nope'))).toBe('E_NOT_FOUND');
    await s.close();
  });

  it('appends and lists metric events after a sequence number', async () => {
    const s = await withRun();
    const e1 = await s.appendEvent('r1', { type: 'metrics', iteration: 0, data: { 'reward/loss': 0.5 } });
    const e2 = await s.appendEvent('r1', { type: 'metrics', iteration: 1, data: { 'reward/loss': 0.25 } });
    expect(e2.seq).toBeGreaterThan(e1.seq);
    expect((await s.listEvents('r1', { after: e1.seq })).map((e) => e.data)).toEqual([{ 'reward/loss': 0.25 }]);
    expect(await codeOf(s.appendEvent('nope', { type: 'metrics', data: {} }))).toBe('E_NOT_FOUND');
    expect(await codeOf(s.appendEvent('r1', { type: 'bad type!', data: {} }))).toBe('E_FEEDBACK');
    await s.close();
  });

  it('10 annotators × 20 concurrent lease+judge cycles: every query judged exactly once', async () => {
    const s = await withRun();
    const queries = Array.from({ length: 200 }, (_, i) => cmpQuery(`c${i}`, i % 3));
    await s.addQueries('r1', queries);
    const byId = new Map(queries.map((q) => [q.id, q]));
    const got: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, a) => {
        for (let k = 0; k < 20; k++) {
          const lease = await s.leaseQuery('r1', `ann${a}`, 60_000);
          expect(lease).toBeDefined();
          const q = byId.get(lease!.query.id)!;
          const r = await s.addJudgement({ queryId: q.id, annotator: `ann${a}`, judgement: prefer(q, 'left') }, { requireLease: true });
          expect(r.created).toBe(true);
          got.push(q.id);
        }
      }),
    );
    expect(new Set(got).size).toBe(200);
    expect(await s.countJudgements('r1')).toBe(200);
    expect((await s.listQueries('r1', { status: 'done' })).length).toBe(200);
    await s.close();
  });

  it('imports all or nothing; re-importing the same rows skips them', async () => {
    const s = await fresh();
    const q = cmpQuery('i1', 0, 'imp');
    const rec = { queryId: 'i1', runId: 'imp', annotator: 'alice', judgement: prefer(q, 'left'), createdAt: '2024-05-01T00:00:00.000Z' };
    const batch = { runs: [{ id: 'imp', domain: 'gridworld' }], queries: [{ query: q, wanted: 1 }], judgements: [rec] };
    expect(await s.importBatch(batch)).toEqual({ runs: 1, queries: 1, judgements: 1, skipped: 0 });
    expect(await s.importBatch(batch)).toEqual({ runs: 0, queries: 0, judgements: 0, skipped: 3 });
    expect((await s.listJudgements('imp'))[0]?.createdAt).toBe('2024-05-01T00:00:00.000Z');
    const q2 = cmpQuery('i2', 0, 'imp');
    const conflicting = {
      runs: [],
      queries: [{ query: q2, wanted: 1 }],
      judgements: [{ ...rec, queryId: 'i2', judgement: prefer(q2, 'left') }, { ...rec, judgement: prefer(q, 'right') }],
    };
    expect(await codeOf(s.importBatch(conflicting))).toBe('E_CONFLICT');
    expect(await s.getQuery('i2')).toBeUndefined();
    expect(await s.countJudgements('imp')).toBe(1);
    await s.close();
  });

  it('writes issued together are each all or nothing: a failing one leaves the others', async () => {
    const s = await withRun(undefined, [cmpQuery('q1'), cmpQuery('q2')]);
    const q3 = cmpQuery('q3');
    const failing = {
      runs: [],
      queries: [{ query: q3, wanted: 1 }],
      judgements: [
        { queryId: 'q3', runId: 'r1', annotator: 'alice', judgement: prefer(q3, 'left'), createdAt: '2024-05-01T00:00:00.000Z' },
        { queryId: 'q1', runId: 'other', annotator: 'alice', judgement: prefer(cmpQuery('q1'), 'left'), createdAt: '2024-05-01T00:00:00.000Z' },
      ],
    };
    // same turn of the event loop: SQLite commits these in one transaction, one savepoint each
    const [a, b, c] = await Promise.allSettled([
      s.addJudgement({ queryId: 'q1', annotator: 'bob', judgement: prefer(cmpQuery('q1'), 'left') }),
      s.importBatch(failing),
      s.addJudgement({ queryId: 'q2', annotator: 'bob', judgement: prefer(cmpQuery('q2'), 'right') }),
    ]);
    expect([a.status, b.status, c.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(b.status === 'rejected' && (b.reason as RlhfError).code).toBe('E_CONFLICT');
    expect(await s.getQuery('q3')).toBeUndefined();
    expect((await s.listJudgements('r1')).map((j) => `${j.queryId}:${j.annotator}`)).toEqual(['q1:bob', 'q2:bob']);
    expect(await s.getQuery('q1')).toMatchObject({ judged: 1 });
    await s.close();
  });

  it('the loop bridge posts queries, waits for judgements and lists the unanswered', async () => {
    const s = await withRun();
    await postQueries(s, 'r1', [cmpQuery('b1', 2), cmpQuery('b2', 2), cmpQuery('b3', 2)]);
    const waiting = waitForJudgements(s, 'r1', 2, 2, 10_000, { pollMs: 10 });
    for (const id of ['b1', 'b2']) {
      const lease = await s.leaseQuery('r1', 'alice', 60_000);
      expect(lease?.query.id).toBe(id);
      await s.addJudgement({ queryId: id, annotator: 'alice', judgement: prefer(cmpQuery(id), 'left') }, { requireLease: true });
    }
    const r = await waiting;
    expect(r.timedOut).toBe(false);
    expect(r.judgements.map((j) => j.queryId)).toEqual(['b1', 'b2']);
    expect((await unansweredQueries(s, 'r1', 2)).map((q) => q.id)).toEqual(['b3']);
    const t = await waitForJudgements(s, 'r1', 2, 5, 50, { pollMs: 10 });
    expect(t.timedOut).toBe(true);
    expect((await s.getRun('r1'))?.status).toBe('running');
    const types = (await s.listEvents('r1')).map((e) => e.type);
    expect(types.filter((x) => x === 'judgements').length).toBe(2);
    expect(types).toContain('status');
    await s.close();
  });
});
