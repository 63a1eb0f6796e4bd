/**
 * A self-contained HTML report: a title, a summary table, figures (inline SVG, each linking its PNG), optional
 * tables and the run's config. No scripts, no external resources: the file opens anywhere, offline.
 */
import { basename } from 'node:path';

export interface ReportFigure {
  title: string;
  /** SVG markup, inlined */
  svg: string;
  caption?: string;
  /** path of the PNG version, linked relative to the report */
  pngPath?: string;
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

export interface ReportOptions {
  title: string;
  /** a line under the title (e.g. the command that made the run) */
  subtitle?: string;
  /** key → value shown first */
  summary: Record<string, unknown>;
  figures: ReportFigure[];
  tables?: ReportTable[];
  /** the resolved config, shown as JSON at the end */
  config?: unknown;
  /** free text paragraphs (plain text, escaped) */
  notes?: string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function table(columns: string[], rows: Array<Array<unknown>>): string {
  const head = `<tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c === null || c === undefined ? '' : formatValue(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

/** Builds the report's HTML. */
export function buildHtmlReport(o: ReportOptions): string {
  const summary = table(
    ['key', 'value'],
    Object.entries(o.summary).map(([k, v]) => [k, v]),
  );
  const figures = o.figures
    .map((f) => {
      const link = f.pngPath ? ` <a href="${escapeHtml(basename(f.pngPath))}">PNG</a>` : '';
      const caption = f.caption ? `<p class="caption">${escapeHtml(f.caption)}</p>` : '';
      return `<figure>\n<h3>${escapeHtml(f.title)}${link}</h3>\n${stripXmlProlog(f.svg)}\n${caption}\n</figure>`;
    })
    .join('\n');
  const tables = (o.tables ?? []).map((t) => `<h2>${escapeHtml(t.title)}</h2>\n${table(t.columns, t.rows)}`).join('\n');
  const notes = (o.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('\n');
  const config = o.config === undefined ? '' : `<h2>Config</h2>\n<pre>${escapeHtml(JSON.stringify(o.config, null, 2))}</pre>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(o.title)}</title>
<style>
body { font-family: system-ui, "DejaVu Sans", sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
figure { margin: 1.5em 0; }
figure h3 { font-size: 1em; margin: 0 0 0.4em; }
figure h3 a { font-weight: normal; font-size: 0.85em; margin-left: 0.5em; }
.caption { color: #555; font-size: 0.9em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; }
</style>
</head>
<body>
<h1>${escapeHtml(o.title)}</h1>
${o.subtitle ? `<p class="caption">${escapeHtml(o.subtitle)}</p>` : ''}
<h2>Summary</h2>
${summary}
${notes}
<h2>Figures</h2>
${figures}
${tables}
${config}
</body>
</html>
`;
}

function stripXmlProlog(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}
