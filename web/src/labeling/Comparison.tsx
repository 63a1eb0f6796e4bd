/** Comparison: two samples side by side. ← left better, → right better, ↓ tie, space skip, u undo. */
import type { Judgement, Preference, Query } from '../api.js';
import { useKeys } from '../keys.js';
import { rendererFor } from '../renderers/index.js';
import { KeyButton, PredictedPreference } from './common.js';

export interface ViewProps {
  query: Query;
  busy: boolean;
  canUndo: boolean;
  submit(j: Judgement, said: string): void;
  undo(): void;
}

const SAID: Record<Preference, string> = { left: 'left is better', right: 'right is better', tie: 'tie', skip: 'skipped' };

export function ComparisonView({ query, busy, canUndo, submit, undo }: ViewProps) {
  const [left, right] = query.samples;
  const say = (preferred: Preference) => {
    if (!busy && left && right) submit({ kind: 'comparison', leftId: left.id, rightId: right.id, preferred }, SAID[preferred]);
  };
  useKeys({ ArrowLeft: () => say('left'), ArrowRight: () => say('right'), ArrowDown: () => say('tie'), ' ': () => say('skip'), u: undo });
  if (!left || !right) return <p role="alert">This comparison has {query.samples.length} samples; it needs two.</p>;
  const L = rendererFor(left);
  const R = rendererFor(right);
  return (
    <section class="comparison" aria-label="Which is better?">
      <h2 class="question">Which {L.noun} is better?</h2>
      <div class="pair">
        <div class="side">
          <h3>
            Left <kbd>←</kbd>
          </h3>
          <L.View sample={left} label="Left sample" size="large" />
        </div>
        <div class="side">
          <h3>
            Right <kbd>→</kbd>
          </h3>
          <R.View sample={right} label="Right sample" size="large" />
        </div>
      </div>
      <PredictedPreference p={query.predicted} />
      <div class="actions" role="group" aria-label="Your judgement">
        <KeyButton keyLabel="←" onClick={() => say('left')} disabled={busy} kind="primary" testid="prefer-left">
          Left is better
        </KeyButton>
        <KeyButton keyLabel="↓" onClick={() => say('tie')} disabled={busy} testid="tie">
          Tie
        </KeyButton>
        <KeyButton keyLabel="space" onClick={() => say('skip')} disabled={busy} testid="skip">
          Skip
        </KeyButton>
        <KeyButton keyLabel="u" onClick={undo} disabled={busy || !canUndo} testid="undo">
          Undo
        </KeyButton>
        <KeyButton keyLabel="→" onClick={() => say('right')} disabled={busy} kind="primary" testid="prefer-right">
          Right is better
        </KeyButton>
      </div>
    </section>
  );
}
