/**
 * The report module, generic over domains: Vega-Lite spec builders (line charts, heatmaps, grid paths), Node
 * rendering to SVG/PNG, and a self-contained HTML report. A domain builds specs from its metrics and calls
 * writeFigure + buildHtmlReport; the browser dashboard renders the same specs with vega-embed.
 */
export { lineChart, heatmaps, pathPlot, type LineSeries, type LineChartOptions, type HeatmapOptions, type HeatmapPanel, type PathPlotOptions, type PathPanel, type GridPath, type TopLevelSpec } from './specs.js';
export { renderSvg, svgToPng, writeFigure, type WrittenFigure } from './render.js';
export { buildHtmlReport, escapeHtml, type ReportOptions, type ReportFigure, type ReportTable } from './html.js';
export { metricSeries } from './metrics.js';
