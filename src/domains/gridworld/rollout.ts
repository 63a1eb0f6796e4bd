/**
 * Batched rollouts in typed arrays: B trajectories of H steps under a stationary tabular policy, drawn with our Rng.
 * Per step and trajectory: one uniform picks the action (inverse CDF of the policy row), one more picks the successor
 * when the move can slip. A trajectory stores the states s₀..s_H (H + 1 entries: s₀ the start, s_H the final state).
 */
import type { Rng } from '../../core/rng.js';
import type { TabularMdp } from '../../policy/softValueIteration.js';

export interface Trajectories {
  batch: number;
  horizon: number;
  /** [B, H + 1] states s₀..s_H */
  states: Int32Array;
  /** [B, H] actions a₀..a_{H−1} */
  actions: Int32Array;
}

export function allocTrajectories(batch: number, horizon: number): Trajectories {
  return { batch, horizon, states: new Int32Array(batch * (horizon + 1)), actions: new Int32Array(batch * horizon) };
}

/**
 * Rolls out `out.batch` trajectories. `cdf` is the cumulative policy [S, A] (cumulativePolicy), `starts` the start
 * states (chosen uniformly). Writes into `out` and returns it.
 */
export function rollout(mdp: TabularMdp, cdf: Float64Array, starts: Int32Array, rng: Rng, out: Trajectories): Trajectories {
  const { batch: B, horizon: H, states, actions } = out;
  const A = mdp.numActions;
  const K = mdp.width;
  const { next, prob } = mdp;
  const stride = H + 1;
  for (let b = 0; b < B; b++) {
    let s = starts.length === 1 ? starts[0]! : starts[rng.int(starts.length)]!;
    states[b * stride] = s;
    for (let t = 0; t < H; t++) {
      // a ~ π(·|s): the first a with u < CDF(a)
      const u = rng.uniform();
      const row = s * A;
      let a = 0;
      while (a < A - 1 && u >= cdf[row + a]!) a++;
      actions[b * H + t] = a;
      // s' ~ P(·|s, a)
      const i = (row + a) * K;
      if (K === 1) {
        s = next[i]!;
      } else {
        let v = rng.uniform();
        let j = 0;
        while (j < K - 1 && v >= prob[i + j]!) {
          v -= prob[i + j]!;
          j++;
        }
        s = next[i + j]!;
      }
      states[b * stride + t + 1] = s;
    }
  }
  return out;
}
