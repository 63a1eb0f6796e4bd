/**
 * Vega-Lite specs for the figures every domain draws: line charts of metrics per iteration, heatmaps of values over
 * a grid, and paths on a grid. Pure functions from plain arrays to a spec object; the same spec renders to SVG/PNG in
 * Node (render.ts) and live in the browser (vega-embed), so the dashboard and the report draw the same pictures.
 */
import type { TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec };

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Replaces non-finite numbers by null (Vega-Lite skips them; JSON cannot hold NaN/Infinity). */
function finiteOrNull(v: number | null | undefined): number | null {
  return v !== null && v !== undefined && Number.isFinite(v) ? v : null;
}

/** One named series of a line chart. `x` defaults to 1, 2, 3, … (iterations). */
export interface LineSeries {
  name: string;
  y: ArrayLike<number>;
  x?: ArrayLike<number>;
}

export interface LineChartOptions {
  title: string;
  series: LineSeries[];
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
  /** y axis on a log scale (values ≤ 0 are dropped) */
  logY?: boolean;
  /** draw a dashed horizontal rule at this y (e.g. the best possible return) */
  ruleY?: number;
  ruleLabel?: string;
}

/** A line chart of one or more series against iteration (or any x). */
export function lineChart(o: LineChartOptions): TopLevelSpec {
  const values: Array<{ x: number; y: number | null; series: string }> = [];
  for (const s of o.series) {
    for (let i = 0; i < s.y.length; i++) {
      const y = finiteOrNull(s.y[i]);
      values.push({ x: s.x ? s.x[i]! : i + 1, y: o.logY && y !== null && y <= 0 ? null : y, series: s.name });
    }
  }
  const multi = o.series.length > 1;
  const line = {
    mark: { type: 'line' as const, interpolate: 'linear' as const, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, title: o.xTitle ?? 'iteration' },
      y: {
        field: 'y',
        type: 'quantitative' as const,
        title: o.yTitle ?? (multi ? 'value' : (o.series[0]?.name ?? 'value')),
        scale: o.logY ? { type: 'log' as const } : { zero: false },
      },
      ...(multi ? { color: { field: 'series', type: 'nominal' as const, title: null, legend: { labelLimit: 320 } } } : {}),
    },
  };
  const layers: object[] = [line];
  if (o.ruleY !== undefined && Number.isFinite(o.ruleY)) {
    layers.push({
      data: { values: [{ y: o.ruleY, label: o.ruleLabel ?? '' }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
      encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: { field: 'label' } },
    });
  }
  return {
    $schema: SCHEMA,
    title: o.title,
    width: o.width ?? 480,
    height: o.height ?? 220,
    data: { values },
    layer: layers,
  } as TopLevelSpec;
}

export interface HeatmapPanel {
  title: string;
  /** row-major values, rows × cols */
  values: ArrayLike<number>;
  /** show each cell's value as text (default: when the grid has ≤ 100 cells) */
  showValues?: boolean;
}

export interface HeatmapOptions {
  title?: string;
  rows: number;
  cols: number;
  panels: HeatmapPanel[];
  /** pixel size of one cell (default 32, smaller for large grids) */
  cell?: number;
  /** Vega color scheme (default "viridis") */
  scheme?: string;
  /** how to label rows/cols on the axes */
  rowTitle?: string;
  colTitle?: string;
  /** draw row 0 at the bottom (default true: y grows upwards, as on a map) */
  originBottom?: boolean;
}

/** One or more heatmaps side by side, each with its own color scale (e.g. true vs learned reward). */
export function heatmaps(o: HeatmapOptions): TopLevelSpec {
  const cell = o.cell ?? Math.max(8, Math.min(32, Math.floor(320 / Math.max(o.rows, o.cols))));
  const originBottom = o.originBottom ?? true;
  const rowOrder = Array.from({ length: o.rows }, (_, i) => i);
  if (originBottom) rowOrder.reverse();
  const panels = o.panels.map((p) => {
    if (p.values.length !== o.rows * o.cols) throw new RangeError(`heatmap "${p.title}": ${p.values.length} values for a ${o.rows}×${o.cols} grid`);
    const values: Array<{ row: number; col: number; v: number | null; label: string }> = [];
    for (let r = 0; r < o.rows; r++) {
      for (let c = 0; c < o.cols; c++) {
        const v = finiteOrNull(p.values[r * o.cols + c]);
        values.push({ row: r, col: c, v, label: v === null ? '' : formatCell(v) });
      }
    }
    const show = p.showValues ?? o.rows * o.cols <= 100;
    const base = {
      x: { field: 'col', type: 'ordinal' as const, title: o.colTitle ?? 'x', sort: 'ascending' as const, axis: { labelAngle: 0 } },
      y: { field: 'row', type: 'ordinal' as const, title: o.rowTitle ?? 'y', sort: rowOrder },
    };
    const layer: object[] = [
      {
        mark: { type: 'rect' },
        encoding: { ...base, color: { field: 'v', type: 'quantitative', title: null, scale: { scheme: o.scheme ?? 'viridis' } } },
      },
    ];
    if (show) {
      layer.push({
        mark: { type: 'text', fontSize: Math.max(6, Math.min(10, cell / 3.5)) },
        encoding: { ...base, text: { field: 'label' }, color: { value: '#fff' } },
      });
    }
    return { title: p.title, width: cell * o.cols, height: cell * o.rows, data: { values }, layer };
  });
  return {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    hconcat: panels,
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

function formatCell(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1000)) return v.toExponential(0);
  return a >= 10 ? v.toFixed(0) : v.toFixed(2);
}

/** A path on a grid: a list of (x, y) cells visited in order. */
export interface GridPath {
  points: Array<[number, number]>;
}

export interface PathPanel {
  title: string;
  paths: GridPath[];
}

export interface PathPlotOptions {
  title?: string;
  /** grid width (x ∈ 0..cols−1) and height (y ∈ 0..rows−1) */
  cols: number;
  rows: number;
  panels: PathPanel[];
  /** highlighted cells: e.g. start (circle) and goals (square) */
  markers?: Array<{ x: number; y: number; kind: string }>;
  /** panel size in pixels (default 180) */
  size?: number;
  /** panels per row (default 4) */
  columns?: number;
}

/**
 * Sample paths on a grid, one panel per group (e.g. per iteration). Each path is a polyline through cell centres with a
 * small deterministic offset per path so overlapping paths stay visible; markers show the start and goal cells.
 */
export function pathPlot(o: PathPlotOptions): TopLevelSpec {
  const size = o.size ?? 180;
  const panelCharts = o.panels.map((panel) => {
    const values: Array<{ x: number; y: number; step: number; path: number }> = [];
    panel.paths.forEach((p, k) => {
      const off = panel.paths.length > 1 ? ((k / (panel.paths.length - 1)) - 0.5) * 0.3 : 0; // spread paths within a cell
      p.points.forEach(([x, y], step) => values.push({ x: x + off, y: y + off, step, path: k }));
    });
    const markers = (o.markers ?? []).map((m) => ({ ...m }));
    const scaleX = { domain: [-0.5, o.cols - 0.5], nice: false, zero: false };
    const scaleY = { domain: [-0.5, o.rows - 0.5], nice: false, zero: false };
    const axis = (n: number) => ({ values: Array.from({ length: n }, (_, i) => i), grid: false, tickMinStep: 1 });
    const layer: object[] = [
      {
        data: { values: markers },
        mark: { type: 'square', size: (size / Math.max(o.cols, o.rows)) ** 2 * 0.8, opacity: 0.35 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: scaleX, axis: axis(o.cols), title: 'x' },
          y: { field: 'y', type: 'quantitative', scale: scaleY, axis: axis(o.rows), title: 'y' },
          color: { field: 'kind', type: 'nominal', title: null, scale: { scheme: 'set2' } },
        },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.2, opacity: 0.8, point: { size: 8 } },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: scaleX },
          y: { field: 'y', type: 'quantitative', scale: scaleY },
          detail: { field: 'path', type: 'nominal' },
          order: { field: 'step', type: 'quantitative' },
          color: { value: '#3366aa' },
        },
      },
    ];
    return { title: panel.title, width: size, height: size * (o.rows / o.cols), layer };
  });
  const columns = o.columns ?? 4;
  const rowsOfPanels: object[] = [];
  for (let i = 0; i < panelCharts.length; i += columns) rowsOfPanels.push({ hconcat: panelCharts.slice(i, i + columns) });
  return {
    $schema: SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    vconcat: rowsOfPanels,
  } as TopLevelSpec;
}
