/**
 * Runs the adder loop end to end: trainer + run directory (config, metrics, checkpoint after every epoch, summary)
 * + progress bar + report. `rlhf run adder` is a thin layer over runAdder.
 */
import { RunDir } from '../../loop/runDir.js';
import { createProgress } from '../../loop/progress.js';
import type { AdderConfig } from './config.js';
import { ADDER_TARGETS, AdderTrainer, type AdderMetrics, type AdderState } from './train.js';

export interface AdderRunOptions {
  out?: string;
  resume?: boolean;
  quiet?: boolean;
  /** draw the figures and report.html (default true when `out` is set) */
  report?: boolean;
  /** test hook: stop after this epoch's checkpoint (with stopHard: exit the process, as a kill would) */
  stopAfter?: number;
  stopHard?: boolean;
  onIteration?: (row: AdderMetrics, trainer: AdderTrainer) => void;
}

/** summary.json (docs/adder.md describes each key). */
export interface AdderSummary {
  /** held-out pairs (greedy vs greedy + U(−2, 2), the seed's protocol): share on the right side of ½ */
  preference_accuracy: number;
  /** held-out pairs of two actions a + b + U(−5, 5) */
  random_pair_accuracy: number;
  /** mean (a + b − x_greedy)² over the held-out states */
  action_mse: number;
  action_mae: number;
  /** 1 when both targets (accuracy ≥ 0.98, MSE ≤ 0.1) are met */
  targets_met: number;
  labels: number;
  epochs: number;
  eval_pairs: number;
  seconds: number;
  seed: number;
  preset: string;
  model: string;
  query_selection: string;
  reward_ensemble: number;
  teacher: string;
}

export interface AdderRunResult {
  summary: AdderSummary | undefined;
  trainer: AdderTrainer;
  metrics: AdderMetrics[];
  stopped: boolean;
  dir?: string;
}

interface CheckpointState {
  trainer: AdderState;
  elapsed: number;
}

export function adderConfigToJson(c: AdderConfig): Record<string, unknown> {
  const inf = (v: number) => (Number.isFinite(v) ? v : 'Infinity');
  return { ...c, labelBudget: inf(c.labelBudget), teacherConfig: { ...c.teacherConfig, beta: inf(c.teacherConfig.beta) } };
}

export function summarizeAdder(tr: AdderTrainer, seconds: number): AdderSummary {
  const c = tr.config;
  const e = tr.lastEval ?? tr.evaluate();
  return {
    preference_accuracy: e.preferenceAccuracy,
    random_pair_accuracy: e.randomPairAccuracy,
    action_mse: e.actionMse,
    action_mae: e.actionMae,
    targets_met: e.preferenceAccuracy >= ADDER_TARGETS.preferenceAccuracy && e.actionMse <= ADDER_TARGETS.actionMse ? 1 : 0,
    labels: tr.labels,
    epochs: tr.iteration,
    eval_pairs: c.evalPairs,
    seconds: Math.round(seconds * 1000) / 1000,
    seed: c.seed,
    preset: c.preset,
    model: c.model,
    query_selection: c.querySelection,
    reward_ensemble: c.rewardEnsemble,
    teacher: c.teacher,
  };
}

export async function runAdder(config: AdderConfig, opts: AdderRunOptions = {}): Promise<AdderRunResult> {
  const t0 = performance.now();
  const tr = new AdderTrainer(config);
  let dir: RunDir | undefined;
  let elapsed = 0;
  let rows: AdderMetrics[] = [];
  if (opts.out) {
    dir = RunDir.open(opts.out, adderConfigToJson(config), { resume: opts.resume ?? false, ignoreKeys: ['epochs'] });
    let start = 0;
    if (opts.resume && dir.hasCheckpoint()) {
      const ck = dir.loadCheckpoint<CheckpointState>();
      tr.restore(ck.state.trainer, ck.arrays);
      start = ck.iteration;
      elapsed = ck.state.elapsed;
    }
    dir.truncateMetrics(start);
    rows = dir.readMetrics() as unknown as AdderMetrics[];
  }
  const progress = createProgress('adder', config.epochs, { quiet: opts.quiet ?? false });
  let stopped = false;
  try {
    while (!tr.done) {
      const row = tr.step();
      rows.push(row);
      if (dir) {
        dir.appendMetrics(row as unknown as Record<string, number | null>);
        const ck = tr.checkpoint();
        dir.saveCheckpoint(tr.iteration, { trainer: ck.state, elapsed: elapsed + (performance.now() - t0) / 1000 } satisfies CheckpointState, ck.arrays);
      }
      const e = tr.lastEval;
      progress.update(tr.iteration, { labels: tr.labels, ...(e ? { acc: e.preferenceAccuracy, mse: e.actionMse } : {}) });
      opts.onIteration?.(row, tr);
      if (opts.stopAfter !== undefined && tr.iteration >= opts.stopAfter && !tr.done) {
        if (opts.stopHard) process.exit(75);
        stopped = true;
        break;
      }
    }
  } finally {
    progress.stop();
  }
  if (stopped) return { summary: undefined, trainer: tr, metrics: rows, stopped, ...(dir ? { dir: dir.path } : {}) };
  const summary = summarizeAdder(tr, elapsed + (performance.now() - t0) / 1000);
  if (dir) {
    dir.writeSummary(summary);
    if (opts.report ?? true) {
      const { writeAdderReport } = await import('./report.js');
      await writeAdderReport(dir.path, tr, rows, summary);
    }
  }
  return { summary, trainer: tr, metrics: rows, stopped, ...(dir ? { dir: dir.path } : {}) };
}
