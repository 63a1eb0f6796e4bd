/**
 * Helpers from metrics rows (metrics.jsonl) to chart series.
 */
import type { LineSeries } from './specs.js';

/** The series of `key` over `rows`, with x from `xKey` (default "iteration"); rows without the key are skipped. */
export function metricSeries(rows: ReadonlyArray<Record<string, unknown>>, key: string, opts: { name?: string; xKey?: string } = {}): LineSeries {
  const xKey = opts.xKey ?? 'iteration';
  const x: number[] = [];
  const y: number[] = [];
  rows.forEach((r, i) => {
    const v = r[key];
    if (typeof v !== 'number' && v !== null) return;
    const xv = r[xKey];
    x.push(typeof xv === 'number' ? xv : i + 1);
    y.push(v === null ? Number.NaN : v);
  });
  return { name: opts.name ?? key, x, y };
}
