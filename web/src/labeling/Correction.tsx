/**
 * Correction: a sample with the model's prediction. Enter/c: the prediction is correct; x: it is wrong (then pick
 * the right label); 0–9: the label directly (marked correct when it equals the prediction); u undoes.
 */
import { useEffect, useState } from 'preact/hooks';
import { useKeys } from '../keys.js';
import { rendererFor } from '../renderers/index.js';
import type { ViewProps } from './Comparison.js';
import { KeyButton } from './common.js';

export function CorrectionView({ query, busy, canUndo, submit, undo }: ViewProps) {
  const sample = query.samples[0];
  const [picking, setPicking] = useState(false);
  useEffect(() => setPicking(false), [query.id]);
  const R = sample ? rendererFor(sample) : undefined;
  const prediction = sample && R?.prediction ? R.prediction(sample) : undefined;
  const classes = (sample && R?.classes?.(sample)) ?? undefined;
  const nameOf = (l: string | number) => (typeof l === 'number' && classes?.[l] !== undefined ? `${l} · ${classes[l]}` : String(l));
  // labels are numbers when the prediction is a class index (or no prediction is known), names otherwise
  const asLabel = (k: number): string | number => (typeof prediction === 'string' && classes?.[k] === undefined ? String(k) : k);

  const label = (l: string | number) => {
    if (busy || !sample) return;
    const correct = prediction !== undefined && String(l) === String(prediction);
    submit({ kind: 'correction', sampleId: sample.id, label: l, correct }, `label ${nameOf(l)}${correct ? ' (correct)' : ''}`);
  };
  const confirm = () => {
    if (prediction !== undefined) label(prediction);
  };
  const keys: Record<string, () => void> = { Enter: confirm, c: confirm, x: () => setPicking(true), Escape: () => setPicking(false), u: undo };
  for (let k = 0; k <= 9; k++) keys[String(k)] = () => label(asLabel(k));
  useKeys(keys);

  if (!sample || !R) return <p role="alert">This correction query has no sample.</p>;
  const options = classes ?? Array.from({ length: 10 }, (_, k) => String(k));
  return (
    <section class="correction" aria-label="Is the model right?">
      <h2 class="question">Is the model right?</h2>
      <div class="single">
        <R.View sample={sample} label="Sample to check" size="large" />
      </div>
      <p class="prediction-line">
        Model says: <strong data-testid="prediction">{prediction === undefined ? 'no prediction' : nameOf(prediction)}</strong>
      </p>
      <div class="actions" role="group" aria-label="Your judgement">
        <KeyButton keyLabel="Enter" onClick={confirm} disabled={busy || prediction === undefined} kind="primary" testid="correct">
          Correct
        </KeyButton>
        <KeyButton keyLabel="x" onClick={() => setPicking(true)} disabled={busy} testid="incorrect">
          Incorrect…
        </KeyButton>
        <KeyButton keyLabel="u" onClick={undo} disabled={busy || !canUndo} testid="undo">
          Undo
        </KeyButton>
      </div>
      <div class={`labels ${picking ? 'picking' : ''}`} role="group" aria-label="The right label (digit keys)">
        {picking && <p>Pick the right label:</p>}
        {options.slice(0, 10).map((name, k) => (
          <button type="button" class="label-btn" key={k} onClick={() => label(asLabel(k))} disabled={busy}>
            <kbd>{k}</kbd> {classes ? name : ''}
          </button>
        ))}
      </div>
    </section>
  );
}
