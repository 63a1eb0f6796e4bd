/** Rating: one sample, 👍 thumbs up (↑ or +) / 👎 thumbs down (↓ or −), u undo. Stored as value 1 / 0. */
import { useKeys } from '../keys.js';
import { rendererFor } from '../renderers/index.js';
import type { ViewProps } from './Comparison.js';
import { KeyButton, PredictedValue } from './common.js';

/** A thumb drawn as SVG (emoji fonts are missing on many Linux machines). */
function Thumb({ down }: { down?: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" class="thumb">
      <g transform={down ? 'rotate(180 12 12)' : undefined} fill="currentColor">
        <rect x="2" y="10" width="4" height="11" rx="1" />
        <path d="M8 10 L11.5 2.8 C13 2.5 14.6 3.6 14.3 5.4 L13.6 9 H19.8 C21.1 9 22.1 10.2 21.8 11.5 L20.2 19.3 C19.9 20.3 19 21 18 21 H8 Z" />
      </g>
    </svg>
  );
}

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
      <PredictedValue p={query.predicted} what="P(good)" />
      <div class="actions" role="group" aria-label="Your judgement">
        <KeyButton keyLabel="↑" onClick={() => rate(1)} disabled={busy} kind="primary" testid="thumbs-up">
          <Thumb /> Good
        </KeyButton>
        <KeyButton keyLabel="u" onClick={undo} disabled={busy || !canUndo} testid="undo">
          Undo
        </KeyButton>
        <KeyButton keyLabel="↓" onClick={() => rate(0)} disabled={busy} kind="primary" testid="thumbs-down">
          <Thumb down /> Bad
        </KeyButton>
      </div>
    </section>
  );
}
