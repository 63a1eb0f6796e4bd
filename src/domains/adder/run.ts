/**
 * Runs the adder loop end to end: trainer + run directory (config, metrics, checkpoint after every epoch, summary)
 * + progress bar + report. `rlhf run adder` is a thin layer over runAdder.
 */
import { runStepped, type SteppedRunOptions, type SteppedRunResult } from '../../loop/steppedRun.js';
import { adderConfigToJson, type AdderConfig } from './config.js';
import type { AdderSummary } from './summary.js';
import { ADDER_TARGETS, AdderTrainer, type AdderMetrics } from './train.js';

/** out, resume, quiet, report, the stop-after test hook and onIteration (src/loop/steppedRun.ts) */
export type AdderRunOptions = SteppedRunOptions<AdderMetrics, AdderTrainer>;

export type AdderRunResult = SteppedRunResult<AdderMetrics, AdderTrainer, AdderSummary>;

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
