/**
 * The text loop's queries: a round of feedback is a batch of pairs of continuations of one prompt each; the simulated
 * AFINN judge (run.ts) or people (src/loop/people/) answer each pair with μ = P(left ≻ right). People see each pair as
 * a comparison query whose two samples carry a TextSamplePayload (web/src/renderers/text.tsx draws prompt +
 * continuation, the comparison page puts them side by side with the usual keys ← → ↓ space).
 */
import { comparisonQuery, type Query } from '../../../feedback/types.js';
import type { QueryMaker } from '../../../loop/parts.js';
import type { TextSamplePayload } from '../payload.js';

/** Two continuations of one prompt, as a judge reads them. */
export interface TextPairToJudge {
  prompt: string;
  left: string;
  right: string;
}

/** One round of feedback: the pairs, in order (label i answers pairs[i]). */
export interface TextPairBatch {
  pairs: TextPairToJudge[];
}

/** Comparison queries about text pairs: samples[0] (left) = pair.left, samples[1] (right) = pair.right. */
export const textQueryMaker: QueryMaker<TextPairBatch> = {
  size: (b) => b.pairs.length,
  query(b, i, iteration, id): Query<TextSamplePayload> {
    const p = b.pairs[i]!;
    return comparisonQuery<TextSamplePayload>(id, iteration, 'text', { prompt: p.prompt, continuation: p.left }, { prompt: p.prompt, continuation: p.right });
  },
};
