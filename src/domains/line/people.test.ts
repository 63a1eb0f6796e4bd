/**
 * The line with people in the loop, through the one gatherer (src/loop/people/gatherer.ts) and an in-process store: a
 * scripted annotator leases the posted segment pairs and answers them; the run trains on exactly their answers (μ),
 * mixed mode lets the teacher answer what they leave open, and a human run resumed after stop-after ends exactly as an
 * uninterrupted one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { comparisonTarget, type Preference, type Query } from '../../feedback/types.js';
import type { JudgeMode, PeopleHooks } from '../../loop/parts.js';
import { HumanGatherer, resolveHumanJudgeConfig } from '../../loop/people/gatherer.js';
import { openStore } from '../../store/index.js';
import type { FeedbackStore } from '../../store/types.js';
import { resolveLineConfig } from './config.js';
import type { LineSegmentPayload } from './payload.js';
import { runLine } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'rlhf-line-people-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RUN = 'line-people';
/** 2 iterations of 10 episodes, 3 queries each */
const config = resolveLineConfig({ size: 6, episodes: 20, episodesPerIteration: 10, labelsPerIteration: 3, seed: 11 });

/** The driver's people hooks over one in-process store: the real gatherer, nothing published. */
function peopleOn(store: FeedbackStore, mode: JudgeMode, timeoutSeconds: number): () => PeopleHooks {
  const judge = resolveHumanJudgeConfig({ mode, labelsPerIteration: 3, timeoutSeconds, pollMs: 10 });
  return () => ({ mode, judge: (teacher, maker) => new HumanGatherer({ store, runId: RUN, maker, config: judge, teacher }), publish: async () => {}, close: async () => {} });
}

/** A contrarian person: prefers the segment that ends further LEFT (the teacher prefers progress to the right). */
function taste(q: Query): Preference {
  const [l, r] = q.samples.map((s) => s.payload as unknown as LineSegmentPayload);
  return l!.end < r!.end ? 'left' : l!.end > r!.end ? 'right' : 'tie';
}

/** Leases and answers the run's queries until stopped; `only` picks which of them the person answers at all. */
function person(store: FeedbackStore, only: (q: Query) => boolean = () => true) {
  let running = true;
  const loop = (async () => {
    while (running) {
      const lease = await store.leaseQuery(RUN, 'ada', 60_000);
      const q = lease?.query;
      if (!q || !only(q)) await new Promise((r) => setTimeout(r, 10));
      else await store.addJudgement({ queryId: q.id, annotator: 'ada', judgement: { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: taste(q) } }, { requireLease: true });
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

describe('rlhf run line with people in the loop', () => {
  let store: FeedbackStore;
  beforeEach(async () => {
    store = await openStore(':memory:');
    await store.createRun({ id: RUN, domain: 'line', status: 'running' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('--judge human: people see the segments, the reward is fit to exactly their answers', async () => {
    const stop = person(store);
    const res = await runLine(config, { quiet: true, people: peopleOn(store, 'human', 30) });
    await stop();
    const queries = await store.listQueries(RUN);
    expect(queries).toHaveLength(6);
    for (const q of queries) {
      expect(q.samples.map((s) => s.domain)).toEqual(['line', 'line']);
      const p = q.samples[0]!.payload as unknown as LineSegmentPayload;
      expect(p).toMatchObject({ size: 6, goal: 5 });
      expect(p.actions).toHaveLength(p.positions.length);
      const last = p.positions[p.positions.length - 1]!;
      expect(p.end).toBe(p.actions[p.actions.length - 1] === 'right' ? Math.min(5, last + 1) : Math.max(0, last - 1));
    }
    const judged = await store.listJudgements(RUN);
    expect(judged.map((j) => j.annotator)).toEqual(Array(6).fill('ada'));
    // μ the fit saw, in order = the person's answers (not the teacher's: this person prefers going left)
    const byId = new Map(judged.map((j) => [j.queryId, j.judgement.kind === 'comparison' ? comparisonTarget(j.judgement.preferred) : undefined]));
    expect(res.run.trainer.reward.state().mu).toEqual(queries.map((q) => byId.get(q.id)));
    expect(res.summary).toMatchObject({ labels: 6, teacher: 'human' });
    expect(res.metrics.map((m) => m['feedback/skipped'])).toEqual([0, 0]);
  });

  it('--judge mixed: the teacher answers what the person leaves open at the timeout', async () => {
    const stop = person(store, (q) => q.id.endsWith(':0')); // the person answers the first query of each iteration
    const res = await runLine(config, { quiet: true, people: peopleOn(store, 'mixed', 0.5) });
    await stop();
    const who = (await store.listJudgements(RUN)).map((j) => `${j.queryId.split(':').pop()}:${j.annotator}`).sort();
    expect(who).toEqual(['0:ada', '0:ada', '1:teacher:oracle', '1:teacher:oracle', '2:teacher:oracle', '2:teacher:oracle']);
    expect(res.run.trainer.numPairs).toBe(6); // the oracle never skips
    expect(res.summary).toMatchObject({ labels: 6, teacher: 'mixed(teacher:oracle)' });
  });

  it('a human run stopped after iteration 1 and resumed ends exactly as an uninterrupted one', async () => {
    const whole = join(tmp, 'whole');
    let stop = person(store);
    await runLine(config, { out: whole, quiet: true, report: false, people: peopleOn(store, 'human', 30) });
    await stop();
    const other = await openStore(':memory:');
    await other.createRun({ id: RUN, domain: 'line', status: 'running' });
    const part = join(tmp, 'part');
    stop = person(other);
    const first = await runLine(config, { out: part, quiet: true, report: false, stopAfter: 1, people: peopleOn(other, 'human', 30) });
    expect(first.stopped).toBe(true);
    await runLine(config, { out: part, resume: true, quiet: true, report: false, people: peopleOn(other, 'human', 30) });
    await stop();
    await other.close();
    expect(readFileSync(join(part, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(whole, 'metrics.jsonl'), 'utf8'));
  });

  it('the regression ("seed") preset asks no comparisons: people are a ConfigError', async () => {
    await expect(runLine(resolveLineConfig({ preset: 'seed', episodes: 2 }), { quiet: true, people: peopleOn(store, 'human', 1) })).rejects.toMatchObject({ code: 'E_CONFIG', key: 'judge' });
  });
});
