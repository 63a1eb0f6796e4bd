/**
 * The line run's summary.json (docs/line.md describes each key): what `rlhf run line` prints and writes at the
 * end. A type module of its own, so the run (run.ts) and the report (report.ts) both import it and not each other.
 */
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
