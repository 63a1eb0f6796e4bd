import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineChart, heatmaps, pathPlot, renderSvg, writeFigure, buildHtmlReport, metricSeries, escapeHtml } from './index.js';

describe('report specs', () => {
  it('lineChart puts each series point in the data with x defaulting to 1..n and NaN as null', () => {
    const spec = lineChart({ title: 't', series: [{ name: 'a', y: [1, Number.NaN, 3] }, { name: 'b', y: [4], x: [10] }] }) as unknown as {
      data: { values: Array<{ x: number; y: number | null; series: string }> };
    };
    expect(spec.data.values).toEqual([
      { x: 1, y: 1, series: 'a' },
      { x: 2, y: null, series: 'a' },
      { x: 3, y: 3, series: 'a' },
      { x: 10, y: 4, series: 'b' },
    ]);
  });

  it('heatmaps rejects a value array of the wrong size', () => {
    expect(() => heatmaps({ rows: 2, cols: 2, panels: [{ title: 'x', values: [1, 2, 3] }] })).toThrow(/3 values for a 2×2 grid/);
  });

  it('metricSeries reads a key across rows with iteration as x', () => {
    const s = metricSeries([{ iteration: 1, a: 2 }, { iteration: 2 }, { iteration: 3, a: 5 }], 'a');
    expect(s).toEqual({ name: 'a', x: [1, 3], y: [2, 5] });
  });
});

describe('rendering', () => {
  it('renders a line chart, a heatmap pair and a path plot to SVG, and writes SVG + PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-report-'));
    try {
      const line = await renderSvg(lineChart({ title: 'loss', series: [{ name: 'reward/loss', y: [0.7, 0.5, 0.3] }], ruleY: 0.1 }));
      expect(line).toMatch(/^<svg/);
      expect(line).toContain('loss');
      const heat = heatmaps({ rows: 2, cols: 3, panels: [{ title: 'true', values: [0, 1, 2, 3, 4, 5] }, { title: 'learned', values: [5, 4, 3, 2, 1, 0] }] });
      const fig = await writeFigure(dir, 'heat', heat, { title: 'heatmaps' });
      expect(readFileSync(fig.svgPath, 'utf8')).toContain('learned');
      const png = readFileSync(fig.pngPath!);
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      const paths = await renderSvg(
        pathPlot({ cols: 3, rows: 3, panels: [{ title: 'iteration 1', paths: [{ points: [[0, 0], [1, 0], [1, 1]] }] }], markers: [{ x: 2, y: 2, kind: 'goal' }] }),
      );
      expect(paths).toContain('iteration 1');
      const html = buildHtmlReport({ title: 'Run <1>', summary: { goal_rate: 0.5, seed: 1 }, figures: [fig], config: { a: 1 } });
      expect(html).toContain('Run &lt;1&gt;');
      expect(html).toContain('<svg');
      expect(html).toContain('href="heat.png"');
      expect(html).toContain('goal_rate');
      expect(existsSync(join(dir, 'heat.svg'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
