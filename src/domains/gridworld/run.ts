/**
 * Runs the gridworld RLHF loop end to end: experiment + loop + run directory (config, metrics, timing, checkpoint
 * every iteration, summary) + progress bar + report. `rlhf run gridworld` is a thin layer over runGridworld.
 *
 * Files (DIR = --out):
 *   config.json      resolved config            metrics.jsonl   one row per iteration, deterministic given the seed
 *   timing.jsonl     wall-clock seconds per step (kept out of metrics.jsonl so runs compare byte for byte)
 *   checkpoint.json + checkpoint-{0,1}.safetensors   RNG states, logits, Adam moments, visit counts, sample paths
 *   summary.json     final numbers (docs/metrics.md)     report.html, *.svg, *.png   figures (report.ts)
 */
import { RlhfLoop, type Gatherer, type IterationEvent, type IterationListener } from '../../loop/orchestrator.js';
import { RunDir } from '../../loop/runDir.js';
import { createProgress } from '../../loop/progress.js';
import type { BackendName } from '../../core/tensor.js';
import { GridworldExperiment, pearson, type GridworldBatch, type GridworldState } from './experiment.js';
import { configToJson, type GridworldConfig } from './config.js';
import type { GridworldSummary } from './summary.js';

export interface GridworldRunOptions {
  /** run directory; without it nothing is written (an in-memory run) */
  out?: string;
  /** continue the run in `out` from its last checkpoint */
  resume?: boolean;
  /** no progress bar */
  quiet?: boolean;
  /** draw plots and report.html (default true when `out` is set) */
  report?: boolean;
  /** tensor backend for rewardImpl "tfjs" */
  backend?: BackendName;
  /** test hook: stop after this iteration's checkpoint as if the process was killed (no summary, no report) */
  stopAfter?: number;
  /** with stopAfter: end the process at once (process.exit), the closest thing to a kill from inside */
  stopHard?: boolean;
  /** called after every iteration */
  onIteration?: IterationListener;
  /** replaces the simulated teacher, e.g. people through the labeling server (src/loop/humanJudge.ts) */
  gatherer?: (exp: GridworldExperiment) => Gatherer<GridworldBatch>;
}

export interface GridworldRunResult {
  summary: GridworldSummary | undefined;
  experiment: GridworldExperiment;
  /** every metrics row (including rows of earlier sessions of a resumed run) */
  metrics: Array<Record<string, number>>;
  /** true when stopAfter ended the run early */
  stopped: boolean;
  /** run directory, when one was used */
  dir?: string;
}

interface CheckpointState extends GridworldState {
  /** loop seconds spent in earlier sessions */
  elapsed: number;
}

function finiteOr<T>(v: number | undefined, alt: T): number | T {
  return v !== undefined && Number.isFinite(v) ? v : alt;
}

/** Builds the summary from the metrics rows and the experiment's final state. */
export function summarize(exp: GridworldExperiment, rows: Array<Record<string, number>>, seconds: number): GridworldSummary {
  const c = exp.config;
  const last = rows[rows.length - 1] ?? {};
  const dist = exp.learnedDistribution();
  let goalProb = 0;
  let otherMax = -Infinity;
  for (let s = 0; s < dist.length; s++) {
    if (exp.env.isGoal[s]) goalProb += dist[s]!;
    else otherMax = Math.max(otherMax, dist[s]!);
  }
  const tail = rows.slice(-10);
  const firstHalf = rows.find((r) => (r['objective/goal_rate'] ?? 0) >= 0.5);
  const corr = pearson(dist, exp.env.target);
  return {
    goal_rate: finiteOr(last['objective/goal_rate'], 0),
    true_return: finiteOr(last['objective/true_return'], Number.NaN),
    reward_correlation: Number.isFinite(corr) ? corr : null,
    labels: exp.labelCount,
    seconds: Math.round(seconds * 1000) / 1000,
    seed: c.seed,
    iterations: rows.length,
    optimal_return: exp.optimalReturn,
    learned_goal_prob: goalProb,
    learned_max_other_prob: Number.isFinite(otherMax) ? otherMax : null,
    first_iteration_goal_rate_half: firstHalf ? firstHalf.iteration! : null,
    goal_rate_last10: tail.length ? tail.reduce((a, r) => a + (r['objective/goal_rate'] ?? 0), 0) / tail.length : 0,
    reward_loss: finiteOr(last['reward/loss'], Number.NaN),
    teacher_entropy: finiteOr(last['teacher/entropy'], Number.NaN),
    explore_bonus: c.exploreBonus,
    reward_impl: c.rewardImpl,
  };
}

/** Replaces non-finite numbers by null so a row is valid JSON. */
function jsonRow(m: Record<string, number>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

export async function runGridworld(config: GridworldConfig, opts: GridworldRunOptions = {}): Promise<GridworldRunResult> {
  const t0 = performance.now();
  const exp = await new GridworldExperiment(config).prepare();
  // 1. the run directory (a new run, or the checkpoint of an old one)
  let dir: RunDir | undefined;
  let start = 0;
  let elapsed = 0;
  if (opts.out) {
    dir = RunDir.open(opts.out, configToJson(config), { resume: opts.resume ?? false, ignoreKeys: ['iterations', 'pathIterations'] });
    if (opts.resume && dir.hasCheckpoint()) {
      const ck = dir.loadCheckpoint<CheckpointState>();
      exp.restore(ck.state, ck.arrays);
      start = ck.iteration;
      elapsed = ck.state.elapsed ?? 0;
    }
    dir.truncateMetrics(start);
    dir.truncateMetrics(start, 'iteration', 'timing.jsonl');
  }
  // 2. the reward fitter (typed arrays by default; tfjs on request, loaded only then)
  let disposeFitter: (() => void) | undefined;
  if (config.rewardImpl === 'tfjs') {
    const { initTensors } = await import('../../core/tensor.js');
    await initTensors(opts.backend ?? 'auto');
    const { TfjsTabularFitter } = await import('./tfjsFitter.js');
    const f = new TfjsTabularFitter(exp.model, exp.adam, config.rewardSteps);
    f.syncFromModel();
    exp.setFitter(f);
    disposeFitter = () => f.dispose();
  }
  // 3. the loop, its listeners and the checkpoint after every iteration
  const rows: Array<Record<string, number>> = dir ? dir.readMetrics() : [];
  const progress = createProgress('gridworld', config.iterations, { quiet: opts.quiet ?? false });
  const paths = new Set(config.pathIterations);
  const loop = new RlhfLoop(opts.gatherer ? { ...exp.parts(), gatherer: opts.gatherer(exp) } : exp.parts(), {
    iterations: config.iterations,
    startIteration: start,
    onIterationEnd: (it) => {
      if (paths.has(it)) exp.recordPaths(it);
      if (dir) {
        const state: CheckpointState = { ...exp.state(), elapsed: elapsed + (performance.now() - t0) / 1000 };
        dir.saveCheckpoint(it, state, exp.arrays());
      }
      if (opts.stopAfter !== undefined && it >= opts.stopAfter) {
        if (opts.stopHard) process.exit(75); // as if killed: no summary, no report, no cleanup
        return 'stop';
      }
    },
  });
  loop.on((e: IterationEvent) => {
    rows.push(e.metrics);
    if (dir) {
      dir.appendMetrics(jsonRow(e.metrics));
      dir.appendJsonl('timing.jsonl', e.timing);
    }
    progress.update(e.iteration, { goal: e.metrics['objective/goal_rate'] ?? Number.NaN, loss: e.metrics['reward/loss'] ?? Number.NaN });
  });
  if (opts.onIteration) loop.on(opts.onIteration);
  let result;
  try {
    result = await loop.run();
  } finally {
    progress.stop();
    disposeFitter?.();
  }
  if (result.stopped) return { summary: undefined, experiment: exp, metrics: rows, stopped: true, ...(dir ? { dir: dir.path } : {}) };
  // 4. summary and report
  const summary = summarize(exp, rows, elapsed + (performance.now() - t0) / 1000);
  if (dir) {
    dir.writeSummary(summary);
    if (opts.report ?? true) {
      const { writeGridworldReport } = await import('./report.js');
      await writeGridworldReport(dir.path, exp, rows, summary);
    }
  }
  return { summary, experiment: exp, metrics: rows, stopped: false, ...(dir ? { dir: dir.path } : {}) };
}
