import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Judgement, Query } from '../../feedback/types.js';
import { resolveHumanJudgeConfig } from '../../loop/people/gatherer.js';
import type { HumanJudgeSetup } from '../../loop/people/session.js';
import { openStore } from '../../store/index.js';
import { resolveDigitsConfig } from './config.js';
import { initDigitsTensors } from './kernels.js';
import { saveModels } from './models.js';
import { pretrainDigits, resolvePretrainConfig } from './pretrain.js';
import { writeSynthIdxDir } from './testing.js';
import { DIGITS_TEACHER, runDigitsWithPeople, type AppliedJudgement } from './people.js';
import { generateRunId, type ClassifyPagePayload, type GeneratePagePayload } from './payload.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-digits-people-'));
let pretrained = '';

beforeAll(async () => {
  await initDigitsTensors('wasm');
  const data = writeSynthIdxDir(join(root, 'data'), 200, 60, false);
  const { models } = pretrainDigits(
    resolvePretrainConfig({ data, trainSize: 150, valSize: 40, vaeEpochs: 1, vaeHidden: 32, zDim: 4, classifierSteps: 5, classifierHidden: 16, judgeEpochs: 1, judgeHidden: 16 }),
    { quiet: true },
  );
  pretrained = saveModels(join(root, 'pretrained'), models);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (steps: number) => resolveDigitsConfig({ steps, pretrained, evalEvery: 1, gridPerClass: 2, policy: { options: 4 } });
const human = (mode: 'human' | 'mixed', timeoutSeconds = 60): HumanJudgeSetup => ({
  config: resolveHumanJudgeConfig({ mode, timeoutSeconds, pollMs: 20 }),
  port: 0,
  portGiven: true,
  annotator: 'ada',
});

/** A person at the HTTP API: the printed URL and token, lease, judge. */
function person(lines: string[]) {
  const m = /label as "ada":\s+(\S+)\/label\/\S+#token=(rlhf_\S+)/.exec(lines.join('\n'));
  if (!m) throw new Error(`no log-in line in:\n${lines.join('\n')}`);
  const [, base, token] = m;
  const call = async <T,>(method: string, path: string, body: unknown): Promise<T> => {
    const r = await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  return {
    async lease(runId: string): Promise<Query> {
      for (let i = 0; i < 200; i++) {
        const r = await call<{ query: Query | null }>('POST', `/api/runs/${encodeURIComponent(runId)}/lease`, {});
        if (r.query) return r.query;
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error(`nothing to lease in ${runId}`);
    },
    judge: (q: Query, judgement: Judgement) => call('POST', `/api/queries/${encodeURIComponent(q.id)}/judgement`, { judgement }),
  };
}

const waitFor = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

describe('digits with people in the loop', () => {
  it('applies 👍/👎 and answers as they arrive, stores them under the annotator, checkpoints and resumes', async () => {
    const out = join(root, 'human');
    const lines: string[] = [];
    const seen: AppliedJudgement[] = [];
    const stop = new AbortController();
    const first = runDigitsWithPeople(config(2), { out, human: human('human'), report: false, log: (l) => lines.push(l), onJudgement: (e) => seen.push(e), signal: stop.signal });
    await waitFor(() => lines.some((l) => l.includes('waiting for')), 'the loop to start');
    expect(lines.join('\n')).toMatch(/\/digits\/human\/generate#token=rlhf_/);
    const p = person(lines);

    // 👍 on a class-4 image: its option gains probability
    const g = await p.lease(generateRunId('human', 4));
    const gp = g.samples[0]!.payload as GeneratePagePayload;
    expect(g.kind).toBe('rating');
    expect(gp.cls).toBe(4);
    expect(gp.image).toMatch(/^data:image\/png;base64,/);
    expect(gp.top.length).toBe(4);
    expect(gp.classes).toHaveLength(10);
    await p.judge(g, { kind: 'rating', sampleId: g.samples[0]!.id, value: 1 });
    await waitFor(() => seen.length === 1, 'the thumbs up to be applied');
    expect(seen[0]!.annotator).toBe('ada');
    expect(seen[0]!.probs[gp.option]!).toBeGreaterThan(gp.prob);
    stop.abort(); // as Ctrl-C: checkpoint and stop
    const r1 = await first;
    expect(r1.summary.labels).toBe(1);

    // restart: the models continue from the checkpoint; the next class-4 image shows the rating so far
    const lines2: string[] = [];
    const seen2: AppliedJudgement[] = [];
    const second = runDigitsWithPeople(config(2), { out, human: human('human'), resume: true, report: false, log: (l) => lines2.push(l), onJudgement: (e) => seen2.push(e) });
    await waitFor(() => lines2.some((l) => l.includes('waiting for 3 judgements')), 'the resumed loop');
    const p2 = person(lines2);
    const g2 = await p2.lease(generateRunId('human', 4));
    const gp2 = g2.samples[0]!.payload as GeneratePagePayload;
    expect(gp2.stats).toMatchObject({ ratings: 1, thumbsUp: 1, classRatings: 1, classThumbsUp: 1 });
    expect(gp2.top.find((t) => t.option === gp.option)!.prob).toBeCloseTo(seen[0]!.probs[gp.option]!, 5);
    await p2.judge(g2, { kind: 'rating', sampleId: g2.samples[0]!.id, value: 0 });

    // a correction raises the probability of the given label
    for (let i = 0; i < 2; i++) {
      const c = await p2.lease('human');
      const cp = c.samples[0]!.payload as ClassifyPagePayload;
      expect(c.kind).toBe('correction');
      expect(cp.prediction).toBe(cp.predicted);
      const label = (cp.predicted + 1) % 10;
      await p2.judge(c, { kind: 'correction', sampleId: c.samples[0]!.id, label, correct: false });
      // wait for this query's event: another stream's judgement (the rating above) may be applied in between
      await waitFor(() => seen2.some((e) => e.queryId === c.id), 'the correction to be applied');
      const applied = seen2.find((e) => e.queryId === c.id)!;
      expect(applied.probs[label]!).toBeGreaterThan(cp.probs[label]!);
    }
    const r2 = await second;
    expect(r2.summary.labels).toBe(4);
    expect(r2.summary.judge).toBe('human');
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(metrics).toHaveLength(4);

    const store = await openStore(join(out, 'feedback.sqlite'));
    try {
      const gen = await store.listJudgements(generateRunId('human', 4));
      const cls = await store.listJudgements('human');
      expect(gen.map((j) => j.annotator)).toEqual(['ada', 'ada']);
      expect(cls.map((j) => j.annotator)).toEqual(['ada', 'ada']);
      expect((await store.getRun('human'))!.status).toBe('done');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('asks each query once: --redundancy > 1 is refused, naming the flag', async () => {
    const h = human('human');
    await expect(runDigitsWithPeople(config(1), { out: join(root, 'redundant'), human: { ...h, config: { ...h.config, redundancy: 2 } }, report: false, log: () => {} })).rejects.toMatchObject({ key: 'redundancy' });
  });

  it('mixed: the simulated judge answers what nobody took within the timeout', async () => {
    const out = join(root, 'mixed');
    const seen: AppliedJudgement[] = [];
    const r = await runDigitsWithPeople(config(2), { out, human: human('mixed', 0.2), report: false, log: () => {}, onJudgement: (e) => seen.push(e) });
    expect(r.summary.labels).toBe(4);
    expect(seen.every((e) => e.annotator === DIGITS_TEACHER)).toBe(true);
    expect(seen.some((e) => e.payload.kind === 'classify')).toBe(true);
  }, 60_000);
});
