/**
 * The digits domain as a task of the run driver (src/loop/driver.ts): `rlhf run digits`, the tests and the examples
 * run it through runTask. An iteration is a batch of B feedback steps (config.batch), the loop parts in order:
 *
 *   1. plan      —                     (the thumbs are the reward itself: the policy learns in step 4)
 *   2. sample    sampler.ts            B classes c ~ U{0..9}, images from the latent policy; B pool images with ŷ
 *   3. judge     teacher.ts | people   👍/👎 (r = 1 / 0) on each image, an answer about each ŷ
 *   4. fit       learner.ts            REINFORCE with the per-class baseline; one replay + rehearsal Adam step per answer
 *   5. measure   evaluator.ts          policy entropy, held-out classifier accuracy every evalEvery steps
 *
 * With B = 1 this is the seed's loop exactly (one image, one answer, both learned from before the next step).
 * People judge through the one people gatherer (ctx.judge): rating and correction queries (queries.ts) on the
 * web app's labeling page, drawn by the digits renderer.
 *
 * Files (DIR = --out): config.json, metrics.jsonl, timing.jsonl, checkpoint.json + checkpoint-{0,1}.safetensors
 * (policy, classifier and its Adam moments, random streams, feedback so far), pretrained/ (when it pretrained),
 * summary.json, report.html and its figures (report.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, type RngState } from '../../core/rng.js';
import type { BackendName } from '../../core/tensor.js';
import { runTask, type DomainRun, type RunOptions, type RunResult, type Task, type TaskContext } from '../../loop/driver.js';
import { runIteration, type LoopParts, type MetricsRow } from '../../loop/parts.js';
import type { JsonObject } from '../../store/types.js';
import type { DigitsBatch, DigitsLabel } from './batch.js';
import type { DigitsConfig } from './config.js';
import { DigitsEvaluator, meanEntropy, snapshotPolicy, type PolicySnapshot } from './evaluator.js';
import { initDigitsTensors } from './kernels.js';
import { DigitsLearner, type FeedbackHistory } from './learner.js';
import { type DigitsModels, type DigitsSplits, MODELS_FILE, loadModels, loadSplits, saveModels } from './models.js';
import { pretrainDigits } from './pretrain.js';
import { digitsClassNames, digitsQueryMaker } from './queries.js';
import { DigitsSampler } from './sampler.js';
import { DigitsSession, type SessionState } from './session.js';
import type { DigitsSummary } from './summary.js';
import { DigitsJudge } from './teacher.js';

export type { DigitsSummary } from './summary.js';

/** The JSON part of a digits checkpoint (the arrays: the session's policy, classifier and Adam moments). */
export interface DigitsState {
  session: SessionState;
  classRng: RngState;
  feedback: FeedbackHistory;
  accuracyMin: number;
  /** seconds the first session spent pretraining (0 when the models were given) */
  pretrainSeconds: number;
}

/** A digits run: the driver's DomainRun plus the session, for tests and embedders. */
export interface DigitsRun extends DomainRun<DigitsSummary, DigitsState> {
  readonly session: DigitsSession;
  readonly learner: DigitsLearner;
}

/** The metrics row's key order (docs/digits.md "Logged metrics"); keys a row lacks are left out. */
const METRIC_ORDER = [
  'feedback/labels',
  'feedback/class',
  'feedback/thumbs_up',
  'feedback/thumbs_up_rate',
  'policy/advantage',
  'policy/entropy',
  'policy/max_prob',
  'classifier/prediction_correct',
  'classifier/loss',
  'classifier/accuracy',
] as const;

function ordered(iteration: number, m: MetricsRow): MetricsRow {
  const row: MetricsRow = { iteration };
  for (const k of METRIC_ORDER) if (k in m) row[k] = m[k]!;
  for (const [k, v] of Object.entries(m)) if (!(k in row)) row[k] = v;
  return row;
}

/** Models for the run: --pretrained DIR, else DIR/pretrained from an earlier session, else pretrain now (kept in DIR/pretrained). */
export function obtainModels(config: DigitsConfig, dir: string | undefined, quiet: boolean): { models: DigitsModels; splits: DigitsSplits; pretrainSeconds: number } {
  const own = dir !== undefined ? join(dir, 'pretrained') : undefined;
  const from = config.pretrained !== '' ? config.pretrained : own !== undefined && existsSync(join(own, MODELS_FILE)) ? own : '';
  if (from !== '') {
    const models = loadModels(from);
    const m = models.meta;
    return { models, splits: loadSplits(m.data, m.trainSize, m.valSize, m.splitSeed), pretrainSeconds: 0 };
  }
  const t0 = performance.now();
  const { models, splits } = pretrainDigits(config.pretrain, { quiet });
  if (own !== undefined) saveModels(own, models);
  return { models, splits, pretrainSeconds: (performance.now() - t0) / 1000 };
}

export interface DigitsTaskOptions {
  /** tensor backend (default auto: the native BLAS addon when built, else wasm) */
  backend?: BackendName;
  /** no pretraining progress bar */
  quiet?: boolean;
}

/** The digits task. */
export function digitsTask(opts: DigitsTaskOptions = {}): Task<DigitsConfig, DigitsSummary, DigitsState, DigitsRun> {
  return {
    name: 'digits',
    configJson: (c) => JSON.parse(JSON.stringify(c)) as JsonObject,
    resumeIgnoreKeys: ['steps'],
    create: (config, ctx) => createDigitsRun(config, ctx, opts),
  };
}

async function createDigitsRun(config: DigitsConfig, ctx: TaskContext, opts: DigitsTaskOptions): Promise<DigitsRun> {
  const backend = await initDigitsTensors(opts.backend ?? 'auto');
  // the models (pretrained now or before) and the session people and the judge drive
  const { models, splits, pretrainSeconds: justPretrained } = obtainModels(config, ctx.dir, opts.quiet ?? false);
  const session = new DigitsSession(models, splits, { policy: config.policy, corrections: config.corrections, seed: config.seed });
  const root = new Rng(config.seed);
  // before feedback (a resumed run measures the same: the models and the policy are fresh until restore)
  const before: PolicySnapshot = snapshotPolicy(session, root.fork('grid/before'), config.gridPerClass);
  const judgeAccuracy = models.judge.accuracy(splits.validation);
  let pretrainSeconds = justPretrained;

  // the loop parts
  const sampler = new DigitsSampler(session, root.fork('person/classes'), { batch: config.batch, steps: config.steps });
  const learner = new DigitsLearner(session);
  const evaluator = new DigitsEvaluator(session, { evalEvery: config.evalEvery, steps: config.steps });
  const { rows, cols } = splits.train;
  const maker = digitsQueryMaker({ classes: digitsClassNames(models.meta.data), rows, cols });
  const parts: LoopParts<DigitsBatch, DigitsLabel> = {
    agent: { improve: () => undefined }, // step 4 improves the policy: the thumbs are its reward
    sampler,
    gatherer: ctx.judge<DigitsBatch, DigitsLabel>(new DigitsJudge(models, splits), maker),
    reward: learner,
    evaluator,
  };
  let after: PolicySnapshot | undefined;

  return {
    session,
    learner,
    iterations: Math.ceil(config.steps / config.batch),
    async iterate(it) {
      const e = await runIteration(parts, it);
      return { iteration: it, metrics: ordered(it, e.metrics), ...(e.timing ? { timing: e.timing } : {}) };
    },
    async snapshot() {
      const saved = await session.save();
      const state: DigitsState = { session: saved.state, classRng: sampler.classRng.state(), feedback: learner.history, accuracyMin: evaluator.accuracyMin, pretrainSeconds };
      return { state, arrays: saved.arrays };
    },
    async restore(state, arrays) {
      await session.restore(state.session, arrays, ctx.dir !== undefined ? join(ctx.dir, 'checkpoint.json') : 'checkpoint');
      sampler.classRng.setState(state.classRng);
      learner.history = { ...state.feedback, thumbs: [...state.feedback.thumbs] };
      evaluator.accuracyMin = state.accuracyMin;
      pretrainSeconds = state.pretrainSeconds;
    },
    progressFields: (m) => ({ up: m['feedback/thumbs_up_rate'] ?? Number.NaN, acc: m['classifier/accuracy'] ?? Number.NaN }),
    summarize(_rows, seconds): DigitsSummary {
      const accAfter = evaluator.accuracy();
      after = snapshotPolicy(session, root.fork('grid/after'), config.gridPerClass);
      const h = learner.history;
      const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
      return {
        domain: 'digits',
        seed: config.seed,
        judge: ctx.judgeMode,
        steps: config.steps,
        labels: h.labels,
        thumbs_up_rate_first100: mean(h.thumbs.slice(0, 100)),
        thumbs_up_rate_last100: mean(h.thumbs.slice(-100)),
        thumbs_up_rate: mean(h.thumbs),
        classifier_accuracy_before: evaluator.accuracyBefore,
        classifier_accuracy_after: accAfter,
        classifier_accuracy_min: Math.min(evaluator.accuracyMin, accAfter),
        corrections: h.corrections,
        judge_accuracy: judgeAccuracy,
        recognised_before: before.recognised,
        recognised_after: after.recognised,
        policy_entropy_before: before.entropy,
        policy_entropy_after: meanEntropy(session),
        held_out_images: splits.validation.n,
        seconds,
        pretrain_seconds: pretrainSeconds,
        backend,
      };
    },
    async writeReport(dir, metrics, summary) {
      const { writeDigitsReport } = await import('./report.js');
      await writeDigitsReport(dir, { config, summary, rows: metrics, thumbs: learner.history.thumbs, session, gridBefore: before.grid, gridAfter: (after ?? snapshotPolicy(session, root.fork('grid/after'), config.gridPerClass)).grid });
    },
  };
}

export type DigitsRunOptions = RunOptions & DigitsTaskOptions;
export type DigitsRunResult = RunResult<DigitsSummary, DigitsRun>;

/** Runs the digits loop end to end (runTask over digitsTask). */
export function runDigits(config: DigitsConfig, opts: DigitsRunOptions = {}): Promise<DigitsRunResult> {
  const { backend, ...run } = opts;
  return runTask(digitsTask({ ...(backend ? { backend } : {}), quiet: opts.quiet ?? false }), config, run);
}
