/**
 * People in the digits loop, through the one people gatherer (src/loop/people/): `rlhf run digits --judge human|mixed`
 * as the CLI wires it (runTask + peopleInTheLoop: SQLite store in the run directory, the in-process labeling server,
 * the printed log-in link), with a fake annotator at the HTTP API who leases queries and answers them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Judgement, Query } from '../../feedback/types.js';
import { runTask } from '../../loop/driver.js';
import { resolveHumanJudgeConfig } from '../../loop/people/gatherer.js';
import { peopleInTheLoop, type HumanJudgeSetup } from '../../loop/people/session.js';
import { openStore } from '../../store/index.js';
import { resolveDigitsConfig, type DigitsConfig } from './config.js';
import { initDigitsTensors } from './kernels.js';
import { saveModels } from './models.js';
import type { DigitsClassificationPayload, DigitsGenerationPayload } from './payload.js';
import { pretrainDigits, resolvePretrainConfig } from './pretrain.js';
import { digitsTask, runDigits } from './run.js';
import { writeSynthIdxDir } from './testing.js';

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

/** 4 steps in 2 iterations of 2: each iteration asks 4 queries (rating, correction, rating, correction). */
const config = (): DigitsConfig => resolveDigitsConfig({ steps: 4, batch: 2, pretrained, evalEvery: 1, gridPerClass: 2, policy: { options: 4 } });
const human = (mode: 'human' | 'mixed', timeoutSeconds = 60): HumanJudgeSetup => ({
  config: resolveHumanJudgeConfig({ mode, timeoutSeconds, pollMs: 20, labelsPerIteration: 4 }),
  port: 0,
  portGiven: true,
  annotator: 'ada',
});

/** A person at the HTTP API, from the printed log-in line: lease the run's next query, judge it. */
function person(lines: string[]) {
  const m = /label as "ada":\s+(\S+)\/label\/(\S+)#token=(rlhf_\S+)/.exec(lines.join('\n'));
  if (!m) throw new Error(`no log-in line in:\n${lines.join('\n')}`);
  const [, base, runId, token] = m;
  const call = async <T,>(method: string, path: string, body: unknown): Promise<T> => {
    const r = await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  return {
    runId: decodeURIComponent(runId!),
    async lease(): Promise<Query> {
      for (let i = 0; i < 500; i++) {
        const r = await call<{ query: Query | null }>('POST', `/api/runs/${runId}/lease`, {});
        if (r.query) return r.query;
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error(`nothing to lease in ${runId}`);
    },
    judge: (q: Query, judgement: Judgement) => call('POST', `/api/queries/${encodeURIComponent(q.id)}/judgement`, { judgement }),
  };
}

const waitFor = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

/** What the fake annotator says: 👍 for even classes, 👎 for odd ones; every prediction is "wrong", the true class ŷ + 1. */
function answer(q: Query): Judgement {
  const s = q.samples[0]!;
  if (q.kind === 'rating') return { kind: 'rating', sampleId: s.id, value: (s.payload as DigitsGenerationPayload).cls % 2 === 0 ? 1 : 0 };
  const p = s.payload as DigitsClassificationPayload;
  return { kind: 'correction', sampleId: s.id, label: (p.predicted + 1) % 10, correct: false };
}

describe('digits with people in the loop (one gatherer)', () => {
  it('human: every query is leased and answered through the server; the models learn from exactly those answers; stop and --resume continue', async () => {
    const out = join(root, 'human');
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const given: Array<{ q: Query; j: Judgement }> = [];
    const annotate = async (n: number, p: ReturnType<typeof person>) => {
      for (let i = 0; i < n; i++) {
        const q = await p.lease();
        const j = answer(q);
        await p.judge(q, j);
        given.push({ q, j });
      }
    };

    // 1) iteration 1 with people, then stop (as a kill after its checkpoint would)
    const first = runTask(digitsTask({ quiet: true }), config(), { out, report: false, stopAfter: 1, people: peopleInTheLoop(human('human'), { domain: 'digits', config: {}, log }) });
    let failure: unknown;
    first.catch((e: unknown) => (failure = e));
    await waitFor(() => failure !== undefined || lines.some((l) => l.includes('waiting for 4 labels')), 'the loop to post iteration 1');
    expect(failure).toBeUndefined();
    await annotate(4, person(lines));
    const r1 = await first;
    expect(r1.stopped).toBe(true);

    // the queries people saw: rating, correction, rating, correction, with the payloads the renderer draws
    const q1 = given.map((g) => g.q);
    expect(q1.map((q) => q.kind)).toEqual(['rating', 'correction', 'rating', 'correction']);
    const g0 = q1[0]!.samples[0]!.payload as DigitsGenerationPayload;
    expect(g0).toMatchObject({ kind: 'generate', label: g0.cls });
    expect(g0.image).toMatch(/^data:image\/png;base64,/);
    expect(g0.classes).toHaveLength(10);
    const c0 = q1[1]!.samples[0]!.payload as DigitsClassificationPayload;
    expect(c0.prediction).toBe(c0.predicted);
    expect(c0.probs).toHaveLength(10);

    // 2) --resume: iteration 2 is posted and answered; the run ends
    const lines2: string[] = [];
    const second = runTask(digitsTask({ quiet: true }), config(), { out, resume: true, report: false, people: peopleInTheLoop(human('human'), { domain: 'digits', config: {}, log: (l) => lines2.push(l) }) });
    second.catch((e: unknown) => (failure = e));
    await waitFor(() => failure !== undefined || lines2.some((l) => l.includes('waiting for 4 labels')), 'the resumed loop to post iteration 2');
    await annotate(4, person(lines2));
    const r2 = await second;
    expect(failure).toBeUndefined();
    const s = r2.summary!;
    expect(s).toMatchObject({ judge: 'human', labels: 8, steps: 4, corrections: 4 });

    // the models learned from exactly the given answers, in order: the thumbs, and the corrections stored for replay
    const ratings = given.filter((g) => g.q.kind === 'rating').map((g) => (g.j as Extract<Judgement, { kind: 'rating' }>).value);
    expect(r2.run.learner.history.thumbs).toEqual(ratings);
    expect(s.thumbs_up_rate).toBeCloseTo(ratings.reduce((a, b) => a + b, 0) / 4, 12);
    const corrections = given.filter((g) => g.q.kind === 'correction').map((g) => ({ index: (g.q.samples[0]!.payload as DigitsClassificationPayload).index, cls: (g.j as Extract<Judgement, { kind: 'correction' }>).label, kind: 'label' }));
    expect(r2.run.session.learner.answers).toEqual(corrections);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | null>);
    expect(rows.map((r) => r['feedback/labels'])).toEqual([4, 8]);
    expect(rows.map((r) => r['classifier/prediction_correct'])).toEqual([0, 0]);

    // stored like every other judgement, under the annotator's name; the run is done
    const store = await openStore(join(out, 'feedback.sqlite'));
    try {
      const recs = await store.listJudgements('human');
      expect(recs).toHaveLength(8);
      expect(new Set(recs.map((r) => r.annotator))).toEqual(new Set(['ada']));
      expect((await store.getRun('human'))!.status).toBe('done');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('human: at the timeout the loop moves on with what people answered; unanswered items teach nothing', async () => {
    const out = join(root, 'partial');
    const lines: string[] = [];
    const run = runTask(digitsTask({ quiet: true }), resolveDigitsConfig({ ...config(), steps: 2 }), { out, report: false, people: peopleInTheLoop(human('human', 1.5), { domain: 'digits', config: {}, log: (l) => lines.push(l) }) });
    let failure: unknown;
    run.catch((e: unknown) => (failure = e));
    await waitFor(() => failure !== undefined || lines.some((l) => l.includes('waiting for 4 labels')), 'the loop to post its queries');
    const p = person(lines);
    const rated = await p.lease(); // the first step's image: 👍; nothing else is answered
    expect(rated.kind).toBe('rating');
    await p.judge(rated, { kind: 'rating', sampleId: rated.samples[0]!.id, value: 1 });
    const r = await run;
    expect(lines.join('\n')).toMatch(/timed out with 1\/4 labels/);
    expect(r.summary).toMatchObject({ labels: 1, corrections: 0, thumbs_up_rate: 1 });
    expect(r.run.learner.history.thumbs).toEqual([1]);
    expect(r.run.session.learner.answers).toEqual([]); // no answer: the classifier took no step
    expect(r.metrics[0]).toMatchObject({ 'feedback/labels': 1, 'feedback/thumbs_up': 1 });
    expect(Number.isNaN(r.metrics[0]!['classifier/loss'])).toBe(true); // null in metrics.jsonl
  }, 60_000);

  it('mixed: the simulated judge answers what nobody took within the timeout — the same learning as the simulated run', async () => {
    const out = join(root, 'mixed');
    const mixed = await runTask(digitsTask({ quiet: true }), config(), { out, report: false, people: peopleInTheLoop(human('mixed', 0.2), { domain: 'digits', config: {}, log: () => {} }) });
    const simulated = await runDigits(config(), { out: join(root, 'simulated'), quiet: true, report: false });
    expect(mixed.summary).toMatchObject({ judge: 'mixed', labels: 8 });
    expect(simulated.summary).toMatchObject({ judge: 'simulated', labels: 8 });
    const strip = (s: object) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.includes('seconds') && k !== 'judge'));
    expect(strip(mixed.summary!)).toEqual(strip(simulated.summary!));
    expect(mixed.metrics).toEqual(simulated.metrics);
    const store = await openStore(join(out, 'feedback.sqlite'));
    try {
      const recs = await store.listJudgements('mixed');
      expect(recs).toHaveLength(8);
      expect(new Set(recs.map((r) => r.annotator))).toEqual(new Set(['teacher:judge']));
      expect(new Set(recs.map((r) => r.judgement.kind))).toEqual(new Set(['rating', 'correction']));
    } finally {
      await store.close();
    }
  }, 60_000);
});
