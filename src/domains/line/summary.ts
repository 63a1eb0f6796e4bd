/**
 * The line run's summary.json (docs/line.md describes each key): what `rlhf run line` prints and writes at the
 * end, and how it is made from a finished run. A module of its own, so the run (run.ts) and the report (report.ts)
 * both import it and not each other.
 */
import type { MetricsRow } from '../../loop/parts.js';
import { LINE_SUCCESS_TARGET, type LineTrainer } from './train.js';

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

/** Builds the summary from the metrics rows and the trainer's final state. */
export function summarizeLine(tr: LineTrainer, rows: MetricsRow[], seconds: number): LineSummary {
  const c = tr.config;
  const last = rows[rows.length - 1];
  const first = rows.find((r) => (r['objective/success_rate'] ?? 0) >= LINE_SUCCESS_TARGET);
  return {
    success_rate: last?.['objective/success_rate'] ?? tr.evaluate().successRate,
    greedy_success: last?.['objective/greedy_success'] ?? 0,
    labels: tr.labels,
    labels_to_target: first ? (first['feedback/labels'] ?? null) : null,
    episodes_to_target: first ? (first.episodes ?? null) : null,
    success_target: LINE_SUCCESS_TARGET,
    episodes: tr.episodesDone,
    iterations: tr.iteration,
    reward_right_preferred: last?.['reward/right_preferred'] ?? 0,
    seconds: Math.round(seconds * 1000) / 1000,
    seed: c.seed,
    preset: c.preset,
    query_selection: c.feedback === 'comparison' ? c.querySelection : 'none',
    reward_ensemble: c.rewardEnsemble,
    teacher: c.feedback === 'comparison' ? tr.gatherer.name.replace(/^teacher:/, '') : 'env-reward',
  };
}
