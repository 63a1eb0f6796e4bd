/**
 * The adder with people in the loop, through the one gatherer (src/loop/people/gatherer.ts) and an in-process store:
 * three scripted annotators judge every posted pair of answers (redundancy 3) and the fit sees the mean of their votes
 * (μ = ⅔ for a 2:1 vote) — also after a resume; in mixed mode, with no one answering, the teacher answers everything
 * and the run is the simulated run to the byte.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Preference, Query } from '../../feedback/types.js';
import type { JudgeMode, PeopleHooks } from '../../loop/parts.js';
import { HumanGatherer, resolveHumanJudgeConfig } from '../../loop/people/gatherer.js';
import { openStore } from '../../store/index.js';
import type { FeedbackStore } from '../../store/types.js';
import { resolveAdderConfig } from './config.js';
import type { AdderAnswerPayload } from './payload.js';
import { runAdder } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'rlhf-adder-people-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = resolveAdderConfig({ epochs: 3, labelsPerIteration: 4, evalPairs: 40, seed: 2 });
const runId = (name: string) => `adder-${name}`;

/** An in-process store with the run, and the driver's people hooks over it (the real gatherer, nothing published). */
async function setting(name: string, mode: JudgeMode, o: { redundancy?: number; timeoutSeconds?: number } = {}) {
  const store = await openStore(':memory:');
  await store.createRun({ id: runId(name), domain: 'adder', status: 'running' });
  const judge = resolveHumanJudgeConfig({ mode, labelsPerIteration: 4, redundancy: o.redundancy ?? 1, timeoutSeconds: o.timeoutSeconds ?? 30, pollMs: 10 });
  const people = (): PeopleHooks => ({ mode, judge: (teacher, maker) => new HumanGatherer({ store, runId: runId(name), maker, config: judge, teacher }), publish: async () => {}, close: async () => {} });
  return { store, people };
}

/** |a + b − x| of a sample's answer */
const miss = (q: Query, side: 0 | 1) => {
  const p = q.samples[side]!.payload as unknown as AdderAnswerPayload;
  return Math.abs(p.a + p.b - p.x);
};

/** Annotators who vote on everything they can lease: `honest` ones prefer the closer answer, the others the farther. */
function crowd(store: FeedbackStore, run: string, voters: Array<{ name: string; honest: boolean }>) {
  let on = true;
  const vote = (q: Query, honest: boolean): Preference => ((miss(q, 0) < miss(q, 1)) === honest ? 'left' : 'right');
  const loops = voters.map(async ({ name, honest }) => {
    for (; on; await new Promise((r) => setTimeout(r, 5))) {
      const q = (await store.leaseQuery(run, name, 60_000))?.query;
      if (q) await store.addJudgement({ queryId: q.id, annotator: name, judgement: { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: vote(q, honest) } }, { requireLease: true });
    }
  });
  return async () => {
    on = false;
    await Promise.all(loops);
  };
}

const VOTERS = [
  { name: 'ada', honest: true },
  { name: 'cy', honest: true },
  { name: 'bob', honest: false },
];

describe('rlhf run adder with people in the loop', () => {
  it('--judge human, 3 annotators per pair: the fit sees the mean vote (μ = ⅔ or ⅓), and a resumed run ends the same', async () => {
    const whole = await setting('whole', 'human', { redundancy: 3 });
    let stop = crowd(whole.store, runId('whole'), VOTERS);
    const res = await runAdder(config, { out: join(tmp, 'whole'), quiet: true, report: false, people: whole.people });
    await stop();
    const queries = await whole.store.listQueries(runId('whole'));
    expect(queries).toHaveLength(12);
    expect((await whole.store.listJudgements(runId('whole'))).length).toBe(36);
    const p = queries[0]!.samples.map((s) => s.payload as unknown as AdderAnswerPayload);
    expect(p[0]!.a).toBe(p[1]!.a);
    expect(Number.isInteger(p[0]!.a) && Number.isInteger(p[0]!.b)).toBe(true);
    // μ of each pair = 2/3 when the left answer is the closer one (two honest votes of three), else 1/3
    const mu = Array.from(res.run.trainer.checkpoint().arrays['data.mu']!.data as Float32Array);
    expect(mu).toEqual(queries.map((q) => Math.fround(miss(q, 0) < miss(q, 1) ? 2 / 3 : 1 / 3)));
    expect(res.summary).toMatchObject({ labels: 12, teacher: 'human' });
    await whole.store.close();

    const part = await setting('part', 'human', { redundancy: 3 });
    stop = crowd(part.store, runId('part'), VOTERS);
    expect((await runAdder(config, { out: join(tmp, 'part'), quiet: true, report: false, stopAfter: 1, people: part.people })).stopped).toBe(true);
    await runAdder(config, { out: join(tmp, 'part'), resume: true, quiet: true, report: false, people: part.people });
    await stop();
    await part.store.close();
    expect(readFileSync(join(tmp, 'part', 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(tmp, 'whole', 'metrics.jsonl'), 'utf8'));
  });

  it('--judge mixed with no one answering: the teacher answers every pair, recorded as teacher:oracle — the simulated run exactly', async () => {
    const mixed = await setting('mixed', 'mixed', { timeoutSeconds: 0.2 });
    await runAdder(config, { out: join(tmp, 'mixed'), quiet: true, report: false, people: mixed.people });
    const who = new Set((await mixed.store.listJudgements(runId('mixed'))).map((j) => j.annotator));
    expect([...who]).toEqual(['teacher:oracle']);
    expect((await mixed.store.listQueries(runId('mixed'))).length).toBe(12);
    await mixed.store.close();
    await runAdder(config, { out: join(tmp, 'simulated'), quiet: true, report: false });
    expect(readFileSync(join(tmp, 'mixed', 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(tmp, 'simulated', 'metrics.jsonl'), 'utf8'));
  });
});
