/**
 * The line's measurements (loop step 6): the exact probability that the policy reaches the goal within `evalSteps`
 * steps, whether the greedy policy does, the policy's mean entropy, and how the learned reward ranks the two moves.
 */
import { meanAndStd } from '../../reward/ensemble.js';
import { LEFT, NUM_ACTIONS, RIGHT, greedySuccess, successProbability, type LineEnv } from './env.js';

export interface LinePolicyEval {
  /** P(goal within evalSteps) under the stochastic policy, exact */
  successRate: number;
  greedySuccess: boolean;
  /** mean over the non-goal positions of H(π(·|s)) */
  entropy: number;
  /** P(right | s), [size] */
  pRight: Float64Array;
}

/** Success (exact and greedy) and mean entropy of the policy P(right | s) = pRight[s]. */
export function evaluatePolicy(env: LineEnv, pRight: Float64Array, evalSteps: number): LinePolicyEval {
  let H = 0;
  for (let s = 0; s < env.goal; s++) {
    const q = pRight[s]!;
    H -= (q > 0 ? q * Math.log(q) : 0) + (q < 1 ? (1 - q) * Math.log(1 - q) : 0);
  }
  return { successRate: successProbability(env, pRight, evalSteps), greedySuccess: greedySuccess(env, pRight, evalSteps), entropy: H / env.goal, pRight };
}

/**
 * How the reward members rank right against left: gap_k(s) = r̂_k(s, right) − r̂_k(s, left) over the non-goal
 * positions; rightPreferred = share of positions where the mean gap is > 0 (truth: 1), disagreement = mean over
 * positions of the members' std of the gap.
 */
export function rewardGapStats(env: LineEnv, tables: Float64Array[]): { rightPreferred: number; disagreement: number } {
  const gaps = tables.map((r) => Float64Array.from({ length: env.goal }, (_, s) => r[s * NUM_ACTIONS + RIGHT]! - r[s * NUM_ACTIONS + LEFT]!));
  const ms = meanAndStd(gaps);
  let right = 0;
  let dis = 0;
  for (let s = 0; s < env.goal; s++) {
    if (ms.mean[s]! > 0) right++;
    dis += ms.std[s]! / env.goal;
  }
  return { rightPreferred: right / env.goal, disagreement: dis };
}
