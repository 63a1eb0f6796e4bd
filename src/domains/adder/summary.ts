/**
 * The adder run's summary.json (docs/adder.md describes each key): what `rlhf run adder` prints and writes at the
 * end, and how it is made from a finished run. A module of its own, so the run (run.ts) and the report (report.ts)
 * both import it and not each other.
 */
import { ADDER_TARGETS, type AdderTrainer } from './train.js';

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

/** Builds the summary from the trainer's final state (its last held-out evaluation). */
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
    teacher: tr.gatherer.name.replace(/^teacher:/, ''),
  };
}
