/**
 * The gridworld run's summary.json (docs/metrics.md describes each key): what `rlhf run gridworld` prints and writes at
 * the end, and how it is made from a finished run. A module of its own, so the run (run.ts) and the report (report.ts)
 * both import it and not each other.
 */
import type { MetricsRow } from '../../loop/parts.js';
import type { GridworldExperiment } from './experiment.js';
import { pearson } from './reward.js';

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

function finiteOr<T>(v: number | null | undefined, alt: T): number | T {
  return v !== undefined && v !== null && Number.isFinite(v) ? v : alt;
}

/** Builds the summary from the metrics rows and the experiment's final state. */
export function summarize(exp: GridworldExperiment, rows: MetricsRow[], seconds: number): GridworldSummary {
  const c = exp.config;
  const last = rows[rows.length - 1] ?? {};
  const dist = exp.reward.learnedDistribution();
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
