/**
 * People in the digits loop: `rlhf run digits --judge human|mixed`.
 *
 * The labeling server hands out one query at a time per run (lease order), so each stream people can pick from is
 * its own run in the store (docs/digits-labeling.md):
 *   <runId>            "classify": correction queries (image + the classifier's prediction); also the dashboard's run
 *   <runId>.gen-<c>    "generate", class c = 0..9: rating queries (an image the latent policy drew for class c)
 * The web app's pages /digits/<runId>/generate and /digits/<runId>/classify lease from these runs.
 *
 * The loop keeps exactly one open query per stream. Every `pollMs` it
 *   1. looks at its open queries; a judged one is applied to the models at once (applyDigitsJudgement: REINFORCE on
 *      the latent policy for 👍/👎, a replay + rehearsal Adam step for a classifier answer) and checkpointed;
 *   2. mixed: the simulated judge (the judge classifier for 👍/👎, a truthful person for answers) answers queries
 *      nobody has leased for `timeoutSeconds`, recorded as "teacher:judge";
 *   3. posts a fresh query in every stream without one (drawn from the models as they are now).
 * It ends when 2 × steps judgements were applied (as the simulated run: one 👍/👎 + one answer per step), or on
 * the abort signal. The checkpoint holds the models, the session's random streams and the ids of the applied
 * queries: `--resume` continues, and applies the judgements people gave after the last checkpoint.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Rng } from '../../core/rng.js';
import { ConfigError, FeedbackError } from '../../core/errors.js';
import type { BackendName } from '../../core/tensor.js';
import type { Judgement, Query } from '../../feedback/types.js';
import { RunDir } from '../../loop/runDir.js';
import { teacherJudgeName } from '../../loop/people/gatherer.js';
import { runIdFromDir, openHumanSession, type HumanJudgeSetup, type HumanSession } from '../../loop/people/session.js';
import { ensureRun, postQueries } from '../../store/loopBridge.js';
import type { FeedbackStore, JsonObject } from '../../store/types.js';
import type { DigitsConfig } from './config.js';
import { FASHION_CLASSES, NUM_CLASSES } from './data.js';
import { applyDigitsJudgement, classificationSample, generationSample } from './feedback.js';
import { classifyRunId, generateRunId, type ClassifyPagePayload, type DigitsPageStats, type DigitsPayload, type GeneratePagePayload } from './payload.js';
import { encodePngGray } from './images.js';
import { initDigitsTensors } from './kernels.js';
import { classGridPng, writeDigitsReport } from './report.js';
import { RECOGNISED_SAMPLES_PER_CLASS, obtainModels, sampleGrid } from './run.js';
import type { DigitsSummary } from './summary.js';
import { DigitsSession, type SessionState, judgeThumb, truthfulAnswer } from './session.js';

/** The simulated judge's name in the store. */
export const DIGITS_TEACHER = teacherJudgeName('judge');
/** Options shown as a grid on the generate page. */
export const TOP_OPTIONS_SHOWN = 8;

/** Class names for the pages: Fashion-MNIST's when the data directory says so, else the digits. */
export function digitsClassNames(dataDir: string): string[] {
  return Array.from({ length: NUM_CLASSES }, (_, c) => (/fashion/i.test(dataDir) ? FASHION_CLASSES[c]! : String(c)));
}

interface OpenQuery {
  runId: string;
  query: Query;
  payload: DigitsPayload;
  postedAt: number;
}

interface PeopleState {
  session: SessionState;
  /** query ids whose judgement the models learned from */
  applied: string[];
  labels: number;
  stats: { ratings: number; thumbsUp: number; classRatings: number[]; classThumbsUp: number[]; answers: number; answersCorrect: number };
  accuracyBefore: number;
  accuracyMin: number;
  recognisedBefore: number;
  entropyBefore: number;
  pretrainSeconds: number;
  seconds: number;
}

export interface DigitsPeopleOptions {
  out: string;
  human: HumanJudgeSetup;
  resume?: boolean;
  quiet?: boolean;
  report?: boolean;
  backend?: BackendName;
  /** ends the run early (as Ctrl-C): checkpoint, summary, close */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** told after every applied judgement (tests, dashboards) */
  onJudgement?: (e: AppliedJudgement) => void;
}

export interface AppliedJudgement {
  queryId: string;
  annotator: string;
  labels: number;
  payload: DigitsPayload;
  judgement: Judgement;
  /** generate: the class's option probabilities after the update; classify: p(·|x) after the update */
  probs: number[];
}

/** summary.json of a run with people: the simulated run's keys (judge = human | mixed, labels = judgements applied). */
export type DigitsPeopleSummary = DigitsSummary;

export interface DigitsPeopleResult {
  dir: string;
  runId: string;
  summary: DigitsPeopleSummary;
}

const dataUrl = (image: Float32Array, rows: number, cols: number) => `data:image/png;base64,${encodePngGray(image, cols, rows).toString('base64')}`;

/** The first `keep` of every class's `perClass` images (class-major) [10 · keep · dim], for the report grids. */
function firstPerClass(images: Float32Array, perClass: number, keep: number, dim: number): Float32Array {
  const k = Math.min(keep, perClass);
  const out = new Float32Array(NUM_CLASSES * k * dim);
  for (let c = 0; c < NUM_CLASSES; c++) out.set(images.subarray(c * perClass * dim, (c * perClass + k) * dim), c * k * dim);
  return out;
}

const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

function meanEntropy(s: DigitsSession): number {
  let h = 0;
  for (let c = 0; c < NUM_CLASSES; c++) h += s.policy.entropy(c);
  return h / NUM_CLASSES;
}

/** The highest "<run>:<n>" serial among the run's queries (−1 when none). */
async function lastSerial(store: FeedbackStore, runId: string): Promise<{ serial: number; queries: Query[] }> {
  const queries: Query[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await store.listQueries(runId, { limit: 1000, offset });
    queries.push(...page);
    if (page.length < 1000) break;
  }
  let serial = -1;
  for (const q of queries) {
    const n = Number(q.id.slice(q.id.lastIndexOf(':') + 1));
    if (Number.isInteger(n)) serial = Math.max(serial, n);
  }
  return { serial, queries };
}

/** The simulated judge's answer to a query (mixed mode). */
function teacherJudgement(session: DigitsSession, q: OpenQuery): Judgement {
  const sample = q.query.samples[0]!;
  const p = q.payload;
  if (p.kind === 'generate') {
    const image = session.decode(Float32Array.from(p.z), [p.cls]);
    return { kind: 'rating', sampleId: sample.id, value: judgeThumb(session.models.judge, image, p.cls) ? 1 : 0 };
  }
  const a = truthfulAnswer(p.predicted, session.splits.pool.labels[p.index]!);
  return { kind: 'correction', sampleId: sample.id, label: a.correct ? p.predicted : a.label!, correct: a.correct };
}

/** Runs the digits loop with people judging in the web app (see the file comment). */
export async function runDigitsWithPeople(config: DigitsConfig, o: DigitsPeopleOptions): Promise<DigitsPeopleResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const h = o.human;
  if (h.config.mode === 'simulated') throw new FeedbackError('runDigitsWithPeople needs --judge human or mixed (simulated runs use runDigits)');
  if (h.config.redundancy !== 1) throw new ConfigError('redundancy', `--redundancy ${h.config.redundancy}: the digits loop learns from each judgement as it arrives, so every query is asked once (--redundancy 1)`);
  const backend = await initDigitsTensors(o.backend ?? 'auto');
  const dir = RunDir.open(o.out, config, { resume: o.resume ?? false, ignoreKeys: ['steps'] });
  const t0 = performance.now();
  const runId = runIdFromDir(o.out);

  // 1) models and session, restored from the checkpoint when resuming
  const { models, splits, pretrainSeconds } = obtainModels(config, dir, o.quiet ?? true);
  const session = new DigitsSession(models, splits, { policy: config.policy, corrections: config.corrections, seed: config.seed });
  const classes = digitsClassNames(models.meta.data);
  const { rows: R, cols: C } = splits.train;
  let st: PeopleState;
  let saves = 0;
  if (o.resume && dir.hasCheckpoint()) {
    const ck = dir.loadCheckpoint<PeopleState>();
    await session.restore(ck.state.session, ck.arrays, dir.file('checkpoint.json'));
    st = ck.state;
    saves = ck.iteration;
    dir.truncateMetrics(st.labels, 'iteration');
  } else {
    const root = new Rng(config.seed);
    const grid = sampleGrid(session, RECOGNISED_SAMPLES_PER_CLASS, root.fork('grid/before'));
    writeFileSync(dir.file('grid-before.png'), classGridPng(firstPerClass(grid.images, RECOGNISED_SAMPLES_PER_CLASS, config.gridPerClass, R * C), config.gridPerClass, R, C).png);
    const acc = models.classifier.accuracy(splits.validation);
    st = {
      session: (await session.save()).state,
      applied: [],
      labels: 0,
      stats: { ratings: 0, thumbsUp: 0, classRatings: new Array<number>(NUM_CLASSES).fill(0), classThumbsUp: new Array<number>(NUM_CLASSES).fill(0), answers: 0, answersCorrect: 0 },
      accuracyBefore: acc,
      accuracyMin: acc,
      recognisedBefore: grid.recognised.filter(Boolean).length / grid.cls.length,
      entropyBefore: meanEntropy(session),
      pretrainSeconds,
      seconds: 0,
    };
  }
  const applied = new Set(st.applied);
  const secondsBefore = st.seconds;

  // 2) the store, the server, the stream runs
  const s = await openHumanSession(h, { out: o.out, runId, domain: 'digits', config: { ...(JSON.parse(JSON.stringify(config)) as JsonObject), stream: 'classify' }, log });
  const store = s.store;
  const link = (page: string) => `${s.url}/digits/${encodeURIComponent(runId)}/${page}#token=${s.annotatorToken}`;
  log(`digits pages for "${s.annotator}":`);
  log(`  generate (👍/👎): ${link('generate')}`);
  log(`  classify:         ${link('classify')}`);
  log('');

  const streams = [classifyRunId(runId), ...Array.from({ length: NUM_CLASSES }, (_, c) => generateRunId(runId, c))];
  const serial = new Map<string, number>();
  const open = new Map<string, OpenQuery>(); // stream run id → its open query
  let ok = false;
  try {
    for (let c = 0; c < NUM_CLASSES; c++) await ensureRun(store, { id: generateRunId(runId, c), domain: 'digits', config: { stream: 'generate', cls: c, run: runId }, status: 'running' });
    // queries from before a restart: the newest not-applied one per stream stays open (older ones are applied when judged)
    const backlog: OpenQuery[] = [];
    for (const r of streams) {
      const { serial: n, queries } = await lastSerial(store, r);
      serial.set(r, n + 1);
      for (const q of queries) if (!applied.has(q.id)) backlog.push({ runId: r, query: q, payload: q.samples[0]!.payload as DigitsPayload, postedAt: Date.now() });
    }
    const pending = [...backlog];

    const statsNow = (cls: number): DigitsPageStats => ({
      ratings: st.stats.ratings,
      thumbsUp: st.stats.thumbsUp,
      classRatings: cls >= 0 ? st.stats.classRatings[cls]! : 0,
      classThumbsUp: cls >= 0 ? st.stats.classThumbsUp[cls]! : 0,
      answers: st.stats.answers,
      answersCorrect: st.stats.answersCorrect,
    });
    const makeQuery = (r: string, cls: number): OpenQuery => {
      const n = serial.get(r)!;
      serial.set(r, n + 1);
      const id = `${r}:${n}`;
      let payload: GeneratePagePayload | ClassifyPagePayload;
      let kind: Query['kind'];
      if (cls >= 0) {
        const g = generationSample(session, cls, `${id}:s`).payload;
        const t = session.topOptions(cls, Math.min(TOP_OPTIONS_SHOWN, config.policy.options));
        const Z = R * C;
        const top = t.options.map((option, i) => ({ option, prob: t.probs[i]!, image: dataUrl(t.images.subarray(i * Z, (i + 1) * Z), R, C) }));
        payload = { ...g, label: cls, classes, top, stats: statsNow(cls) };
        kind = 'rating';
      } else {
        const c = classificationSample(session, `${id}:s`).payload;
        payload = { ...c, prediction: c.predicted, classes, probs: Array.from(session.learner.probs(c.index)), stats: statsNow(-1) };
        kind = 'correction';
      }
      const query: Query = { id, runId: r, kind, iteration: n, samples: [{ id: `${id}:s`, domain: 'digits', payload }] };
      return { runId: r, query, payload, postedAt: Date.now() };
    };
    const refill = async () => {
      const fresh: OpenQuery[] = [];
      for (const [i, r] of streams.entries()) {
        if (open.has(r)) continue;
        const q = makeQuery(r, i - 1);
        open.set(r, q);
        fresh.push(q);
      }
      for (const q of fresh) await postQueries(store, q.runId, [q.query], { redundancy: 1 });
    };
    // backlog: the newest per stream is the open one; the others are watched until judged
    for (const q of backlog) {
      const cur = open.get(q.runId);
      if (!cur || cur.query.iteration < q.query.iteration) open.set(q.runId, q);
    }
    for (const q of open.values()) pending.splice(pending.indexOf(q), 1);
    await refill();

    const checkpoint = async () => {
      const saved = await session.save();
      st = { ...st, session: saved.state, applied: [...applied], seconds: secondsBefore + (performance.now() - t0) / 1000 };
      dir.saveCheckpoint(++saves, st, saved.arrays);
    };

    /** Applies the judgement of a judged query; false when it has none yet. */
    const tryApply = async (q: OpenQuery): Promise<boolean> => {
      const recs = await store.listJudgements(q.runId, { queryId: q.query.id, limit: 10 });
      const rec = recs[0];
      if (!rec) return false;
      const res = applyDigitsJudgement(session, q.payload, rec.judgement);
      applied.add(q.query.id);
      st.labels++;
      const human = rec.annotator.startsWith('teacher:') ? 0 : 1;
      const row: Record<string, number> = { iteration: st.labels, 'feedback/labels': st.labels, 'feedback/human': human };
      let probs: number[];
      if (q.payload.kind === 'generate') {
        const up = rec.judgement.kind === 'rating' && rec.judgement.value === 1 ? 1 : 0;
        const c = q.payload.cls;
        st.stats.ratings++;
        st.stats.thumbsUp += up;
        st.stats.classRatings[c]!++;
        st.stats.classThumbsUp[c]! += up;
        Object.assign(row, { 'feedback/class': c, 'feedback/thumbs_up': up, 'feedback/thumbs_up_rate': st.stats.thumbsUp / st.stats.ratings, 'policy/advantage': res.value, 'policy/entropy': meanEntropy(session), 'policy/chosen_prob': res.probs![q.payload.option]! });
        probs = res.probs!;
      } else {
        const j = rec.judgement;
        const correct = j.kind === 'correction' && (j.correct ?? String(j.label) === String(q.payload.predicted)) ? 1 : 0;
        st.stats.answers++;
        st.stats.answersCorrect += correct;
        Object.assign(row, { 'classifier/prediction_correct': correct, 'classifier/loss': res.value });
        if (st.stats.answers % config.evalEvery === 0) {
          const acc = models.classifier.accuracy(splits.validation);
          row['classifier/accuracy'] = acc;
          st.accuracyMin = Math.min(st.accuracyMin, acc);
        }
        probs = res.classProbs!;
      }
      dir.appendMetrics(row);
      await s.emit('metrics', st.labels, row);
      o.onJudgement?.({ queryId: q.query.id, annotator: rec.annotator, labels: st.labels, payload: q.payload, judgement: rec.judgement, probs });
      return true;
    };

    // 3) the loop
    const target = 2 * config.steps;
    log(`digits: waiting for ${target - st.labels} judgements (${config.steps} steps × 👍/👎 + answer; Ctrl-C stops and checkpoints)…`);
    while (st.labels < target && !o.signal?.aborted) {
      let changed = false;
      for (const q of [...pending]) {
        if (await tryApply(q)) {
          pending.splice(pending.indexOf(q), 1);
          changed = true;
        }
      }
      for (const [r, q] of [...open]) {
        if (st.labels >= target) break;
        if (await tryApply(q)) {
          open.delete(r);
          changed = true;
        } else if (h.config.mode === 'mixed' && Date.now() - q.postedAt > h.config.timeoutSeconds * 1000) {
          const state = await store.getQuery(q.query.id);
          if (state?.status === 'pending') await store.addJudgement({ queryId: q.query.id, annotator: DIGITS_TEACHER, judgement: teacherJudgement(session, q) }); // applied on the next look
        }
      }
      if (changed) {
        await checkpoint();
        if (st.labels < target) await refill();
      } else await sleep(h.config.pollMs, o.signal);
    }
    await checkpoint();
    ok = true;
  } finally {
    for (let c = 0; c < NUM_CLASSES; c++) await store.updateRun(generateRunId(runId, c), { status: ok ? 'done' : 'failed' }).catch(() => undefined);
    await s.close(ok ? 'done' : 'failed');
  }

  // 4) summary and report (as the simulated run's)
  const rows = dir.readMetrics();
  const ups = rows.filter((r) => r['feedback/thumbs_up'] !== undefined).map((r) => r['feedback/thumbs_up']!);
  const accAfter = models.classifier.accuracy(splits.validation);
  const after = sampleGrid(session, RECOGNISED_SAMPLES_PER_CLASS, new Rng(config.seed).fork('grid/after'));
  const gridAfter = { images: firstPerClass(after.images, RECOGNISED_SAMPLES_PER_CLASS, config.gridPerClass, R * C) };
  const summary: DigitsSummary = {
    domain: 'digits',
    seed: config.seed,
    judge: h.config.mode,
    steps: config.steps,
    labels: st.labels,
    thumbs_up_rate_first100: mean(ups.slice(0, 100)),
    thumbs_up_rate_last100: mean(ups.slice(-100)),
    thumbs_up_rate: mean(ups),
    classifier_accuracy_before: st.accuracyBefore,
    classifier_accuracy_after: accAfter,
    classifier_accuracy_min: Math.min(st.accuracyMin, accAfter),
    corrections: rows.filter((r) => r['classifier/prediction_correct'] === 0).length,
    judge_accuracy: models.judge.accuracy(splits.validation),
    recognised_before: st.recognisedBefore,
    recognised_after: after.recognised.filter(Boolean).length / after.cls.length,
    policy_entropy_before: st.entropyBefore,
    policy_entropy_after: meanEntropy(session),
    held_out_images: splits.validation.n,
    seconds: secondsBefore + (performance.now() - t0) / 1000,
    pretrain_seconds: st.pretrainSeconds,
    backend,
  };
  dir.writeSummary(summary);
  if ((o.report ?? true) && existsSync(dir.file('grid-before.png')))
    await writeDigitsReport(dir, { config, summary, rows, session, gridAfter, rowsPerClass: config.gridPerClass });
  return { dir: dir.path, runId, summary };
}
