/**
 * The line's queries for people (src/loop/people/): each asked pair of segments becomes a comparison query whose two
 * samples carry a LineSegmentPayload; and the dashboard's figure (judged vs learned reward per position and action).
 */
import { sigmoid } from '../../core/math.js';
import { comparisonQuery } from '../../feedback/types.js';
import type { FigureEvent, QueryMaker } from '../../loop/parts.js';
import type { LineBatch, LineSegment } from './batch.js';
import { NUM_ACTIONS, RIGHT } from './env.js';
import type { LineSegmentPayload } from './payload.js';

export interface LineQueryOptions {
  /** positions 0..size−1; the goal is size−1 */
  size: number;
  /**
   * [2·size] the learned reward r̂(s, a) (the ensemble mean, index s·2 + a), or undefined before the first label; shown
   * to people as the model's P(left ≻ right) = sigmoid(R̂(σˡ) − R̂(σʳ)), R̂(σ) = Σₜ r̂(sₜ, aₜ).
   */
  learnedReward?: () => ArrayLike<number> | undefined;
}

/** The payload of a segment: its positions and moves, the goal, and where its last move led. */
export function linePayload(size: number, seg: Pick<LineSegment, 'states' | 'actions'>): LineSegmentPayload {
  const goal = size - 1;
  const T = seg.states.length;
  const last = seg.states[T - 1] ?? 0;
  const end = T === 0 ? 0 : seg.actions[T - 1] === RIGHT ? Math.min(goal, last + 1) : Math.max(0, last - 1);
  return { size, goal, positions: Array.from(seg.states), actions: Array.from(seg.actions, (a) => (a === RIGHT ? 'right' : 'left')), end };
}

/** Queries about the line's segment pairs: samples[0] is the left segment, samples[1] the right one. */
export function lineQueryMaker(o: LineQueryOptions): QueryMaker<LineBatch> {
  const ret = (r: ArrayLike<number>, seg: LineSegment) => {
    let sum = 0;
    for (let t = 0; t < seg.states.length; t++) sum += r[seg.states[t]! * NUM_ACTIONS + seg.actions[t]!]!;
    return sum;
  };
  return {
    size: (b) => b.queries.length,
    query(b, i, iteration, id) {
      const { left, right } = b.queries[i]!;
      const r = o.learnedReward?.();
      const predicted = r ? sigmoid(ret(r, left) - ret(r, right)) : undefined; // P(left ≻ right) under r̂
      return comparisonQuery(id, iteration, 'line', linePayload(o.size, left), linePayload(o.size, right), predicted);
    },
  };
}

/** A table indexed s·2 + a laid out as a heatmap's rows: row a (0 left, 1 right), column s. */
export function byAction(size: number, t: ArrayLike<number>): number[] {
  return Array.from({ length: NUM_ACTIONS * size }, (_, i) => t[(i % size) * NUM_ACTIONS + Math.floor(i / size)]!);
}

/** The heatmaps of the judged and the learned reward of every (position, action): the report's and the dashboard's. */
export function lineRewardHeatmapOptions(size: number, judged: ArrayLike<number>, learned: ArrayLike<number>) {
  return {
    rows: NUM_ACTIONS,
    cols: size,
    panels: [
      { title: 'judged reward r(s, a)', values: byAction(size, judged) },
      { title: 'learned reward r̂(s, a) (ensemble mean)', values: byAction(size, learned) },
    ],
    rowTitle: 'action (0 left, 1 right)',
    colTitle: 'position',
    originBottom: false,
  };
}

/** Dashboard figure: the judged and the learned reward of every (position, action) (docs/web.md, event "heatmaps"). */
export function lineRewardHeatmaps(size: number, judged: ArrayLike<number>, learned: ArrayLike<number>, iteration: number): FigureEvent {
  return { type: 'heatmaps', data: { title: `reward after iteration ${iteration}`, ...lineRewardHeatmapOptions(size, judged, learned) } };
}
