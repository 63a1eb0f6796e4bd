/**
 * The arithmetic run's summary.json (docs/arithmetic.md describes each key). A module of its own, so the run and the
 * report both import it and not each other.
 */
import type { MetricsRow } from '../../loop/parts.js';
import type { ArithmeticConfig } from './config.js';
import type { ArithmeticEval } from './trainer.js';

export interface ArithmeticSummary {
  /** greedy exact-match accuracy on the held-out problems before the first step */
  accuracy_before: number;
  /** the same after the last step */
  accuracy_after: number;
  /** accuracy_after − accuracy_before */
  accuracy_gain: number;
  /** KL(π ‖ π_ref) after the last step, nats per completion (exact over the vocabulary, on sampled completions) */
  kl: number;
  /** labels from judges: 0, the reward is a function */
  labels: number;
  /** wall-clock seconds of the steps and evaluations (all sessions of a resumed run) */
  seconds: number;
  seed: number;
  optimizer: string;
  iterations: number;
  /** held-out problems of the accuracy */
  eval_problems: number;
  /** share of exact answers among the completions sampled in the last 10 steps (training problems, temperature T) */
  train_accuracy_last10: number;
  /** completions generated in the whole run */
  completions: number;
  reward_fns: string[];
}

export function summarizeArithmetic(c: ArithmeticConfig, before: ArithmeticEval, last: ArithmeticEval, rows: readonly MetricsRow[], seconds: number): ArithmeticSummary {
  const tail = rows.slice(-10).map((r) => r['objective/accuracy']).filter((v): v is number => typeof v === 'number');
  return {
    accuracy_before: before.accuracy,
    accuracy_after: last.accuracy,
    accuracy_gain: last.accuracy - before.accuracy,
    kl: last.kl,
    labels: 0,
    seconds: Math.round(seconds * 1000) / 1000,
    seed: c.seed,
    optimizer: c.optimizer,
    iterations: rows.length,
    eval_problems: c.evalProblems,
    train_accuracy_last10: tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : Number.NaN,
    completions: rows.length * c.prompts * c.generations,
    reward_fns: [...c.rewardFns],
  };
}
