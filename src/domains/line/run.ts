/**
 * Runs the line RLHF loop end to end: trainer + run directory (config, metrics, checkpoint after every iteration,
 * summary) + progress bar + report. `rlhf run line` is a thin layer over runLine; benchmarks and tests call it too.
 *
 * Files (DIR = --out): config.json, metrics.jsonl (one row per iteration, deterministic given the seed),
 * checkpoint.json + checkpoint-{0,1}.safetensors, summary.json, report.html and its figures (*.svg, *.png).
 */
import { RunDir } from '../../loop/runDir.js';
import { createProgress } from '../../loop/progress.js';
import type { LineConfig } from './config.js';
import { LINE_SUCCESS_TARGET, LineTrainer, type LineMetrics, type LineState } from './train.js';

export interface LineRunOptions {
  /** run directory; without it nothing is written */
  out?: string;
  /** continue the run in `out` from its last checkpoint */
  resume?: boolean;
  quiet?: boolean;
  /** draw the figures and report.html (default true when `out` is set) */
  report?: boolean;
  /** test hook: stop after this iteration's checkpoint (with stopHard: exit the process, as a kill would) */
  stopAfter?: number;
  stopHard?: boolean;
  /** called after every iteration with its metrics row */
  onIteration?: (row: LineMetrics, trainer: LineTrainer) => void;
}

/** summary.json (docs/line.md describes each key). */
export interface LineSummary {
  /** P(goal within evalSteps) under the final stochastic policy, computed exactly */
  success_rate: number;
  /** 1 when the greedy policy reaches the goal within evalSteps */
  greedy_success: number;
  /** labels used: comparisons asked (or, in regression mode, per-step reward targets) */
  labels: number;
  /** labels used when success_rate first reached the target (0.95); null if never */
  labels_to_target: number | null;
  /** training episodes when success_rate first reached the target; null if never */
  episodes_to_target: number | null;
  success_target: number;
  episodes: number;
  iterations: number;
  /** fraction of non-goal states where the learned reward prefers right */
  reward_right_preferred: number;
  seconds: number;
  seed: number;
  preset: string;
  query_selection: string;
  reward_ensemble: number;
  teacher: string;
}

export interface LineRunResult {
  summary: LineSummary | undefined;
  trainer: LineTrainer;
  metrics: LineMetrics[];
  stopped: boolean;
  dir?: string;
}

interface CheckpointState {
  trainer: LineState;
  /** loop seconds spent in earlier sessions */
  elapsed: number;
}

/** The config as written to config.json: Infinity (β, budget) as the string "Infinity". */
export function lineConfigToJson(c: LineConfig): Record<string, unknown> {
  const inf = (v: number) => (Number.isFinite(v) ? v : 'Infinity');
  return { ...c, labelBudget: inf(c.labelBudget), teacherConfig: { ...c.teacherConfig, beta: inf(c.teacherConfig.beta) } };
}

export function summarizeLine(tr: LineTrainer, rows: LineMetrics[], seconds: number): LineSummary {
  const c = tr.config;
  const last = rows[rows.length - 1];
  const first = rows.find((r) => r['objective/success_rate'] >= LINE_SUCCESS_TARGET);
  return {
    success_rate: last?.['objective/success_rate'] ?? tr.evaluate().successRate,
    greedy_success: last?.['objective/greedy_success'] ?? 0,
    labels: tr.labels,
    labels_to_target: first ? first['feedback/labels'] : null,
    episodes_to_target: first ? first.episodes : null,
    success_target: LINE_SUCCESS_TARGET,
    episodes: tr.episodesDone,
    iterations: tr.iteration,
    reward_right_preferred: last?.['reward/right_preferred'] ?? 0,
    seconds: Math.round(seconds * 1000) / 1000,
    seed: c.seed,
    preset: c.preset,
    query_selection: c.feedback === 'comparison' ? c.querySelection : 'none',
    reward_ensemble: c.rewardEnsemble,
    teacher: c.feedback === 'comparison' ? c.teacher : 'env-reward',
  };
}

export async function runLine(config: LineConfig, opts: LineRunOptions = {}): Promise<LineRunResult> {
  const t0 = performance.now();
  const tr = new LineTrainer(config);
  // 1. the run directory (new, or the checkpoint of an earlier session)
  let dir: RunDir | undefined;
  let elapsed = 0;
  let rows: LineMetrics[] = [];
  if (opts.out) {
    dir = RunDir.open(opts.out, lineConfigToJson(config), { resume: opts.resume ?? false, ignoreKeys: ['episodes'] });
    let start = 0;
    if (opts.resume && dir.hasCheckpoint()) {
      const ck = dir.loadCheckpoint<CheckpointState>();
      tr.restore(ck.state.trainer, ck.arrays);
      start = ck.iteration;
      elapsed = ck.state.elapsed;
    }
    dir.truncateMetrics(start);
    rows = dir.readMetrics() as unknown as LineMetrics[];
  }
  // 2. the loop, a checkpoint after every iteration
  const progress = createProgress('line', tr.iterations, { quiet: opts.quiet ?? false });
  let stopped = false;
  try {
    while (!tr.done) {
      const row = tr.step();
      rows.push(row);
      if (dir) {
        dir.appendMetrics(row as unknown as Record<string, number | null>);
        const ck = tr.checkpoint();
        const state: CheckpointState = { trainer: ck.state, elapsed: elapsed + (performance.now() - t0) / 1000 };
        dir.saveCheckpoint(tr.iteration, state, ck.arrays);
      }
      progress.update(tr.iteration, { success: row['objective/success_rate'], labels: row['feedback/labels'] });
      opts.onIteration?.(row, tr);
      if (opts.stopAfter !== undefined && tr.iteration >= opts.stopAfter && !tr.done) {
        if (opts.stopHard) process.exit(75); // as if killed: no summary, no report
        stopped = true;
        break;
      }
    }
  } finally {
    progress.stop();
  }
  if (stopped) return { summary: undefined, trainer: tr, metrics: rows, stopped, ...(dir ? { dir: dir.path } : {}) };
  // 3. summary and report
  const summary = summarizeLine(tr, rows, elapsed + (performance.now() - t0) / 1000);
  if (dir) {
    dir.writeSummary(summary);
    if (opts.report ?? true) {
      const { writeLineReport } = await import('./report.js');
      await writeLineReport(dir.path, tr, rows, summary);
    }
  }
  return { summary, trainer: tr, metrics: rows, stopped, ...(dir ? { dir: dir.path } : {}) };
}
