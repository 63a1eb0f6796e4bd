/** Small builders of test queries and judgements shared by the store and server tests. */
import type { Judgement, Query } from '../../src/feedback/types.js';

/** A gridworld comparison query with samples `<id>-a` (left) and `<id>-b` (right). */
export function cmpQuery(id: string, iteration = 0, runId = 'r1'): Query {
  return {
    id,
    runId,
    kind: 'comparison',
    iteration,
    samples: [
      { id: `${id}-a`, domain: 'gridworld', payload: { path: [0, 1, 2] } },
      { id: `${id}-b`, domain: 'gridworld', payload: { path: [0, 5, 10] } },
    ],
  };
}

/** The comparison judgement answering `q` with `preferred`. */
export function prefer(q: Query, preferred: 'left' | 'right' | 'tie' | 'skip'): Judgement {
  return { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred };
}
