/** Rating: one sample, thumbs up (↑ or +) / thumbs down (↓ or −), u undo. Stored as value 1 / 0. */
import { useKeys } from '../keys.js';
import { rendererFor } from '../renderers/index.js';
import type { ViewProps } from './Comparison.js';
import { KeyButton, PredictedValue } from './common.js';

export function RatingView({ query, busy, canUndo, submit, undo }: ViewProps) {
  const sample = query.samples[0];
  const rate = (value: 1 | 0) => {
    if (!busy && sample) submit({ kind: 'rating', sampleId: sample.id, value }, value === 1 ? 'thumbs up' : 'thumbs down');
  };
  useKeys({ ArrowUp: () => rate(1), '+': () => rate(1), '=': () => rate(1), ArrowDown: () => rate(0), '-': () => rate(0), u: undo });
  if (!sample) return <p role="alert">This rating query has no sample.</p>;
  const R = rendererFor(sample);
  return (
    <section class="rating" aria-label="Is this good?">
      <h2 class="question">Is this good?</h2>
      <div class="single">
        <R.View sample={sample} label="Sample to rate" size="large" />
      </div>
      <PredictedValue p={query.predicted} what="P(👍)" />
      <div class="actions" role="group" aria-label="Your judgement">
        <KeyButton keyLabel="↑" onClick={() => rate(1)} disabled={busy} kind="primary" testid="thumbs-up">
          <span aria-hidden="true">👍</span> Good
        </KeyButton>
        <KeyButton keyLabel="u" onClick={undo} disabled={busy || !canUndo} testid="undo">
          Undo
        </KeyButton>
        <KeyButton keyLabel="↓" onClick={() => rate(0)} disabled={busy} kind="primary" testid="thumbs-down">
          <span aria-hidden="true">👎</span> Bad
        </KeyButton>
      </div>
    </section>
  );
}
