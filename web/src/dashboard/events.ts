/**
 * The run's SSE stream folded into dashboard state: metric series per key, the run status, and the latest of each
 * figure event. Event types (docs/api.md, docs/web.md):
 *   metrics   { "<key>": number, ... } per iteration → one line chart per key
 *   status    { status, previous }
 *   queries / judgements → the stats are refetched
 *   heatmaps  { rows, cols, panels: [{ title, values }] }          → heatmaps() (e.g. true vs learned reward)
 *   paths     { rows, cols, panels: [{ title, paths: [{ points: [x, y][] }] }], markers? } → pathPlot()
 */
import type { MetricEvent, RunStatus } from '../api.js';

export interface Series {
  x: number[];
  y: number[];
}

export interface DashboardData {
  /** key → points, x = iteration (or the event's order when it has none), sorted by x, last value per x wins */
  metrics: Map<string, Series>;
  status?: RunStatus;
  /** the latest event of each figure type */
  figures: Map<string, MetricEvent>;
  lastSeq: number;
  /** bumped on every change (cheap change detection for rendering) */
  version: number;
}

export function emptyData(): DashboardData {
  return { metrics: new Map(), figures: new Map(), lastSeq: 0, version: 0 };
}

export const FIGURE_TYPES = ['heatmaps', 'paths'] as const;

/** Folds one event into the data (mutates; returns whether anything the page draws changed). */
export function foldEvent(d: DashboardData, e: MetricEvent): boolean {
  if (e.seq <= d.lastSeq) return false; // replayed after a reconnect
  d.lastSeq = e.seq;
  if (e.type === 'metrics') {
    const x = e.iteration ?? d.lastSeq;
    for (const [k, v] of Object.entries(e.data)) {
      if (typeof v !== 'number' && v !== null) continue;
      let s = d.metrics.get(k);
      if (!s) d.metrics.set(k, (s = { x: [], y: [] }));
      const y = v === null ? Number.NaN : v;
      const at = s.x.lastIndexOf(x);
      if (at >= 0) s.y[at] = y;
      else if (s.x.length === 0 || x > s.x[s.x.length - 1]!) {
        s.x.push(x);
        s.y.push(y);
      } else {
        const i = s.x.findIndex((xi) => xi > x);
        s.x.splice(i, 0, x);
        s.y.splice(i, 0, y);
      }
    }
  } else if (e.type === 'status') {
    const st = (e.data as { status?: RunStatus }).status;
    if (st) d.status = st;
  } else if ((FIGURE_TYPES as readonly string[]).includes(e.type)) {
    d.figures.set(e.type, e);
  } else {
    return false;
  }
  d.version++;
  return true;
}
