/**
 * What the line shows people: one segment of an episode per query sample, as JSON. The query maker builds it
 * (queries.ts `lineQueryMaker`) and the web app draws it (web/src/renderers/line.tsx, which imports this type;
 * docs/web.md shows an example). Types only — no Node module — so the browser can import it.
 */

/** A move on the line. */
export type LineAction = 'left' | 'right';

/** A segment of an episode on the line: where the walker stood at each step and which way it moved. */
export interface LineSegmentPayload {
  /** positions 0..size−1 */
  size: number;
  /** the goal position (size − 1, the right end) */
  goal: number;
  /** the positions s₀..s_{T−1} the segment's steps start from, in order */
  positions: number[];
  /** the move taken at each of those positions (same length); moving past an end leaves the position unchanged */
  actions: LineAction[];
  /** where the last move led: the position after the segment */
  end: number;
}
