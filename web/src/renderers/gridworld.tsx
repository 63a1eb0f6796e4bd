/**
 * Gridworld trajectories drawn on the grid as an SVG path.
 * Payload: GridTrajectoryPayload of src/domains/gridworld/payload.ts (built by the gridworld query maker,
 * `gridworldQueryMaker` in src/domains/gridworld/queries.ts; an example in docs/web.md):
 *   { rows, cols, cells: [row, col][] (the visited cells, in order), start?: [row, col], goals?: [row, col][],
 *     originBottom?: boolean (row 0 at the bottom, default true, as the report's heatmaps) }
 * Cells are shaded by how often the trajectory visits them, so "stays" (the agent waiting at the goal) show up.
 */
import type { Sample } from '../api.js';
import type { Cell, GridTrajectoryPayload } from '../../../src/domains/gridworld/payload.js';
import { BadPayload, type RendererProps, type SampleRenderer } from './contract.js';

const isCell = (c: unknown): c is Cell => Array.isArray(c) && c.length === 2 && Number.isInteger(c[0]) && Number.isInteger(c[1]);

/** The payload, or why it cannot be drawn. */
export function checkGridPayload(p: unknown): GridTrajectoryPayload | string {
  if (typeof p !== 'object' || p === null) return 'the payload is not an object';
  const q = p as Partial<GridTrajectoryPayload>;
  if (!Number.isInteger(q.rows) || q.rows! < 1 || !Number.isInteger(q.cols) || q.cols! < 1) return '`rows`/`cols` must be positive integers';
  if (!Array.isArray(q.cells) || q.cells.length === 0) return '`cells` must be a non-empty list of [row, col]';
  const inside = (c: unknown) => isCell(c) && c[0] >= 0 && c[0] < q.rows! && c[1] >= 0 && c[1] < q.cols!;
  const bad = q.cells.findIndex((c) => !inside(c));
  if (bad >= 0) return `cells[${bad}] = ${JSON.stringify(q.cells[bad])} is not a cell of the ${q.rows}×${q.cols} grid`;
  if (q.start !== undefined && !inside(q.start)) return '`start` is not a cell of the grid';
  if (q.goals !== undefined && (!Array.isArray(q.goals) || !q.goals.every(inside))) return '`goals` must be cells of the grid';
  return q as GridTrajectoryPayload;
}

const same = (a: Cell, b: Cell) => a[0] === b[0] && a[1] === b[1];

/** Steps spent on a goal cell, and the final cell. */
export function summarize(p: GridTrajectoryPayload): { steps: number; atGoal: number; end: Cell } {
  const goals = p.goals ?? [];
  const atGoal = p.cells.filter((c) => goals.some((g) => same(c, g))).length;
  return { steps: p.cells.length, atGoal, end: p.cells[p.cells.length - 1]! };
}

function GridView({ sample, label, size }: RendererProps) {
  const p = checkGridPayload(sample.payload);
  if (typeof p === 'string') return <BadPayload sample={sample} why={p} />;
  const { rows, cols, cells } = p;
  const px = size === 'large' ? 340 : 150;
  const s = Math.floor(px / Math.max(rows, cols)); // cell size in px
  const W = s * cols;
  const H = s * rows;
  const originBottom = p.originBottom ?? true;
  const cx = (c: Cell) => c[1] * s + s / 2;
  const cy = (c: Cell) => (originBottom ? rows - 1 - c[0] : c[0]) * s + s / 2;

  // visits per cell → shading
  const visits = new Map<string, number>();
  for (const c of cells) visits.set(`${c[0]},${c[1]}`, (visits.get(`${c[0]},${c[1]}`) ?? 0) + 1);
  const maxVisits = Math.max(...visits.values());

  // the path skips "stay" steps (consecutive repeats: they show as shading and a count). Each move is drawn in
  // its own lane, shifted to its right-hand side, so going A→B and later B→A gives two parallel strokes instead
  // of one; later moves are drawn darker, so the direction of time is visible without reading the arrows.
  const moves: Cell[] = cells.filter((c, i) => i === 0 || !same(c, cells[i - 1]!));
  const lane = s * 0.1;
  const segments = moves.slice(1).map((to, k) => {
    const from = moves[k]!;
    const [x0, y0, x1, y1] = [cx(from), cy(from), cx(to), cy(to)];
    const len = Math.hypot(x1 - x0, y1 - y0) || 1;
    const [nx, ny] = [(-(y1 - y0) / len) * lane, ((x1 - x0) / len) * lane]; // right-hand normal (y points down)
    return { x0: x0 + nx, y0: y0 + ny, x1: x1 + nx, y1: y1 + ny, shade: moves.length > 2 ? 0.35 + (0.65 * k) / (moves.length - 2) : 1 };
  });
  const sum = summarize(p);
  const markerId = `arrow-${sample.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${size}`;
  const desc = `${sum.steps} steps, ${sum.atGoal} on the goal, ends at row ${sum.end[0]} column ${sum.end[1]}`;
  const strokeWidth = Math.max(2, s * 0.07);

  return (
    <figure class={`sample sample-grid ${size}`}>
      <svg
        viewBox={`-2 -2 ${W + 4} ${H + 4}`}
        width={W + 4}
        height={H + 4}
        role="img"
        aria-label={`${label}: ${desc}`}
        data-cells={JSON.stringify(cells)}
        data-goals={JSON.stringify(p.goals ?? [])}
      >
        <defs>
          <marker id={markerId} viewBox="0 0 10 10" refX="5" refY="5" markerWidth="2.6" markerHeight="2.6" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" class="grid-arrow" />
          </marker>
        </defs>
        {Array.from({ length: rows * cols }, (_, i) => {
          const r = Math.floor(i / cols);
          const c = i % cols;
          const v = visits.get(`${r},${c}`) ?? 0;
          return (
            <rect
              key={i}
              x={c * s}
              y={(originBottom ? rows - 1 - r : r) * s}
              width={s}
              height={s}
              class="grid-cell"
              style={v > 0 ? { fillOpacity: 0.12 + (0.5 * v) / maxVisits } : undefined}
              data-visited={v > 0 ? v : undefined}
            />
          );
        })}
        {(p.goals ?? []).map((g, i) => (
          <rect key={`g${i}`} class="grid-goal" x={g[1] * s + s * 0.1} y={cy(g) - s / 2 + s * 0.1} width={s * 0.8} height={s * 0.8} rx={s * 0.12} />
        ))}
        {p.start && (
          <circle class="grid-start" cx={cx(p.start)} cy={cy(p.start)} r={s * 0.38} />
        )}
        {segments.map((g, k) => (
          <polyline
            key={`m${k}`}
            class="grid-path"
            points={`${g.x0},${g.y0} ${(g.x0 + g.x1) / 2},${(g.y0 + g.y1) / 2} ${g.x1},${g.y1}`}
            stroke-width={strokeWidth}
            style={{ strokeOpacity: g.shade }}
            marker-mid={`url(#${markerId})`}
          />
        ))}
        <circle cx={cx(sum.end)} cy={cy(sum.end)} r={Math.max(3, s * 0.14)} class="grid-end" />
        {[...visits.entries()]
          .filter(([, v]) => v > 1)
          .map(([k, v]) => {
            const [r, c] = k.split(',').map(Number) as Cell;
            return (
              <text key={`v${k}`} x={c * s + s - 4} y={(originBottom ? rows - 1 - r : r) * s + s - 5} text-anchor="end" class="grid-count" font-size={Math.max(9, s * 0.22)}>
                ×{v}
              </text>
            );
          })}
        <rect x={0} y={0} width={W} height={H} class="grid-border" />
      </svg>
      <figcaption>
        {sum.steps} steps · <strong>{sum.atGoal}</strong> on the goal
        {size === 'large' && (
          <span class="grid-legend" aria-hidden="true">
            {' '}
            · <span class="lg-start">◯</span> start · <span class="lg-goal">▢</span> goal · <span class="lg-end">●</span> end
          </span>
        )}
      </figcaption>
    </figure>
  );
}

export const gridworldRenderer: SampleRenderer = {
  domain: 'gridworld',
  noun: 'trajectory',
  View: GridView,
  describe: (s: Sample) => {
    const p = checkGridPayload(s.payload);
    if (typeof p === 'string') return `trajectory ${s.id}`;
    const sum = summarize(p);
    return `${sum.steps} steps, ${sum.atGoal} on the goal`;
  },
};
