/**
 * The gridworld of the seed (an RLHF gridworld agent): an N×N grid, 5 actions, optional slip, any start states and
 * goal set, and a true reward that is the log of a target distribution over states.
 *
 * Coordinates are (x, y) with x to the right and y up, as in the seed ("up" is y + 1). State index s = y·N + x, so a
 * state array read row-major is a map with row y (row 0 at the bottom when drawn with the origin down).
 * Slip: with probability `slip` a move goes sideways instead, half to each perpendicular side (the seed's `error`);
 * moves into a wall stay put; "stay" never slips.
 * True reward: r(s) = log(p*(s) + ε), p* uniform over the goals (ε = 1e-6 as in the seed, so other states get log ε).
 */
import { ConfigError } from '../../core/errors.js';
import type { TabularMdp } from '../../policy/softValueIteration.js';

export const ACTIONS = ['up', 'right', 'down', 'left', 'stay'] as const;
export type ActionName = (typeof ACTIONS)[number];
/** (dx, dy) of each action */
const MOVES: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [1, 0],
  [0, -1],
  [-1, 0],
  [0, 0],
];

export interface GridworldSpec {
  /** N: the grid is N×N, N ≥ 1 */
  size: number;
  /** start cells (x, y); an episode starts at one of them uniformly */
  starts: Array<[number, number]>;
  /** goal cells (x, y); the target distribution is uniform over them */
  goals: Array<[number, number]>;
  /** probability a move slips sideways, in [0, 1) */
  slip: number;
  /** ε in r(s) = log(p*(s) + ε), > 0 */
  rewardEps: number;
}

export class Gridworld {
  readonly size: number;
  readonly numStates: number;
  readonly numActions = ACTIONS.length;
  readonly mdp: TabularMdp;
  /** [S] true reward r(s) = log(p*(s) + ε) */
  readonly trueReward: Float64Array;
  /** [S] target distribution p* */
  readonly target: Float64Array;
  /** [S] 1 on goal states */
  readonly isGoal: Uint8Array;
  /** start states (indices) */
  readonly startStates: Int32Array;
  readonly goalStates: Int32Array;
  readonly spec: GridworldSpec;

  constructor(spec: GridworldSpec) {
    const N = spec.size;
    if (!(Number.isInteger(N) && N >= 1)) throw new ConfigError('size', `grid size must be an integer ≥ 1, got ${N}`);
    if (!(spec.slip >= 0 && spec.slip < 1)) throw new ConfigError('slip', `slip probability must be in [0, 1), got ${spec.slip}`);
    if (!(spec.rewardEps > 0)) throw new ConfigError('reward-eps', `reward ε must be > 0, got ${spec.rewardEps}`);
    if (spec.goals.length === 0) throw new ConfigError('goal', 'need at least one goal cell');
    if (spec.starts.length === 0) throw new ConfigError('start', 'need at least one start cell');
    const check = (key: string, [x, y]: [number, number]) => {
      if (!(Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < N && y < N))
        throw new ConfigError(key, `--${key} ${x},${y} is outside the ${N}×${N} grid (x and y must be in 0..${N - 1})`);
    };
    spec.goals.forEach((g) => check('goal', g));
    spec.starts.forEach((s) => check('start', s));
    this.spec = spec;
    this.size = N;
    this.numStates = N * N;
    const S = this.numStates;
    this.goalStates = Int32Array.from(new Set(spec.goals.map(([x, y]) => this.state(x, y))));
    this.startStates = Int32Array.from(spec.starts.map(([x, y]) => this.state(x, y)));
    this.isGoal = new Uint8Array(S);
    this.target = new Float64Array(S);
    for (const g of this.goalStates) {
      this.isGoal[g] = 1;
      this.target[g] = 1 / this.goalStates.length;
    }
    this.trueReward = this.target.map((p) => Math.log(p + spec.rewardEps));
    this.mdp = this.buildMdp();
  }

  state(x: number, y: number): number {
    return y * this.size + x;
  }

  xy(s: number): [number, number] {
    return [s % this.size, Math.floor(s / this.size)];
  }

  /** The cell reached by moving (dx, dy) from s, clipped at the walls. */
  private moved(s: number, dx: number, dy: number): number {
    const [x, y] = this.xy(s);
    const nx = Math.min(this.size - 1, Math.max(0, x + dx));
    const ny = Math.min(this.size - 1, Math.max(0, y + dy));
    return this.state(nx, ny);
  }

  /** Sparse transitions: intended move with 1 − slip, each perpendicular move with slip/2 (merged when they coincide). */
  private buildMdp(): TabularMdp {
    const S = this.numStates;
    const A = this.numActions;
    const K = this.spec.slip > 0 ? 3 : 1;
    const next = new Int32Array(S * A * K);
    const prob = new Float64Array(S * A * K);
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < A; a++) {
        const [dx, dy] = MOVES[a]!;
        const outcomes: Array<[number, number]> = [[this.moved(s, dx, dy), 1 - this.spec.slip]];
        if (K === 3) {
          // perpendicular moves: (dy, dx) and (−dy, −dx); for "stay" both are (0, 0)
          outcomes.push([this.moved(s, dy, dx), this.spec.slip / 2], [this.moved(s, -dy, -dx), this.spec.slip / 2]);
        }
        const merged = new Map<number, number>();
        for (const [t, p] of outcomes) merged.set(t, (merged.get(t) ?? 0) + p);
        let j = 0;
        const base = (s * A + a) * K;
        for (const [t, p] of merged) {
          next[base + j] = t;
          prob[base + j] = p;
          j++;
        }
        for (; j < K; j++) next[base + j] = s; // padding, probability 0
      }
    }
    return { numStates: S, numActions: A, width: K, next, prob };
  }
}
