/**
 * Runs the adder loop end to end: trainer + run directory (config, metrics, checkpoint after every epoch, summary)
 * + progress bar + report. `rlhf run adder` is a thin layer over runAdder.
 */
import { runStepped, type SteppedRunOptions, type SteppedRunResult } from '../../loop/steppedRun.js';
import type { AdderConfig } from './config.js';
import { ADDER_TARGETS, AdderTrainer, type AdderMetrics } from './train.js';

/** out, resume, quiet, report, the stop-after test hook and onIteration (src/loop/steppedRun.ts) */
export type AdderRunOptions = SteppedRunOptions<AdderMetrics, AdderTrainer>;

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

export type AdderRunResult = SteppedRunResult<AdderMetrics, AdderTrainer, AdderSummary>;

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
  return runStepped(
    new AdderTrainer(config),
    {
      name: 'adder',
      total: config.epochs,
      configJson: adderConfigToJson(config),
      ignoreKeys: ['epochs'],
      progressFields: (_row, tr) => ({ labels: tr.labels, ...(tr.lastEval ? { acc: tr.lastEval.preferenceAccuracy, mse: tr.lastEval.actionMse } : {}) }),
      summarize: (tr, _rows, seconds) => summarizeAdder(tr, seconds),
      writeReport: async (dir, tr, rows, summary) => (await import('./report.js')).writeAdderReport(dir, tr, rows, summary),
    },
    opts,
  );
}
