/**
 * The line's simulated judge (loop step 3): a B-Pref teacher compares the two segments of each query by their judged
 * rewards r = 1[s′ = goal] + (s′ − s) (env.ts). Its answer per query is μ = P(left ≻ right) (1, 0 or ½), null for a
 * skip.
 */
import { comparisonTarget } from '../../feedback/types.js';
import type { Gatherer, Label } from '../../loop/parts.js';
import type { BPrefTeacher } from '../../teachers/bpref.js';
import type { LineBatch } from './batch.js';

export class LineTeacher implements Gatherer<LineBatch> {
  readonly name: string;
  constructor(readonly teacher: BPrefTeacher) {
    this.name = teacher.name;
  }

  gather(batch: LineBatch): Label[] {
    const labels = this.teacher.labelBatch(batch.queries.map((q) => ({ left: q.left.judged, right: q.right.judged })));
    return labels.map((l) => comparisonTarget(l) ?? null);
  }
}
