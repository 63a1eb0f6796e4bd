/**
 * The adder run's summary.json (docs/adder.md describes each key): what `rlhf run adder` prints and writes at the
 * end. A type module of its own, so the run (run.ts) and the report (report.ts) both import it and not each other.
 */
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
