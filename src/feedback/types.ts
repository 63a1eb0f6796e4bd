/**
 * Judgements and queries: what judges (people or simulated teachers) see and say.
 * Every domain's samples are opaque JSON payloads here; a domain's renderer knows how to draw them.
 */

/** What a judge is asked about. `id` is the idempotency key for judgements. */
export type QueryKind = 'rating' | 'comparison' | 'ranking' | 'correction';

export interface Sample<P = unknown> {
  /** unique within a run */
  id: string;
  /** the domain that made it ("gridworld", "text", ...) */
  domain: string;
  /** domain-specific content (a trajectory, an image, a prompt + continuation) */
  payload: P;
}

export interface Query<P = unknown> {
  id: string;
  runId: string;
  kind: QueryKind;
  /** the samples shown: 1 for rating/correction, 2 for comparison (left, right), ≥ 2 for ranking */
  samples: Sample<P>[];
  /** iteration of the loop that made it */
  iteration: number;
  /** optional model prediction shown to people, e.g. P(left ≻ right) */
  predicted?: number;
}

/**
 * A comparison query about two samples of a domain, as every domain's query maker builds it: samples[0] is the left
 * one (`<id>:L`), samples[1] the right one (`<id>:R`); `predicted` is the model's P(left ≻ right), when it has one.
 * runId is filled in when the query is posted.
 */
export function comparisonQuery<P>(id: string, iteration: number, domain: string, left: P, right: P, predicted?: number): Query<P> {
  const q: Query<P> = {
    id,
    runId: '',
    kind: 'comparison',
    iteration,
    samples: [
      { id: `${id}:L`, domain, payload: left },
      { id: `${id}:R`, domain, payload: right },
    ],
  };
  if (predicted !== undefined) q.predicted = predicted;
  return q;
}

export type Preference = 'left' | 'right' | 'tie' | 'skip';

export type Judgement =
  | { kind: 'rating'; sampleId: string; value: number } // thumbs: 1 up, 0 down; or a 1..K scale
  | { kind: 'comparison'; leftId: string; rightId: string; preferred: Preference }
  | { kind: 'ranking'; sampleIds: string[] } // best first
  | { kind: 'correction'; sampleId: string; label: string | number; correct?: boolean };

/** A judgement with its provenance, as stored. */
export interface JudgementRecord {
  queryId: string;
  runId: string;
  /** who judged: an annotator's name, or "teacher:<name>" for a simulated one */
  annotator: string;
  judgement: Judgement;
  /** ISO 8601 */
  createdAt: string;
}

/** The Bradley–Terry target μ = P(left ≻ right) of a comparison; undefined for a skip. */
export function comparisonTarget(p: Preference): number | undefined {
  switch (p) {
    case 'left':
      return 1;
    case 'right':
      return 0;
    case 'tie':
      return 0.5;
    case 'skip':
      return undefined;
  }
}
