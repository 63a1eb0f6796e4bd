import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { cumulativePolicy } from '../../policy/softValueIteration.js';
import { Gridworld, ACTIONS } from './env.js';
import { allocTrajectories, rollout } from './rollout.js';

const spec = { size: 5, starts: [[0, 0]] as Array<[number, number]>, goals: [[4, 4]] as Array<[number, number]>, slip: 0, rewardEps: 1e-6 };

/** Successor distribution of (s, a) as a map. */
function successors(env: Gridworld, s: number, a: number): Map<number, number> {
  const { mdp } = env;
  const m = new Map<number, number>();
  for (let j = 0; j < mdp.width; j++) {
    const p = mdp.prob[(s * mdp.numActions + a) * mdp.width + j]!;
    if (p > 0) m.set(mdp.next[(s * mdp.numActions + a) * mdp.width + j]!, p);
  }
  return m;
}

describe('Gridworld', () => {
  it('moves as the seed does: up is y+1, right is x+1, walls clip, stay stays', () => {
    const env = new Gridworld(spec);
    expect(ACTIONS).toEqual(['up', 'right', 'down', 'left', 'stay']);
    const s = env.state(2, 2);
    expect(env.xy(s)).toEqual([2, 2]);
    const go = (a: number, from = s) => env.xy([...successors(env, from, a).keys()][0]!);
    expect(go(0)).toEqual([2, 3]);
    expect(go(1)).toEqual([3, 2]);
    expect(go(2)).toEqual([2, 1]);
    expect(go(3)).toEqual([1, 2]);
    expect(go(4)).toEqual([2, 2]);
    expect(go(2, env.state(0, 0))).toEqual([0, 0]); // down at the bottom wall
    expect(go(1, env.state(4, 1))).toEqual([4, 1]); // right at the right wall
  });

  it('slip sends a move sideways with slip/2 each; merged at walls; stay never slips', () => {
    const env = new Gridworld({ ...spec, slip: 0.2 });
    const up = successors(env, env.state(2, 2), 0);
    expect(up.get(env.state(2, 3))).toBeCloseTo(0.8, 12);
    expect(up.get(env.state(1, 2))).toBeCloseTo(0.1, 12);
    expect(up.get(env.state(3, 2))).toBeCloseTo(0.1, 12);
    const corner = successors(env, env.state(0, 0), 0); // up from (0,0): left slip hits the wall and stays
    expect(corner.get(env.state(0, 1))).toBeCloseTo(0.8, 12);
    expect(corner.get(env.state(0, 0))).toBeCloseTo(0.1, 12);
    expect(corner.get(env.state(1, 0))).toBeCloseTo(0.1, 12);
    expect(successors(env, env.state(2, 2), 4).get(env.state(2, 2))).toBeCloseTo(1, 12);
  });

  it('true reward is log(p* + ε) with the goal mass shared', () => {
    const env = new Gridworld({ ...spec, goals: [[4, 4], [0, 4]] });
    expect(env.target[env.state(4, 4)]).toBe(0.5);
    expect(env.trueReward[env.state(0, 4)]).toBeCloseTo(Math.log(0.5 + 1e-6), 12);
    expect(env.trueReward[env.state(2, 2)]).toBeCloseTo(Math.log(1e-6), 12);
    expect(Array.from(env.goalStates).sort()).toEqual([env.state(0, 4), env.state(4, 4)].sort());
  });

  it('rejects cells outside the grid and bad parameters, naming the option', () => {
    expect(() => new Gridworld({ ...spec, goals: [[9, 9]] })).toThrow(/--goal 9,9 is outside the 5×5 grid/);
    expect(() => new Gridworld({ ...spec, starts: [[-1, 0]] })).toThrow(expect.objectContaining({ key: 'start' }));
    expect(() => new Gridworld({ ...spec, size: 0 })).toThrow(expect.objectContaining({ key: 'size' }));
    expect(() => new Gridworld({ ...spec, slip: 1 })).toThrow(expect.objectContaining({ key: 'slip' }));
  });
});

describe('rollouts', () => {
  it('follow the policy and the transitions; same Rng ⇒ same trajectories', () => {
    const env = new Gridworld({ ...spec, slip: 0.3 });
    const S = env.numStates;
    // a policy that always goes right
    const policy = new Float64Array(S * 5);
    for (let s = 0; s < S; s++) policy[s * 5 + 1] = 1;
    const cdf = cumulativePolicy(policy, S, 5);
    const B = 4000;
    const t = rollout(env.mdp, cdf, env.startStates, new Rng(1), allocTrajectories(B, 1));
    expect(t.actions.every((a) => a === 1)).toBe(true);
    let straight = 0;
    let upSlip = 0;
    for (let b = 0; b < B; b++) {
      expect(t.states[b * 2]).toBe(0);
      const s1 = t.states[b * 2 + 1]!;
      if (s1 === env.state(1, 0)) straight++;
      if (s1 === env.state(0, 1)) upSlip++;
    }
    // right from (0,0): 0.7 straight, 0.15 slips up, 0.15 slips down (the wall: stays)
    expect(Math.abs(straight / B - 0.7)).toBeLessThan(4 * Math.sqrt((0.7 * 0.3) / B));
    expect(Math.abs(upSlip / B - 0.15)).toBeLessThan(4 * Math.sqrt((0.15 * 0.85) / B));
    const again = rollout(env.mdp, cdf, env.startStates, new Rng(1), allocTrajectories(B, 1));
    expect(Array.from(again.states)).toEqual(Array.from(t.states));
  });

  it('a uniform policy picks each action about equally often, starts are uniform', () => {
    const env = new Gridworld({ ...spec, starts: [[0, 0], [2, 2]] });
    const S = env.numStates;
    const cdf = cumulativePolicy(new Float64Array(S * 5).fill(0.2), S, 5);
    const t = rollout(env.mdp, cdf, env.startStates, new Rng(2), allocTrajectories(2000, 10));
    const counts = [0, 0, 0, 0, 0];
    for (const a of t.actions) counts[a]!++;
    for (const c of counts) expect(Math.abs(c / t.actions.length - 0.2)).toBeLessThan(0.015);
    let atCenter = 0;
    for (let b = 0; b < 2000; b++) if (t.states[b * 11] === env.state(2, 2)) atCenter++;
    expect(Math.abs(atCenter / 2000 - 0.5)).toBeLessThan(0.05);
  });
});
