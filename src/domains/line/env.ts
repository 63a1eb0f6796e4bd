/**
 * The line: positions 0..size−1, start at 0, actions left (0) / right (1), the goal at the right end (size−1).
 * Moving past an end leaves the position unchanged. An episode ends at the goal (or at a step cap).
 *
 * Two rewards:
 *   environment reward  r_env = 1[s′ = goal]                       (the seed's sparse reward)
 *   judged reward       r = 1[s′ = goal] + (s′ − s)                (what a judge watching two runs prefers:
 *                       the one that got further, in cells, and reaching the goal; the progress term is
 *                       potential-based shaping, Ng et al. 1999, so it keeps the optimal policy. Its unit, one
 *                       cell, sets the scale of the noisy teacher's β: P = sigmoid(β ΔR))
 * The simulated teacher compares segments by their judged rewards; the agent never sees either reward.
 */
import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';

export const LEFT = 0;
export const RIGHT = 1;
export const NUM_ACTIONS = 2;

export class LineEnv {
  readonly goal: number;
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 2) throw new ConfigError('size', `--size must be an integer ≥ 2, got ${size}`);
    this.goal = size - 1;
  }

  /** s′ = clamp(s ± 1, 0, size − 1) */
  next(s: number, a: number): number {
    return a === RIGHT ? Math.min(this.goal, s + 1) : Math.max(0, s - 1);
  }

  envReward(next: number): number {
    return next === this.goal ? 1 : 0;
  }

  /** r = 1[s′ = goal] + (s′ − s) */
  judgedReward(s: number, next: number): number {
    return (next === this.goal ? 1 : 0) + (next - s);
  }

  /** Index of the (state, action) pair in a table of size × 2. */
  pairIndex(s: number, a: number): number {
    return s * NUM_ACTIONS + a;
  }
}

/** One episode: states s₀..s_{T−1}, actions a₀..a_{T−1} (s_{t+1} = next(s_t, a_t)). */
export interface Episode {
  states: Int32Array;
  actions: Uint8Array;
  /** r_t judged reward of step t */
  judged: Float64Array;
  /** Σ r_env: 1 when the goal was reached */
  envReturn: number;
  reachedGoal: boolean;
}

/** An episode record from its states and actions (the rewards follow from them). */
export function episodeFrom(env: LineEnv, states: Int32Array, actions: Uint8Array): Episode {
  const judged = new Float64Array(states.length);
  let envReturn = 0;
  let last = 0;
  for (let t = 0; t < states.length; t++) {
    const s2 = env.next(states[t]!, actions[t]!);
    judged[t] = env.judgedReward(states[t]!, s2);
    envReturn += env.envReward(s2);
    last = s2;
  }
  return { states, actions, judged, envReturn, reachedGoal: last === env.goal };
}

/** One episode from 0 under a fixed policy P(right | s) = pRight[s], until the goal or `maxSteps` steps. */
export function rollout(env: LineEnv, pRight: ArrayLike<number>, maxSteps: number, rng: Rng): Episode {
  const states: number[] = [];
  const actions: number[] = [];
  let s = 0;
  for (let t = 0; t < maxSteps; t++) {
    const a = rng.uniform() < pRight[s]! ? RIGHT : LEFT;
    states.push(s);
    actions.push(a);
    s = env.next(s, a);
    if (s === env.goal) break;
  }
  return episodeFrom(env, Int32Array.from(states), Uint8Array.from(actions));
}

/**
 * Exact probability of reaching the goal within `steps` steps from 0 under a stochastic policy
 * with P(right | s) = pRight[s]: propagate the distribution over not-yet-finished positions.
 */
export function successProbability(env: LineEnv, pRight: ArrayLike<number>, steps: number): number {
  let dist = new Float64Array(env.size);
  dist[0] = 1;
  let done = 0;
  for (let t = 0; t < steps; t++) {
    const nd = new Float64Array(env.size);
    for (let s = 0; s < env.goal; s++) {
      const m = dist[s]!;
      if (m === 0) continue;
      const pr = pRight[s]!;
      nd[env.next(s, RIGHT)]! += m * pr;
      nd[env.next(s, LEFT)]! += m * (1 - pr);
    }
    done += nd[env.goal]!;
    nd[env.goal] = 0;
    dist = nd;
  }
  return done;
}

/** Whether the greedy policy (argmax, ties → right) reaches the goal within `steps`. */
export function greedySuccess(env: LineEnv, pRight: ArrayLike<number>, steps: number): boolean {
  let s = 0;
  for (let t = 0; t < steps; t++) {
    s = env.next(s, pRight[s]! >= 0.5 ? RIGHT : LEFT);
    if (s === env.goal) return true;
  }
  return false;
}
