/**
 * Ranking: order ≥ 2 samples, best first. Type the samples' numbers in order of preference (1–9; Backspace takes the
 * last one back), or drag the rows of the ranking list (or use its ▲/▼ buttons); Enter submits, u undoes.
 */
import { useEffect, useState } from 'preact/hooks';
import { useKeys } from '../keys.js';
import { rendererFor } from '../renderers/index.js';
import type { ViewProps } from './Comparison.js';
import { KeyButton } from './common.js';

/** `typed` first (in typing order), then the rest of `order` in its current order. */
export function applyTyped(order: number[], typed: number[]): number[] {
  return [...typed, ...order.filter((i) => !typed.includes(i))];
}

export function RankingView({ query, busy, canUndo, submit, undo }: ViewProps) {
  const n = query.samples.length;
  const [order, setOrder] = useState<number[]>(() => query.samples.map((_, i) => i));
  const [typed, setTyped] = useState<number[]>([]);
  const [dragging, setDragging] = useState<number | null>(null);
  useEffect(() => {
    setOrder(query.samples.map((_, i) => i));
    setTyped([]);
  }, [query.id]);

  const type = (k: number) => {
    if (k >= n || typed.includes(k)) return;
    const t = [...typed, k];
    setTyped(t);
    setOrder(applyTyped(order, t));
  };
  const untype = () => setTyped(typed.slice(0, -1));
  const move = (from: number, to: number) => {
    if (to < 0 || to >= n) return;
    const o = [...order];
    const [x] = o.splice(from, 1);
    o.splice(to, 0, x!);
    setOrder(o);
    setTyped([]);
  };
  const send = () => {
    if (!busy) submit({ kind: 'ranking', sampleIds: order.map((i) => query.samples[i]!.id) }, `ranking ${order.map((i) => i + 1).join(' > ')}`);
  };
  const keys: Record<string, () => void> = { Enter: send, Backspace: untype, u: undo };
  for (let k = 1; k <= Math.min(9, n); k++) keys[String(k)] = () => type(k - 1);
  useKeys(keys);

  return (
    <section class="ranking" aria-label="Rank these, best first">
      <h2 class="question">Rank these, best first</h2>
      <div class="rank-grid">
        {query.samples.map((s, i) => {
          const R = rendererFor(s);
          const pos = order.indexOf(i);
          return (
            <div class={`rank-item ${typed.includes(i) ? 'typed' : ''}`} key={s.id}>
              <h3>
                <kbd>{i + 1}</kbd> <span class="muted">now #{pos + 1}</span>
              </h3>
              <R.View sample={s} label={`Sample ${i + 1}`} size="small" />
            </div>
          );
        })}
      </div>
      <ol class="rank-list" aria-label="Your ranking, best first">
        {order.map((i, pos) => (
          <li
            key={query.samples[i]!.id}
            draggable
            class={dragging === pos ? 'dragging' : ''}
            onDragStart={(e) => {
              setDragging(pos);
              e.dataTransfer?.setData('text/plain', String(pos));
            }}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              if (dragging !== null) move(dragging, pos);
              setDragging(null);
            }}
            onDragEnd={() => setDragging(null)}
          >
            <span class="grip" aria-hidden="true">⠿</span>
            <span>
              #{pos + 1}: sample <strong>{i + 1}</strong> — {rendererFor(query.samples[i]!).describe(query.samples[i]!)}
            </span>
            <button type="button" class="mini" aria-label={`move sample ${i + 1} up`} onClick={() => move(pos, pos - 1)} disabled={pos === 0}>
              ▲
            </button>
            <button type="button" class="mini" aria-label={`move sample ${i + 1} down`} onClick={() => move(pos, pos + 1)} disabled={pos === n - 1}>
              ▼
            </button>
          </li>
        ))}
      </ol>
      <div class="actions" role="group" aria-label="Your judgement">
        <KeyButton keyLabel="⌫" onClick={untype} disabled={busy || typed.length === 0}>
          Take back
        </KeyButton>
        <KeyButton keyLabel="u" onClick={undo} disabled={busy || !canUndo} testid="undo">
          Undo
        </KeyButton>
        <KeyButton keyLabel="Enter" onClick={send} disabled={busy} kind="primary" testid="submit-ranking">
          Submit ranking
        </KeyButton>
      </div>
    </section>
  );
}
