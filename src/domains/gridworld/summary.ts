/**
 * The gridworld run's summary.json (docs/metrics.md describes each key): what `rlhf run gridworld` prints and
 * writes at the end. A type module of its own, so the run (run.ts) and the report (report.ts) both import it and not
 * each other.
 */
export interface GridworldSummary {
  goal_rate: number;
  true_return: number;
  reward_correlation: number | null;
  labels: number;
  seconds: number;
  seed: number;
  iterations: number;
  optimal_return: number;
  learned_goal_prob: number;
  learned_max_other_prob: number | null;
  first_iteration_goal_rate_half: number | null;
  goal_rate_last10: number;
  reward_loss: number;
  teacher_entropy: number;
  explore_bonus: number;
  reward_impl: string;
}
