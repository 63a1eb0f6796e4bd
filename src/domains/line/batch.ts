/**
 * What one iteration of the line passes between its parts (sampler → judge → reward fit → policy update): the episodes
 * rolled out, and the segment pairs asked about. Types only.
 */
import type { Episode } from './env.js';

/** A compared segment: steps t₀..t₁−1 of an episode. */
export interface LineSegment {
  /** n_σ(s, a): how often the segment takes action a at position s, [2·size] (index s·2 + a) */
  counts: Float64Array;
  /** the judged reward of each step (what the simulated teacher compares), [T] */
  judged: Float64Array;
  /** positions s_t and actions a_t (0 left, 1 right) of the steps, [T] each (what people see) */
  states: Int32Array;
  actions: Uint8Array;
}

/** One query: which of two segments is better. */
export interface LineQuery {
  left: LineSegment;
  right: LineSegment;
}

export interface LineBatch {
  /** this iteration's episodes, rolled out with the policy of its start */
  episodes: Episode[];
  /** the queries asked this iteration (after the query selection; empty when the budget is spent) */
  queries: LineQuery[];
}
