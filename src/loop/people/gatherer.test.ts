import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer as createNetServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { comparisonTarget, type Preference, type Query } from '../../feedback/types.js';
import { openStore } from '../../store/index.js';
import type { FeedbackStore } from '../../store/types.js';
import type { Gatherer, Label, QueryMaker } from '../parts.js';
import { HumanGatherer, combineJudgements, queryId, resolveHumanJudgeConfig } from './gatherer.js';
import { openHumanSession } from './session.js';

/** A toy batch: pair i's "true" answer is answers[i]. */
interface ToyBatch {
  answers: Preference[];
}

const toyMaker: QueryMaker<ToyBatch> = {
  size: (b) => b.answers.length,
  query: (_b, i, iteration, id) => ({
    id,
    runId: '',
    kind: 'comparison',
    iteration,
    samples: [
      { id: `${id}:L`, domain: 'toy', payload: { i, side: 'L' } },
      { id: `${id}:R`, domain: 'toy', payload: { i, side: 'R' } },
    ],
  }),
};

class ToyTeacher implements Gatherer<ToyBatch> {
  readonly name = 'oracle';
  calls = 0;
  gather(b: ToyBatch): Label[] {
    this.calls++;
    return b.answers.map((a) => comparisonTarget(a) ?? null);
  }
}

/** A person: leases queries of the run and answers them with `answer(query)`, up to `count` times. */
async function annotate(store: FeedbackStore, runId: string, who: string, count: number, answer: (q: Query) => Preference): Promise<number> {
  let done = 0;
  for (let tries = 0; done < count && tries < 200; tries++) {
    const lease = await store.leaseQuery(runId, who, 60_000);
    if (!lease) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const q = lease.query;
    await store.addJudgement({ queryId: q.id, annotator: who, judgement: { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: answer(q) } }, { requireLease: true });
    done++;
  }
  return done;
}

const answerOf = (b: ToyBatch) => (q: Query) => b.answers[(q.samples[0]!.payload as { i: number }).i]!;

describe('HumanGatherer', () => {
  let store: FeedbackStore;
  const runId = 'toy-run';
  beforeEach(async () => {
    store = await openStore(':memory:');
    await store.createRun({ id: runId, domain: 'toy', status: 'running' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('human: posts labelsPerIteration queries, waits for people, returns their answers as μ (rest null)', async () => {
    const batch: ToyBatch = { answers: ['left', 'right', 'tie', 'left', 'right'] };
    const config = resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 3, timeoutSeconds: 10, pollMs: 10 });
    const g = new HumanGatherer({ store, runId, maker: toyMaker, config });
    const pending = g.gather(batch, 1);
    const given = await annotate(store, runId, 'alice', 3, answerOf(batch));
    const labels = await pending;
    expect(given).toBe(3);
    expect(labels).toEqual([1, 0, 0.5, null, null]);
    expect(g.last).toMatchObject({ posted: 3, human: 3, teacher: 0, informative: 3, timedOut: false });
    const recs = await store.listJudgements(runId, { iteration: 1 });
    expect(recs.map((r) => r.annotator)).toEqual(['alice', 'alice', 'alice']);
    expect((await store.listQueries(runId, { iteration: 1 })).map((q) => q.id)).toEqual([0, 1, 2].map((i) => queryId(runId, 1, i)));
  });

  it('human: at the timeout, unanswered queries are skips and stay in the pool', async () => {
    const batch: ToyBatch = { answers: ['left', 'right', 'left'] };
    const config = resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 3, timeoutSeconds: 0.3, pollMs: 10 });
    const g = new HumanGatherer({ store, runId, maker: toyMaker, config });
    const pending = g.gather(batch, 1);
    await annotate(store, runId, 'alice', 1, answerOf(batch));
    const labels = await pending;
    expect(labels).toEqual([1, null, null]);
    expect(g.last?.timedOut).toBe(true);
    expect(await store.queueLength(runId, 'bob')).toBe(2);
  });

  it('mixed: the teacher answers what people left open, recorded as teacher:<name>', async () => {
    const batch: ToyBatch = { answers: ['right', 'left', 'tie', 'right'] };
    const teacher = new ToyTeacher();
    const config = resolveHumanJudgeConfig({ mode: 'mixed', labelsPerIteration: 4, timeoutSeconds: 0.3, pollMs: 10 });
    const g = new HumanGatherer({ store, runId, maker: toyMaker, config, teacher });
    const pending = g.gather(batch, 2);
    // the person disagrees with the teacher on purpose, so we can tell who answered which
    await annotate(store, runId, 'alice', 1, (q) => (answerOf(batch)(q) === 'left' ? 'right' : 'left'));
    const labels = await pending;
    expect(labels).toEqual([1, 1, 0.5, 0]);
    expect(teacher.calls).toBe(1);
    expect(g.last).toMatchObject({ human: 1, teacher: 3, timedOut: true });
    const who = (await store.listJudgements(runId, { iteration: 2 })).map((r) => `${r.queryId.split(':').pop()}:${r.annotator}`);
    expect(who.sort()).toEqual(['0:alice', '1:teacher:oracle', '2:teacher:oracle', '3:teacher:oracle']);
  });

  it('mixed: the teacher is not asked when people answer in time', async () => {
    const batch: ToyBatch = { answers: ['left', 'right'] };
    const teacher = new ToyTeacher();
    const g = new HumanGatherer({ store, runId, maker: toyMaker, config: resolveHumanJudgeConfig({ mode: 'mixed', labelsPerIteration: 2, timeoutSeconds: 10, pollMs: 10 }), teacher });
    const pending = g.gather(batch, 1);
    await annotate(store, runId, 'alice', 2, answerOf(batch));
    expect(await pending).toEqual([1, 0]);
    expect(teacher.calls).toBe(0);
  });

  it('simulated: the teacher labels the whole batch and its judgements of the posted queries are stored', async () => {
    const batch: ToyBatch = { answers: ['left', 'skip', 'right'] };
    const g = new HumanGatherer({ store, runId, maker: toyMaker, config: resolveHumanJudgeConfig({ mode: 'simulated', labelsPerIteration: 2 }), teacher: new ToyTeacher() });
    expect(await g.gather(batch, 1)).toEqual([1, null, 0]);
    const recs = await store.listJudgements(runId, { iteration: 1 });
    expect(recs.map((r) => [r.annotator, r.judgement.kind === 'comparison' ? r.judgement.preferred : ''])).toEqual([
      ['teacher:oracle', 'left'],
      ['teacher:oracle', 'skip'],
    ]);
  });

  it('a resumed iteration finds its queries posted and its judgements there', async () => {
    const batch: ToyBatch = { answers: ['left', 'right'] };
    const config = resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 2, timeoutSeconds: 5, pollMs: 10 });
    const first = new HumanGatherer({ store, runId, maker: toyMaker, config });
    const p = first.gather(batch, 1);
    await annotate(store, runId, 'alice', 2, answerOf(batch));
    await p;
    const again = new HumanGatherer({ store, runId, maker: toyMaker, config });
    expect(await again.gather(batch, 1)).toEqual([1, 0]);
    expect(again.last?.posted).toBe(0);
  });

  it("a maker with its own label type reads people's judgements and writes its teacher's (here: a class name per correction)", async () => {
    const classes = ['cat', 'dog', 'owl'];
    const maker: QueryMaker<ToyBatch, string | null> = {
      size: (b) => b.answers.length,
      query: (_b, i, iteration, id) => ({ id, runId: '', kind: 'correction', iteration, samples: [{ id: `${id}:s`, domain: 'toy', payload: { i } }] }),
      label: (records) => {
        const j = records[0]?.judgement;
        return j?.kind === 'correction' ? String(j.label) : null;
      },
      judgement: (q, label) => ({ kind: 'correction', sampleId: q.samples[0]!.id, label: label ?? '?' }),
    };
    const teacher: Gatherer<ToyBatch, string | null> = { name: 'namer', gather: (b) => b.answers.map((_, i) => classes[i % 3]!) };
    const config = resolveHumanJudgeConfig({ mode: 'mixed', labelsPerIteration: 3, timeoutSeconds: 0.3, pollMs: 10 });
    const g = new HumanGatherer({ store, runId, maker, config, teacher });
    const pending = g.gather({ answers: ['left', 'left', 'left', 'left'] }, 1);
    const lease = await (async () => {
      for (let i = 0; i < 100; i++) {
        const l = await store.leaseQuery(runId, 'alice', 60_000);
        if (l) return l;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('nothing to lease');
    })();
    await store.addJudgement({ queryId: lease.query.id, annotator: 'alice', judgement: { kind: 'correction', sampleId: lease.query.samples[0]!.id, label: 'emu' } }, { requireLease: true });
    expect(await pending).toEqual(['emu', 'dog', 'owl', null]); // query 3 was not posted (labelsPerIteration 3)
    const recs = await store.listJudgements(runId, { iteration: 1 });
    expect(recs.map((r) => [r.annotator, r.judgement.kind === 'correction' ? r.judgement.label : ''])).toEqual([
      ['alice', 'emu'],
      ['teacher:namer', 'dog'],
      ['teacher:namer', 'owl'],
    ]);
  });

  it('needs a teacher for mixed and simulated', () => {
    expect(() => new HumanGatherer({ store, runId, maker: toyMaker, config: resolveHumanJudgeConfig({ mode: 'mixed' }) })).toThrow(/needs a simulated teacher/);
  });
});

describe('combineJudgements', () => {
  const rec = (preferred: Preference, annotator = 'a') => ({ queryId: 'q', runId: 'r', annotator, createdAt: '', judgement: { kind: 'comparison' as const, leftId: 'l', rightId: 'r', preferred } });
  it('returns the mean μ of the non-skip judgements: a 2:1 vote for left is ⅔, not a rounded "left"', () => {
    expect(combineJudgements([rec('left'), rec('left', 'b'), rec('right', 'c')])).toBeCloseTo(2 / 3, 15);
    expect(combineJudgements([rec('left'), rec('right', 'b')])).toBe(0.5);
    expect(combineJudgements([rec('tie'), rec('right', 'b')])).toBe(0.25);
    expect(combineJudgements([rec('skip'), rec('right', 'b')])).toBe(0);
    expect(combineJudgements([rec('skip')])).toBeNull();
    expect(combineJudgements([])).toBeNull();
  });
  it('reads thumbs ratings as μ = value', () => {
    const rating = (value: number, annotator: string) => ({ queryId: 'q', runId: 'r', annotator, createdAt: '', judgement: { kind: 'rating' as const, sampleId: 's', value } });
    expect(combineJudgements([rating(1, 'a'), rating(0, 'b'), rating(1, 'c'), rating(1, 'd')])).toBe(0.75);
  });
});

describe('resolveHumanJudgeConfig', () => {
  it('names the flag of a bad value', () => {
    expect(() => resolveHumanJudgeConfig({ labelsPerIteration: 0 })).toThrow(ConfigError);
    expect(() => resolveHumanJudgeConfig({ labelsPerIteration: 0 })).toThrow(/--labels-per-iteration/);
    expect(() => resolveHumanJudgeConfig({ timeoutSeconds: -1 })).toThrow(/--judge-timeout/);
    expect(() => resolveHumanJudgeConfig({ mode: 'robot' as never })).toThrow(/--judge must be one of simulated, human, mixed/);
    expect(resolveHumanJudgeConfig()).toMatchObject({ mode: 'human', labelsPerIteration: 10, redundancy: 1 });
  });
});

describe('openHumanSession: a busy port', () => {
  it('the default port (no --port) falls back to a free one; a busy --port is attached to only if rlhfkit of this store serves it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-busy-'));
    // something that is not an rlhfkit server; it reads what it is sent (so a probe that hangs up is let go)
    const blocker: Server = createNetServer((socket) => socket.resume());
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const port = (blocker.address() as { port: number }).port;
    const lines: string[] = [];
    const setup = { config: resolveHumanJudgeConfig({ mode: 'human' }), port, annotator: 'labeler', staticDir: dir };
    const o = { out: dir, runId: 'busy', domain: 'gridworld', config: {}, log: (l: string) => void lines.push(l) };
    try {
      const own = await openHumanSession({ ...setup, portGiven: false }, o);
      expect(own.attached).toBe(false);
      expect(own.url).not.toContain(`:${port}`);
      expect(lines).toContain(`port ${port} is in use; using any free port`);
      await own.close();
      // something that is not an rlhfkit server of this store holds --port: an error on --port, no token printed
      // (attaching to one that is: test/server/attach.test.ts)
      lines.length = 0;
      await expect(openHumanSession({ ...setup, portGiven: true }, o)).rejects.toMatchObject({ key: 'port', message: expect.stringMatching(/not an rlhfkit server/) });
      expect(lines.join('\n')).not.toMatch(/token/);
    } finally {
      await new Promise<void>((ok) => blocker.close(() => ok()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
