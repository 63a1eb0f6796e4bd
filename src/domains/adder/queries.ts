/**
 * The adder's queries for people (src/loop/people/): each asked pair becomes a comparison query "which answer is closer
 * to a + b?" whose two samples carry an AdderAnswerPayload — the greedy answer on the left, the perturbed one on the
 * right, as the teacher sees them.
 */
import { sigmoid } from '../../core/math.js';
import { comparisonQuery } from '../../feedback/types.js';
import type { QueryMaker } from '../../loop/parts.js';
import type { AdderBatch } from './batch.js';
import type { AdderAnswerPayload } from './payload.js';

export interface AdderQueryOptions {
  /**
   * r̄(a, b, x) of the learned reward for the given states and actions, or undefined before the first label; shown to
   * people as the model's P(left ≻ right) = sigmoid(r̄(s, x_l) − r̄(s, x_r)).
   */
  learnedReward?: (a: number[], b: number[], x: number[]) => ArrayLike<number> | undefined;
}

/** Queries about the adder's answer pairs: samples[0] is the left answer, samples[1] the right one. */
export function adderQueryMaker(o: AdderQueryOptions = {}): QueryMaker<AdderBatch> {
  return {
    size: (q) => q.a.length,
    query(q, i, iteration, id) {
      const a = q.a[i]!;
      const b = q.b[i]!;
      const left: AdderAnswerPayload = { a, b, x: q.xl[i]! };
      const right: AdderAnswerPayload = { a, b, x: q.xr[i]! };
      const r = o.learnedReward?.([a, a], [b, b], [left.x, right.x]);
      return comparisonQuery(id, iteration, 'adder', left, right, r ? sigmoid(r[0]! - r[1]!) : undefined); // predicted: P(left ≻ right) under r̄
    },
  };
}
