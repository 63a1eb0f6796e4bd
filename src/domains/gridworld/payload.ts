/**
 * What the gridworld shows people: one trajectory per query sample, as JSON. The query maker builds it (queries.ts
 * `gridworldQueryMaker`) and the web app draws it (web/src/renderers/gridworld.tsx,
 * which imports this type; docs/web.md shows an example). Types only — no Node module — so the browser can import it.
 */

/** A cell as [row, col] = [y, x]: state s = y·N + x of the N×N grid is the cell [⌊s/N⌋, s mod N]. */
export type Cell = [number, number];

/** A trajectory on the grid: the visited cells in order. */
export interface GridTrajectoryPayload {
  rows: number;
  cols: number;
  /** the visited cells s₀..s_{H−1}, in order (the states the Bradley–Terry fit counts) */
  cells: Cell[];
  start?: Cell;
  goals?: Cell[];
  /** row 0 drawn at the bottom, as the report's heatmaps (default true; the query maker always sets it) */
  originBottom?: boolean;
}
