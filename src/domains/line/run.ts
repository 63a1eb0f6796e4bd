/**
 * Runs the line RLHF loop end to end: trainer + run directory (config, metrics, checkpoint after every iteration,
 * summary) + progress bar + report. `rlhf run line` is a thin layer over runLine; benchmarks and tests call it too.
 *
 * Files (DIR = --out): config.json, metrics.jsonl (one row per iteration, deterministic given the seed),
 * checkpoint.json + checkpoint-{0,1}.safetensors, summary.json, report.html and its figures (*.svg, *.png).
 */
import { runStepped, type SteppedRunOptions, type SteppedRunResult } from '../../loop/steppedRun.js';
import { lineConfigToJson, type LineConfig } from './config.js';
import type { LineSummary } from './summary.js';
import { LINE_SUCCESS_TARGET, LineTrainer, type LineMetrics } from './train.js';

/** out, resume, quiet, report, the stop-after test hook and onIteration (src/loop/steppedRun.ts) */
export type LineRunOptions = SteppedRunOptions<LineMetrics, LineTrainer>;

export type LineRunResult = SteppedRunResult<LineMetrics, LineTrainer, LineSummary>;

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
  const tr = new LineTrainer(config);
  return runStepped(
    tr,
    {
      name: 'line',
      total: tr.iterations,
      configJson: lineConfigToJson(config),
      ignoreKeys: ['episodes'],
      progressFields: (row) => ({ success: row['objective/success_rate'], labels: row['feedback/labels'] }),
      summarize: summarizeLine,
      writeReport: async (dir, t, rows, summary) => (await import('./report.js')).writeLineReport(dir, t, rows, summary),
    },
    opts,
  );
}
