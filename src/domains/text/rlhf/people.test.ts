import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTensors } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import type { Preference, Query } from '../../../feedback/types.js';
import { resolveHumanJudgeConfig } from '../../../loop/people/gatherer.js';
import { peopleInTheLoop, type HumanJudgeSetup } from '../../../loop/people/session.js';
import { openStore } from '../../../store/index.js';
import type { FeedbackStore } from '../../../store/types.js';
import { Gpt2 } from '../../../models/gpt2/model.js';
import { resolveGpt2Config } from '../../../models/gpt2/config.js';
import { saveGpt2 } from '../../../models/load.js';
import { textConfigFromArgv } from './cli.js';
import { runText, textConfigJson } from './task.js';
import { textQueryMaker } from './queries.js';
import type { TextRlhfConfig } from './config.js';
import type { TextSamplePayload } from '../payload.js';

let tmp = '';
beforeAll(async () => {
  await initTensors();
  tmp = mkdtempSync(join(tmpdir(), 'rlhf-text-people-'));
  const m = Gpt2.random(resolveGpt2Config({ vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2, eos_token_id: 256, bos_token_id: 256 }), new Rng(1));
  saveGpt2(join(tmp, 'model'), m);
  m.dispose();
  writeFileSync(join(tmp, 'corpus.txt'), Array.from({ length: 300 }, (_, i) => `${i * 7919} is a good number for a happy day.`).join('\n%\n'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** As `rlhf run text --judge MODE --labels N --labels-per-iteration K` with a tiny model. */
const config = (judge: string, labels: number, perRound: number): TextRlhfConfig =>
  textConfigFromArgv([
    '--judge', judge, '--labels-per-iteration', String(perRound), '--model', join(tmp, 'model'), '--corpus', join(tmp, 'corpus.txt'), '--eval-prompts', '2', '--labels', String(labels),
    '--iterations', '1', '--batch-size', '4', '--mini-batch-size', '2', '--ppo-epochs', '1', '--response-length', '4', '--reward-epochs', '1', '--prompt-max-tokens', '4', '--train-prompts', '16',
  ]);
/** The driver's people hooks for a run, as `rlhf run text --judge MODE --port 0 --annotator bo` makes them. */
const people = (c: TextRlhfConfig, mode: 'human' | 'mixed', timeoutSeconds: number) => {
  const setup: HumanJudgeSetup = { config: resolveHumanJudgeConfig({ mode, timeoutSeconds, pollMs: 20, labelsPerIteration: c.feedbackBatch }), port: 0, portGiven: true, annotator: 'bo' };
  return peopleInTheLoop(setup, { domain: 'text', config: textConfigJson(c) });
};

describe('text with people in the loop', () => {
  it('the query maker shows prompt + each continuation, left and right', () => {
    const q = textQueryMaker.query({ pairs: [{ prompt: 'P', left: ' a', right: ' b' }] }, 0, 3, 'r:3:0');
    expect(q.kind).toBe('comparison');
    expect(q.iteration).toBe(3);
    expect(q.samples.map((s) => [s.id, s.domain, s.payload])).toEqual([
      ['r:3:0:L', 'text', { prompt: 'P', continuation: ' a' }],
      ['r:3:0:R', 'text', { prompt: 'P', continuation: ' b' }],
    ]);
  });

  it('human: people answer every pair of each round through the server; the answers are stored and train the reward model', async () => {
    const out = join(tmp, 'human');
    const lines: string[] = [];
    const err = console.error;
    console.error = (l: unknown) => void lines.push(String(l));
    try {
      const c = config('human', 4, 2); // two rounds of two pairs
      const run = runText(c, { out, quiet: true, report: false, people: people(c, 'human', 60) });
      // a person at the HTTP API: prefer the longer continuation, tie when equal
      const answered: Array<{ id: string; preferred: Preference }> = [];
      let base = '';
      let token = '';
      for (let i = 0; i < 500 && answered.length < 4; i++) {
        const m = /label as "bo":\s+(\S+)\/label\/\S+#token=(rlhf_\S+)/.exec(lines.join('\n'));
        if (!m) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        [, base, token] = m as unknown as [string, string, string];
        const call = async (method: string, path: string, body: unknown) =>
          (await (await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json()) as { query?: Query | null };
        const r = await call('POST', '/api/runs/human/lease', {});
        if (!r.query) {
          await new Promise((res) => setTimeout(res, 50));
          continue;
        }
        const [L, R] = r.query.samples as unknown as [{ id: string; payload: TextSamplePayload }, { id: string; payload: TextSamplePayload }];
        expect(L.payload.prompt).toBe(R.payload.prompt);
        const d = L.payload.continuation.length - R.payload.continuation.length;
        const preferred: Preference = d > 0 ? 'left' : d < 0 ? 'right' : 'tie';
        await call('POST', `/api/queries/${encodeURIComponent(r.query.id)}/judgement`, { judgement: { kind: 'comparison', leftId: L.id, rightId: R.id, preferred } });
        answered.push({ id: r.query.id, preferred });
      }
      const res = await run;
      expect(answered).toHaveLength(4);
      expect(answered.map((a) => a.id)).toEqual(['human:1:0', 'human:1:1', 'human:2:0', 'human:2:1']); // round r = the queries' iteration
      expect(res.summary!.labels).toBe(4); // all four answers (ties included) reached the reward model
      const mu: Record<string, number> = { left: 1, right: 0, tie: 0.5 };
      expect(checkpointMus(out)).toEqual(answered.map((a) => mu[a.preferred])); // μ per pair, in the order asked
      const store = await openStore(join(out, 'feedback.sqlite'));
      try {
        const js = await store.listJudgements('human');
        expect(js.map((j) => [j.queryId, j.annotator, j.judgement.kind === 'comparison' ? j.judgement.preferred : ''])).toEqual(answered.map((a) => [a.id, 'bo', a.preferred]));
        expect((await store.getRun('human'))!.status).toBe('done');
      } finally {
        await store.close();
      }
    } finally {
      console.error = err;
    }
  }, 60_000);

  it('human, three annotators per pair: a 2:1 vote reaches the reward model as μ = ⅔, not rounded to "left"', async () => {
    const out = join(tmp, 'votes');
    const err = console.error;
    console.error = () => {};
    try {
      const c = config('human', 4, 2);
      const setup: HumanJudgeSetup = { config: resolveHumanJudgeConfig({ mode: 'human', timeoutSeconds: 60, pollMs: 20, labelsPerIteration: 2, redundancy: 3 }), port: 0, portGiven: true, annotator: 'bo' };
      const run = runText(c, { out, quiet: true, report: false, people: peopleInTheLoop(setup, { domain: 'text', config: textConfigJson(c) }) });
      let failure: unknown;
      run.catch((e: unknown) => (failure = e));
      const db = join(out, 'feedback.sqlite');
      for (let i = 0; i < 600 && !existsSync(db) && failure === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      const store = await openStore(db);
      try {
        // alice and bob prefer the left continuation, carol the right one: 2:1 for left on every pair
        const given = await Promise.all([annotate(store, 'votes', 'alice', 4, 'left'), annotate(store, 'votes', 'bob', 4, 'left'), annotate(store, 'votes', 'carol', 4, 'right')]);
        expect(given).toEqual([4, 4, 4]);
        const res = await run;
        expect(res.summary!.labels).toBe(4);
        expect(checkpointMus(out).map((m) => m.toFixed(6))).toEqual(Array(4).fill((2 / 3).toFixed(6)));
      } finally {
        await store.close();
      }
    } finally {
      console.error = err;
    }
  }, 60_000);

  it('mixed: the sentiment judge answers what nobody answered within the timeout, recorded as teacher:sentiment', async () => {
    const out = join(tmp, 'mixed');
    const err = console.error;
    console.error = () => {};
    try {
      const c = config('mixed', 4, 10);
      const res = await runText(c, { out, quiet: true, report: false, people: people(c, 'mixed', 0.2) });
      expect(res.summary).toBeDefined();
      const store = await openStore(join(out, 'feedback.sqlite'));
      try {
        const js = await store.listJudgements('mixed');
        expect(js).toHaveLength(4);
        expect(new Set(js.map((j) => j.annotator))).toEqual(new Set(['teacher:sentiment']));
        // the teacher's answers are what the reward model learned from (skips carry no label)
        const informative = js.filter((j) => j.judgement.kind === 'comparison' && j.judgement.preferred !== 'skip').length;
        expect(res.summary!.labels).toBe(informative);
      } finally {
        await store.close();
      }
    } finally {
      console.error = err;
    }
  }, 60_000);
});

/** μ of the judged pairs the reward model was fit to, from the run's checkpoint. */
function checkpointMus(out: string): number[] {
  const ck = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')) as { state: { run: { pairs: Array<{ mu: number }> } } };
  return ck.state.run.pairs.map((p) => p.mu);
}

/** An annotator leasing the run's queries straight from the store and answering `count` of them with `preferred`. */
async function annotate(store: FeedbackStore, runId: string, who: string, count: number, preferred: Preference): Promise<number> {
  let done = 0;
  for (let tries = 0; done < count && tries < 1500; tries++) {
    if (!(await store.getRun(runId))) {
      await new Promise((r) => setTimeout(r, 20)); // the session creates the run after the store file
      continue;
    }
    const lease = await store.leaseQuery(runId, who, 60_000);
    if (!lease) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const q = lease.query;
    await store.addJudgement({ queryId: q.id, annotator: who, judgement: { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred } }, { requireLease: true });
    done++;
  }
  return done;
}
