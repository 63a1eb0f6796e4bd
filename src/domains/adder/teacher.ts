/**
 * The adder's simulated judge (loop step 3): a B-Pref teacher compares the two actions of each query as one-step
 * segments with the true reward r*(s, x) = −|a + b − x| ("which answer is closer to a + b?"). Its answer per query is
 * μ = P(left ≻ right) (1, 0 or ½), null for a skip.
 */
import { comparisonTarget } from '../../feedback/types.js';
import type { Gatherer, Label } from '../../loop/parts.js';
import type { BPrefTeacher } from '../../teachers/bpref.js';
import type { AdderBatch } from './batch.js';

/** r*(s, x) = −|a + b − x| */
export function trueReward(a: number, b: number, x: number): number {
  return -Math.abs(a + b - x);
}

export class AdderTeacher implements Gatherer<AdderBatch> {
  readonly name: string;
  constructor(readonly teacher: BPrefTeacher) {
    this.name = teacher.name;
  }

  gather(q: AdderBatch): Label[] {
    const pairs = Array.from(q.a, (a, i) => ({ left: [trueReward(a, q.b[i]!, q.xl[i]!)], right: [trueReward(a, q.b[i]!, q.xr[i]!)] }));
    return this.teacher.labelBatch(pairs).map((l) => comparisonTarget(l) ?? null);
  }
}
