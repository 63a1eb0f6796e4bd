/**
 * What a gridworld query shows people: the payload of each sample, drawn by web/src/renderers/gridworld.tsx (the web
 * app imports these types; documented in docs/web.md). Browser-safe: types only.
 */

/** A cell as [row, col] = [y, x]. */
export type Cell = [number, number];

/** A trajectory on the grid: the visited cells as [row, col] = [y, x], row 0 drawn at the bottom. */
export interface GridTrajectoryPayload {
  rows: number;
  cols: number;
  cells: Cell[];
  start?: Cell;
  goals?: Cell[];
  originBottom: boolean;
}
