/** Pieces every labeling view shares: progress line, the model's prediction, buttons that show their key. */
import type { ComponentChildren } from 'preact';
import type { Progress } from '../api.js';

export function ProgressBar({ progress, iteration }: { progress: Progress | null; iteration?: number }) {
  return (
    <dl class="progress" aria-label="Progress">
      <div>
        <dt>labels given</dt>
        <dd data-testid="labels">{progress ? progress.labels : '–'}</dd>
      </div>
      <div>
        <dt>in queue</dt>
        <dd data-testid="queue">{progress ? progress.queue : '–'}</dd>
      </div>
      {iteration !== undefined && (
        <div>
          <dt>iteration</dt>
          <dd>{iteration}</dd>
        </div>
      )}
    </dl>
  );
}

/** The reward model's P(left ≻ right) as a split bar (comparison queries). */
export function PredictedPreference({ p }: { p: number | undefined }) {
  if (p === undefined || !Number.isFinite(p)) {
    return <p class="predicted muted">No reward-model prediction yet for this pair.</p>;
  }
  const pct = Math.round(p * 100);
  return (
    <div class="predicted" data-testid="predicted">
      <span>
        Model predicts P(left ≻ right) = <strong>{p.toFixed(2)}</strong>
      </span>
      <div class="split" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={p} aria-label="predicted probability that left is better">
        <div class="split-left" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** A prediction that is a single number (rating queries: e.g. the probability of a thumbs up). */
export function PredictedValue({ p, what }: { p: number | undefined; what: string }) {
  if (p === undefined || !Number.isFinite(p)) return null;
  return (
    <p class="predicted" data-testid="predicted">
      Model predicts {what}: <strong>{p.toFixed(2)}</strong>
    </p>
  );
}

export function KeyButton(props: { keyLabel: string; onClick: () => void; disabled?: boolean; kind?: string; children: ComponentChildren; testid?: string }) {
  return (
    <button type="button" class={`keybtn ${props.kind ?? ''}`} onClick={props.onClick} disabled={props.disabled} data-testid={props.testid}>
      <span>{props.children}</span>
      <kbd>{props.keyLabel}</kbd>
    </button>
  );
}
