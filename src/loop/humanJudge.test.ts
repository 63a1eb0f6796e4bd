import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer as createNetServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { Preference, Query } from '../feedback/types.js';
import { openStore } from '../store/index.js';
import type { FeedbackStore } from '../store/types.js';
import {
  HumanGatherer,
  combineJudgements,
  gridworldQueryMaker,
  openHumanSession,
  queryId,
  resolveHumanJudgeConfig,
  type QueryMaker,
  type TrajectoryPairBatch,
} from './humanJudge.js';
import type { Gatherer } from './orchestrator.js';

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
  gather(b: ToyBatch): Preference[] {
    this.calls++;
    return [...b.answers];
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

  it('human: posts labelsPerIteration queries, waits for people, returns their answers (rest skip)', async () => {
    const batch: ToyBatch = { answers: ['left', 'right', 'tie', 'left', 'right'] };
    const config = resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 3, timeoutSeconds: 10, pollMs: 10 });
    const g = new HumanGatherer({ store, runId, maker: toyMaker, config });
    const pending = g.gather(batch, 1);
    const given = await annotate(store, runId, 'alice', 3, answerOf(batch));
    const labels = await pending;
    expect(given).toBe(3);
    expect(labels).toEqual(['left', 'right', 'tie', 'skip', 'skip']);
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
    expect(labels).toEqual(['left', 'skip', 'skip']);
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
    expect(labels).toEqual(['left', 'left', 'tie', 'right']);
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
    expect(await pending).toEqual(['left', 'right']);
    expect(teacher.calls).toBe(0);
  });

  it('simulated: the teacher labels the whole batch and its judgements of the posted queries are stored', async () => {
    const batch: ToyBatch = { answers: ['left', 'skip', 'right'] };
    const g = new HumanGatherer({ store, runId, maker: toyMaker, config: resolveHumanJudgeConfig({ mode: 'simulated', labelsPerIteration: 2 }), teacher: new ToyTeacher() });
    expect(await g.gather(batch, 1)).toEqual(['left', 'skip', 'right']);
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
    expect(await again.gather(batch, 1)).toEqual(['left', 'right']);
    expect(again.last?.posted).toBe(0);
  });

  it('needs a teacher for mixed and simulated', () => {
    expect(() => new HumanGatherer({ store, runId, maker: toyMaker, config: resolveHumanJudgeConfig({ mode: 'mixed' }) })).toThrow(/needs a simulated teacher/);
  });
});

describe('combineJudgements', () => {
  const rec = (preferred: Preference, annotator = 'a') => ({ queryId: 'q', runId: 'r', annotator, createdAt: '', judgement: { kind: 'comparison' as const, leftId: 'l', rightId: 'r', preferred } });
  it('takes the mean target of the non-skip judgements', () => {
    expect(combineJudgements([rec('left'), rec('left', 'b'), rec('right', 'c')])).toBe('left');
    expect(combineJudgements([rec('left'), rec('right', 'b')])).toBe('tie');
    expect(combineJudgements([rec('tie'), rec('right', 'b')])).toBe('right');
    expect(combineJudgements([rec('skip'), rec('right', 'b')])).toBe('right');
    expect(combineJudgements([rec('skip')])).toBe('skip');
    expect(combineJudgements([])).toBe('skip');
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

describe('gridworldQueryMaker', () => {
  // 3×3 grid, horizon 3: states s = y·3 + x
  const batch: TrajectoryPairBatch = {
    left: { batch: 1, horizon: 3, states: Int32Array.from([0, 1, 2, 5]) }, // (0,0) → (1,0) → (2,0) → (2,1)
    right: { batch: 1, horizon: 3, states: Int32Array.from([0, 3, 6, 7]) }, // (0,0) → (0,1) → (0,2) → (1,2)
  };

  it('draws the judged states s₀..s_{H−1} as [row, col] = [y, x] cells', () => {
    const maker = gridworldQueryMaker({ size: 3, starts: [[0, 0]], goals: [[2, 2]] });
    const q = maker.query(batch, 0, 4, 'r:4:0');
    expect(q.kind).toBe('comparison');
    expect(q.iteration).toBe(4);
    expect(q.samples.map((s) => s.id)).toEqual(['r:4:0:L', 'r:4:0:R']);
    expect(q.samples[0]!.payload).toEqual({ rows: 3, cols: 3, cells: [[0, 0], [0, 1], [0, 2]], start: [0, 0], goals: [[2, 2]], originBottom: true });
    expect((q.samples[1]!.payload as { cells: number[][] }).cells).toEqual([[0, 0], [1, 0], [2, 0]]);
    expect(q.predicted).toBeUndefined();
  });

  it("shows the learned reward's P(left ≻ right) = sigmoid(R(left) − R(right))", () => {
    const r = [0, 0, 1, 0, 0, 0, 0.5, 0, 0]; // state 2 worth 1, state 6 worth 0.5
    const q = gridworldQueryMaker({ size: 3, starts: [[0, 0]], goals: [[2, 2]], learnedReward: () => r }).query(batch, 0, 1, 'x');
    expect(q.predicted).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 12);
  });
});

describe('openHumanSession: a busy port', () => {
  it('the default port (no --port) falls back to a free one; a busy --port is attached to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-busy-'));
    const blocker: Server = createNetServer();
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
      const attached = await openHumanSession({ ...setup, portGiven: true }, o);
      expect(attached.attached).toBe(true);
      expect(attached.url).toBe(`http://127.0.0.1:${port}`);
      await attached.close();
    } finally {
      await new Promise<void>((ok) => blocker.close(() => ok()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
