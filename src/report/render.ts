/**
 * Renders Vega-Lite specs in Node: Vega-Lite → Vega → SVG with vega's headless `view.toSVG()`, then SVG → PNG with
 * resvg (a Rust renderer shipped as a prebuilt binary, no browser, no canvas). The heavy modules load on first use,
 * so importing the report module costs nothing until a figure is drawn.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
type ResvgModule = typeof import('@resvg/resvg-js');

let mods: Promise<{ vega: VegaModule; vl: VegaLiteModule }> | undefined;
let resvgMod: Promise<ResvgModule> | undefined;

function loadVega(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  mods ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  return mods;
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vl } = await loadVega();
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders an SVG string to PNG bytes; `scale` multiplies the SVG's size (2 = crisp on high-DPI screens). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  resvgMod ??= import('@resvg/resvg-js');
  const { Resvg } = await resvgMod;
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return Buffer.from(r.render().asPng());
}

/** A figure written to disk: its name, its files and its SVG text (for inlining in HTML). */
export interface WrittenFigure {
  name: string;
  title: string;
  svg: string;
  svgPath: string;
  pngPath?: string;
  spec: TopLevelSpec;
}

/** Renders `spec` and writes DIR/<name>.svg (and DIR/<name>.png unless png is false). */
export async function writeFigure(dir: string, name: string, spec: TopLevelSpec, opts: { png?: boolean; title?: string } = {}): Promise<WrittenFigure> {
  const svg = await renderSvg(spec);
  const svgPath = join(dir, `${name}.svg`);
  writeFileSync(svgPath, svg);
  let pngPath: string | undefined;
  if (opts.png ?? true) {
    pngPath = join(dir, `${name}.png`);
    writeFileSync(pngPath, await svgToPng(svg));
  }
  const title = opts.title ?? (typeof spec.title === 'string' ? spec.title : name);
  return { name, title, svg, svgPath, ...(pngPath ? { pngPath } : {}), spec };
}
