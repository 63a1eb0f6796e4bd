/** One gridworld iteration's queries, as the loop parts pass them along. */
import type { Trajectories } from './rollout.js';

/** Pair i compares row i of `left` with row i of `right`. */
export interface GridworldBatch {
  left: Trajectories;
  right: Trajectories;
  /** [2B] 1 when the trajectory came from the exploitation policy: index i = left row i, B + i = right row i */
  exploit: Uint8Array;
  /** [B] 1 when pair i is put to the judge (all pairs, or the ones the query selection chose within the budget) */
  asked: Uint8Array;
}
