/**
 * The gridworld's queries for people (src/loop/people/): each asked pair of trajectories becomes a comparison query
 * whose samples carry a GridTrajectoryPayload; and the dashboard's figures (reward heatmaps, sample paths).
 */
import { sigmoid } from '../../core/math.js';
import { comparisonQuery } from '../../feedback/types.js';
import type { FigureEvent, QueryMaker } from '../../loop/parts.js';
import type { GridworldBatch } from './batch.js';
import type { Cell, GridTrajectoryPayload } from './payload.js';

export interface GridworldQueryOptions {
  /** N of the N×N grid; state index s = y·N + x */
  size: number;
  /** start and goal cells as (x, y) */
  starts: Array<[number, number]>;
  goals: Array<[number, number]>;
  /**
   * [S] the learned per-state reward r_θ (log softmax θ), or undefined before the first fit; shown to people as the
   * model's P(left ≻ right) = sigmoid(R_θ(left) − R_θ(right)), R_θ(σ) = Σ_{t<H} r_θ(s_t).
   */
  learnedReward?: () => ArrayLike<number> | undefined;
}

/** The trajectory shapes of a gridworld batch (structurally GridworldBatch: pair i = row i of left and right). */
export interface TrajectoryPairBatch {
  left: Pick<GridworldBatch['left'], 'batch' | 'horizon' | 'states'>;
  right: Pick<GridworldBatch['right'], 'batch' | 'horizon' | 'states'>;
}

/**
 * Queries about gridworld trajectory pairs. People see the states s₀..s_{H−1} of each trajectory, exactly the states
 * the Bradley–Terry fit counts (countComparisons uses the first H of the H + 1 states).
 */
export function gridworldQueryMaker(o: GridworldQueryOptions): QueryMaker<TrajectoryPairBatch> {
  const N = o.size;
  const toCell = (s: number): Cell => [Math.floor(s / N), s % N];
  const xy = ([x, y]: [number, number]): Cell => [y, x];
  const payload = (states: Int32Array, i: number, H: number): GridTrajectoryPayload => {
    const row = states.subarray(i * (H + 1), i * (H + 1) + H);
    return { rows: N, cols: N, cells: Array.from(row, toCell), start: xy(o.starts[0]!), goals: o.goals.map(xy), originBottom: true };
  };
  const ret = (r: ArrayLike<number>, states: Int32Array, i: number, H: number) => {
    let sum = 0;
    for (let t = 0; t < H; t++) sum += r[states[i * (H + 1) + t]!]!;
    return sum;
  };
  return {
    size: (b) => b.left.batch,
    query(b, i, iteration, id) {
      const H = b.left.horizon;
      const r = o.learnedReward?.();
      const predicted = r ? sigmoid(ret(r, b.left.states, i, H) - ret(r, b.right.states, i, H)) : undefined; // P(left ≻ right) under r_θ
      return comparisonQuery(id, iteration, 'gridworld', payload(b.left.states, i, H), payload(b.right.states, i, H), predicted);
    },
  };
}

/** Dashboard figure: heatmaps of the true and learned reward (docs/web.md, event "heatmaps"). */
export function gridRewardHeatmaps(size: number, trueReward: ArrayLike<number>, learnedReward: ArrayLike<number>, iteration: number): FigureEvent {
  return {
    type: 'heatmaps',
    data: {
      title: `reward after iteration ${iteration}`,
      rows: size,
      cols: size,
      panels: [
        { title: 'true reward', values: Array.from(trueReward) },
        { title: 'learned reward', values: Array.from(learnedReward) },
      ],
    },
  };
}

/** Dashboard figure: a few paths of the batch (docs/web.md, event "paths"). */
export function gridSamplePaths(
  size: number,
  batch: TrajectoryPairBatch,
  iteration: number,
  markers: { starts: Array<[number, number]>; goals: Array<[number, number]> },
  count = 4,
): FigureEvent {
  const N = size;
  const H = batch.left.horizon;
  const paths = Array.from({ length: Math.min(count, batch.left.batch) }, (_, i) => ({
    points: Array.from(batch.left.states.subarray(i * (H + 1), (i + 1) * (H + 1)), (st) => [st % N, Math.floor(st / N)]),
  }));
  return {
    type: 'paths',
    data: {
      cols: N,
      rows: N,
      panels: [{ title: `iteration ${iteration}: sample paths`, paths }],
      markers: [...markers.starts.map(([x, y]) => ({ x, y, kind: 'start' })), ...markers.goals.map(([x, y]) => ({ x, y, kind: 'goal' }))],
      size: 220,
    },
  };
}
