/**
 * `rlhf run digits`: the feedback loop with a simulated person.
 *
 * Each step t = 1..steps:
 *   1. the person picks a class c (uniform); the latent policy draws (k, z); the decoder draws the image;
 *   2. 👍 iff the judge classifier recognises c in the image; REINFORCE updates the policy (policy.ts);
 *   3. the next pool image is shown with the classifier's prediction; the person answers truthfully and gives the
 *      true label when it is wrong; one replay + rehearsal Adam step (corrections.ts);
 *   4. metrics row; held-out accuracy every evalEvery steps; checkpoint every checkpointEvery steps.
 * Writes OUT/config.json, metrics.jsonl, summary.json, report.html (+ figures, before/after image grids),
 * checkpoint.json + checkpoint-*.safetensors (resume), pretrained/ (when it pretrained).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, type RngState } from '../../core/rng.js';
import { ConfigError } from '../../core/errors.js';
import type { BackendName } from '../../core/tensor.js';
import { RunDir } from '../../loop/runDir.js';
import { createProgress } from '../../loop/progress.js';
import { NUM_CLASSES } from './data.js';
import { initDigitsTensors } from './kernels.js';
import type { DigitsConfig } from './config.js';
import type { DigitsSummary } from './summary.js';
import { type DigitsModels, type DigitsSplits, MODELS_FILE, loadModels, loadSplits, saveModels } from './models.js';
import { pretrainDigits } from './pretrain.js';
import { DigitsSession, type SessionState, judgeThumb, judgeThumbs, truthfulAnswer } from './session.js';
import { classGridPng, writeDigitsReport } from './report.js';

export interface RunDigitsOptions {
  /** run directory */
  out: string;
  quiet?: boolean;
  /** continue the run in `out` from its checkpoint */
  resume?: boolean;
  /** write report.html and figures (default true) */
  report?: boolean;
  backend?: BackendName;
  /** test hook: return right after the checkpoint at or after this step (as if killed) */
  stopAfter?: number;
}

interface RunState {
  session: SessionState;
  classRng: RngState;
  accuracyBefore: number;
  recognisedBefore: number;
  entropyBefore: number;
  pretrainSeconds: number;
  seconds: number;
  accuracyMin: number;
}

export interface RunDigitsResult {
  dir: string;
  /** undefined when stopped early by stopAfter */
  summary?: DigitsSummary;
}

function meanEntropy(s: DigitsSession): number {
  let h = 0;
  for (let c = 0; c < NUM_CLASSES; c++) h += s.policy.entropy(c);
  return h / NUM_CLASSES;
}

function meanMaxProb(s: DigitsSession): number {
  let m = 0;
  for (let c = 0; c < NUM_CLASSES; c++) m += Math.max(...s.policy.probs(c));
  return m / NUM_CLASSES;
}

/** Fresh samples measured for the summary: 100 per class (the report grid shows the first gridPerClass of each). */
export const RECOGNISED_SAMPLES_PER_CLASS = 100;

/** `perClass` fresh samples per class from the current policy (own Rng: the session's streams are untouched), class-major. */
export function sampleGrid(s: DigitsSession, perClass: number, rng: Rng): { images: Float32Array; cls: number[]; recognised: boolean[] } {
  const Z = s.policy.zDim;
  const cls: number[] = [];
  const z = new Float32Array(NUM_CLASSES * perClass * Z);
  for (let c = 0; c < NUM_CLASSES; c++)
    for (let i = 0; i < perClass; i++) {
      z.set(s.policy.sample(c, rng).z, cls.length * Z);
      cls.push(c);
    }
  const images = s.decode(z, cls);
  return { images, cls, recognised: judgeThumbs(s.models.judge, images, cls) };
}

/** The first `keep` of every class's `perClass` images (class-major) [10 · keep · dim]. */
function firstPerClass(images: Float32Array, perClass: number, keep: number, dim: number): Float32Array {
  const k = Math.min(keep, perClass);
  const out = new Float32Array(NUM_CLASSES * k * dim);
  for (let c = 0; c < NUM_CLASSES; c++) out.set(images.subarray(c * perClass * dim, (c * perClass + k) * dim), c * k * dim);
  return out;
}

/** Models for the run: --pretrained DIR, else OUT/pretrained from an earlier start, else pretrain now. */
export function obtainModels(config: DigitsConfig, dir: RunDir, quiet: boolean): { models: DigitsModels; splits: DigitsSplits; pretrainSeconds: number } {
  const own = dir.file('pretrained');
  const from = config.pretrained !== '' ? config.pretrained : existsSync(join(own, MODELS_FILE)) ? own : '';
  if (from !== '') {
    const models = loadModels(from);
    const m = models.meta;
    return { models, splits: loadSplits(m.data, m.trainSize, m.valSize, m.splitSeed), pretrainSeconds: 0 };
  }
  const t0 = performance.now();
  const { models, splits } = pretrainDigits(config.pretrain, { quiet });
  saveModels(own, models);
  return { models, splits, pretrainSeconds: (performance.now() - t0) / 1000 };
}

export async function runDigits(config: DigitsConfig, opts: RunDigitsOptions): Promise<RunDigitsResult> {
  if (config.judge !== 'simulated')
    throw new ConfigError(
      'judge',
      `runDigits runs the simulated judge only, got judge "${config.judge}": people judge through runDigitsWithPeople (src/domains/digits/people.ts), which \`rlhf run digits --judge ${config.judge}\` uses; or set judge "simulated"`,
    );
  const backend = await initDigitsTensors(opts.backend ?? 'auto');
  const quiet = opts.quiet ?? false;
  const dir = RunDir.open(opts.out, config, { resume: opts.resume ?? false, ignoreKeys: ['steps'] });
  const t0 = performance.now();

  // 1) models, data, session
  const { models, splits, pretrainSeconds: justPretrained } = obtainModels(config, dir, quiet);
  const session = new DigitsSession(models, splits, { policy: config.policy, corrections: config.corrections, seed: config.seed });
  const root = new Rng(config.seed);
  const classRng = root.fork('person/classes');
  const judgeAccuracy = models.judge.accuracy(splits.validation);

  // 2) the starting point: fresh, or the checkpoint
  let start = 0;
  let st: RunState;
  const thumbs: number[] = [];
  if (opts.resume && dir.hasCheckpoint()) {
    const ck = dir.loadCheckpoint<RunState>();
    await session.restore(ck.state.session, ck.arrays, dir.file('checkpoint.json'));
    classRng.setState(ck.state.classRng);
    st = ck.state;
    start = ck.iteration;
    dir.truncateMetrics(start, 'iteration');
    for (const r of dir.readMetrics()) thumbs.push(r['feedback/thumbs_up'] ?? 0);
  } else {
    if (opts.resume) dir.truncateMetrics(0, 'iteration'); // stopped before its first checkpoint: start over cleanly
    const grid = sampleGrid(session, RECOGNISED_SAMPLES_PER_CLASS, root.fork('grid/before'));
    st = {
      session: (await session.save()).state,
      classRng: classRng.state(),
      accuracyBefore: models.classifier.accuracy(splits.validation),
      recognisedBefore: grid.recognised.filter(Boolean).length / grid.cls.length,
      entropyBefore: meanEntropy(session),
      pretrainSeconds: justPretrained,
      seconds: 0,
      accuracyMin: Number.NaN,
    };
    st.accuracyMin = st.accuracyBefore;
    writeFileSync(dir.file('grid-before.png'), classGridPng(firstPerClass(grid.images, RECOGNISED_SAMPLES_PER_CLASS, config.gridPerClass, splits.train.dim), config.gridPerClass, splits.train.rows, splits.train.cols).png);
  }
  const secondsBefore = st.seconds;

  // 3) the loop
  const bar = createProgress('digits', config.steps, { quiet });
  bar.update(start);
  for (let step = start + 1; step <= config.steps; step++) {
    // 3a) 👍/👎 on a generated image of the requested class
    const c = classRng.int(NUM_CLASSES);
    const g = session.generate(c);
    const up = judgeThumb(models.judge, g.image, c);
    const adv = session.rate(g, up);
    thumbs.push(up ? 1 : 0);
    // 3b) an answer about the classifier's prediction on the next pool image
    const q = session.nextClassification();
    const truth = splits.pool.labels[q.index]!;
    const loss = session.answer(q.index, truthfulAnswer(q.predicted, truth));
    // 3c) metrics
    const last = thumbs.slice(-100);
    const row: Record<string, number> = {
      iteration: step,
      'feedback/labels': 2 * step,
      'feedback/class': c,
      'feedback/thumbs_up': up ? 1 : 0,
      'feedback/thumbs_up_rate': last.reduce((a, b) => a + b, 0) / last.length,
      'policy/advantage': adv,
      'policy/entropy': meanEntropy(session),
      'policy/max_prob': meanMaxProb(session),
      'classifier/prediction_correct': q.predicted === truth ? 1 : 0,
      'classifier/loss': loss,
    };
    if (step % config.evalEvery === 0 || step === config.steps) {
      const acc = models.classifier.accuracy(splits.validation);
      row['classifier/accuracy'] = acc;
      st.accuracyMin = Math.min(st.accuracyMin, acc);
    }
    dir.appendMetrics(row);
    bar.update(step, { up: row['feedback/thumbs_up_rate']!, acc: row['classifier/accuracy'] ?? Number.NaN });
    // 3d) checkpoint
    if (step % config.checkpointEvery === 0 || step === config.steps) {
      const saved = await session.save();
      st = { ...st, session: saved.state, classRng: classRng.state(), seconds: secondsBefore + (performance.now() - t0) / 1000 };
      dir.saveCheckpoint(step, st, saved.arrays);
      if (opts.stopAfter !== undefined && step >= opts.stopAfter && step < config.steps) {
        bar.stop();
        return { dir: dir.path };
      }
    }
  }
  bar.stop();

  // 4) summary and report
  const accAfter = models.classifier.accuracy(splits.validation);
  const after = sampleGrid(session, RECOGNISED_SAMPLES_PER_CLASS, root.fork('grid/after'));
  const gridAfter = { images: firstPerClass(after.images, RECOGNISED_SAMPLES_PER_CLASS, config.gridPerClass, splits.train.dim) };
  const rows = dir.readMetrics();
  const ups = rows.map((r) => r['feedback/thumbs_up'] ?? 0);
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
  const summary: DigitsSummary = {
    domain: 'digits',
    seed: config.seed,
    judge: config.judge,
    steps: config.steps,
    labels: 2 * config.steps,
    thumbs_up_rate_first100: mean(ups.slice(0, 100)),
    thumbs_up_rate_last100: mean(ups.slice(-100)),
    thumbs_up_rate: mean(ups),
    classifier_accuracy_before: st.accuracyBefore,
    classifier_accuracy_after: accAfter,
    classifier_accuracy_min: Math.min(st.accuracyMin, accAfter),
    corrections: rows.filter((r) => r['classifier/prediction_correct'] === 0).length,
    judge_accuracy: judgeAccuracy,
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
  if (opts.report ?? true) await writeDigitsReport(dir, { config, summary, rows, session, gridAfter, rowsPerClass: config.gridPerClass });
  return { dir: dir.path, summary };
}
