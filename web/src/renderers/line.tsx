/**
 * Line segments drawn as a walk in time: the line's positions run left to right (the goal at the right end), one row
 * per step downwards, the path from the first position to where the last move led.
 * Payload: LineSegmentPayload of src/domains/line/payload.ts (built by `lineQueryMaker`, src/domains/line/queries.ts;
 * an example in docs/web.md):
 *   { size, goal, positions: number[] (the step's start positions, in order), actions: ('left' | 'right')[], end }
 * A long line is drawn as the window around the segment (the caption still says where the goal is).
 */
import type { Sample } from '../api.js';
import type { LineAction, LineSegmentPayload } from '../../../src/domains/line/payload.js';
import { BadPayload, type RendererProps, type SampleRenderer } from './contract.js';

const isPos = (v: unknown, size: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < size;
const isAction = (a: unknown): a is LineAction => a === 'left' || a === 'right';

/** Where a move leads: one cell, and never past an end. */
export function moved(s: number, a: LineAction, size: number): number {
  return a === 'right' ? Math.min(size - 1, s + 1) : Math.max(0, s - 1);
}

/** The payload, or why it cannot be drawn (also when its positions do not follow from its moves). */
export function checkLinePayload(p: unknown): LineSegmentPayload | string {
  if (typeof p !== 'object' || p === null) return 'the payload is not an object';
  const q = p as Partial<LineSegmentPayload>;
  if (!Number.isInteger(q.size) || q.size! < 2) return '`size` must be an integer ≥ 2';
  const size = q.size!;
  if (!isPos(q.goal, size)) return `\`goal\` must be a position of the line 0..${size - 1}`;
  if (!Array.isArray(q.positions) || q.positions.length === 0) return '`positions` must be a non-empty list of positions';
  if (!Array.isArray(q.actions) || q.actions.length !== q.positions.length) return '`actions` must list one move per position';
  if (!isPos(q.end, size)) return `\`end\` must be a position of the line 0..${size - 1}`;
  for (let t = 0; t < q.positions.length; t++) {
    if (!isPos(q.positions[t], size)) return `positions[${t}] = ${JSON.stringify(q.positions[t])} is not a position of the line 0..${size - 1}`;
    if (!isAction(q.actions[t])) return `actions[${t}] = ${JSON.stringify(q.actions[t])} is not "left" or "right"`;
    const next = t + 1 < q.positions.length ? q.positions[t + 1] : q.end;
    if (moved(q.positions[t]!, q.actions[t]!, size) !== next) return `step ${t}: moving ${q.actions[t]} from ${q.positions[t]} does not lead to ${next}`;
  }
  return q as LineSegmentPayload;
}

/** What a person compares: steps, moves each way, the net progress, and whether the goal was reached. */
export function walkSummary(p: LineSegmentPayload): { steps: number; right: number; left: number; from: number; end: number; progress: number; reached: boolean } {
  const right = p.actions.filter((a) => a === 'right').length;
  const from = p.positions[0]!;
  return { steps: p.actions.length, right, left: p.actions.length - right, from, end: p.end, progress: p.end - from, reached: p.end === p.goal };
}

function describeLine(p: LineSegmentPayload): string {
  const s = walkSummary(p);
  const signed = s.progress > 0 ? `+${s.progress}` : `${s.progress}`;
  return `${s.steps} steps (${s.right} right, ${s.left} left), from ${s.from} to ${s.end} (${signed})${s.reached ? ', reaches the goal' : ''}; goal at ${p.goal}`;
}

/** At most this many positions are drawn; a longer line shows the window around the segment. */
const MAX_COLUMNS = 24;

function LineView({ sample, label, size }: RendererProps) {
  const p = checkLinePayload(sample.payload);
  if (typeof p === 'string') return <BadPayload sample={sample} why={p} />;
  const cells = [...p.positions, p.end]; // the walker's position at times 0..T
  let lo = 0;
  let hi = p.size - 1;
  if (p.size > MAX_COLUMNS) {
    lo = Math.max(0, Math.min(...cells) - 1);
    hi = Math.min(p.size - 1, Math.max(lo + MAX_COLUMNS - 1, Math.max(...cells) + 1));
    if (p.goal - hi <= 2 && p.goal > hi) hi = p.goal; // the goal just past the window: show it
    lo = Math.max(0, Math.min(lo, hi - MAX_COLUMNS + 1));
  }
  const cols = hi - lo + 1;
  const px = size === 'large' ? 340 : 150;
  const s = Math.max(10, Math.min(40, Math.floor(px / cols))); // cell width
  const rowH = Math.max(8, Math.min(s, Math.floor((size === 'large' ? 300 : 140) / cells.length))); // height of one time step
  const top = s + 6; // the line itself, then the walk below it
  const W = s * cols;
  const H = top + rowH * cells.length;
  const cx = (pos: number) => (pos - lo) * s + s / 2;
  const cy = (t: number) => top + rowH * t + rowH / 2;
  const points = cells.map((pos, t) => `${cx(pos)},${cy(t)}`).join(' ');
  const markerId = `line-arrow-${sample.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${size}`;
  const desc = describeLine(p);
  const sum = walkSummary(p);
  return (
    <figure class={`sample sample-line ${size}`}>
      <svg
        viewBox={`-2 -2 ${W + 4} ${H + 4}`}
        width={W + 4}
        height={H + 4}
        role="img"
        aria-label={`${label}: ${desc}`}
        data-positions={JSON.stringify(p.positions)}
        data-actions={JSON.stringify(p.actions)}
        data-end={p.end}
        data-goal={p.goal}
      >
        <defs>
          <marker id={markerId} viewBox="0 0 10 10" refX="5" refY="5" markerWidth="3" markerHeight="3" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" class="grid-arrow" />
          </marker>
        </defs>
        {Array.from({ length: cols }, (_, i) => (
          <rect key={i} x={i * s} y={0} width={s} height={s} class="grid-cell" data-visited={cells.includes(lo + i) ? 1 : undefined} />
        ))}
        {p.goal >= lo && p.goal <= hi && <rect class="grid-goal" x={(p.goal - lo) * s + s * 0.1} y={s * 0.1} width={s * 0.8} height={s * 0.8} rx={s * 0.12} />}
        <rect x={0} y={0} width={W} height={s} class="grid-border" />
        {p.goal >= lo && p.goal <= hi && <line x1={cx(p.goal)} x2={cx(p.goal)} y1={top} y2={H} class="grid-goal" stroke-dasharray="3 3" />}
        <polyline class="grid-path" points={points} stroke-width={Math.max(2, s * 0.08)} marker-mid={`url(#${markerId})`} />
        <circle class="grid-start" cx={cx(cells[0]!)} cy={cy(0)} r={Math.min(s, rowH) * 0.38} />
        <circle class="grid-end" cx={cx(p.end)} cy={cy(cells.length - 1)} r={Math.max(3, Math.min(s, rowH) * 0.2)} />
        {size === 'large' &&
          [lo, hi].map((pos) => (
            <text key={`t${pos}`} x={cx(pos)} y={s / 2 + 4} text-anchor="middle" class="grid-count" font-size={Math.max(9, s * 0.3)}>
              {pos}
            </text>
          ))}
      </svg>
      <figcaption>
        {sum.steps} steps · {sum.from} → <strong>{sum.end}</strong> ({sum.progress > 0 ? `+${sum.progress}` : sum.progress}){sum.reached ? ' · reaches the goal' : ''}
        {size === 'large' && (
          <span class="grid-legend" aria-hidden="true">
            {' '}
            · <span class="lg-start">◯</span> start · <span class="lg-goal">▢</span> goal {p.goal} · <span class="lg-end">●</span> end · time runs down
          </span>
        )}
      </figcaption>
    </figure>
  );
}

export const lineRenderer: SampleRenderer = {
  domain: 'line',
  noun: 'walk',
  View: LineView,
  describe: (s: Sample) => {
    const p = checkLinePayload(s.payload);
    return typeof p === 'string' ? `walk ${s.id}` : describeLine(p);
  },
};
