/**
 * The digits run's report: thumbs-up and accuracy curves (Vega-Lite → SVG/PNG, the shared report module), image
 * grids per class before and after feedback (PNG written here), the top options per class, and the summary.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildHtmlReport, lineChart, metricSeries, writeFigure, type ReportFigure } from '../../report/index.js';
import type { MetricsRow } from '../../loop/parts.js';
import { FASHION_CLASSES, NUM_CLASSES } from './data.js';
import { gridPng, pngAsSvg } from './images.js';
import type { DigitsConfig } from './config.js';
import type { DigitsSession } from './session.js';
import type { DigitsSummary } from './summary.js';

const SCALE = 2;
const PAD = 2;
const LABEL_WIDTH = 96;

/** One row per class, `perClass` images each, upscaled ×2. */
export function classGridPng(images: Float32Array, perClass: number, rows = 28, cols = 28): { png: Buffer; width: number; height: number } {
  return gridPng(images, NUM_CLASSES * perClass, rows, cols, { columns: perClass, pad: PAD, scale: SCALE });
}

function classLabels(dataDir: string): string[] {
  const fashion = /fashion/i.test(dataDir);
  return Array.from({ length: NUM_CLASSES }, (_, c) => (fashion ? `${c} ${FASHION_CLASSES[c]}` : String(c)));
}

function gridFigure(path: string, title: string, caption: string, labels: string[], perClass: number, rows = 28, cols = 28): ReportFigure {
  const png = readFileSync(path);
  const width = perClass * (cols * SCALE + PAD) + PAD;
  const height = NUM_CLASSES * (rows * SCALE + PAD) + PAD;
  return { title, caption, svg: pngAsSvg(png, width, height, labels, (height - PAD) / NUM_CLASSES, LABEL_WIDTH), pngPath: path };
}

/** Rolling mean over a window (the first values use what exists). */
function rolling(y: ArrayLike<number>, window: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    s += y[i]!;
    if (i >= window) s -= y[i - window]!;
    out.push(s / Math.min(i + 1, window));
  }
  return out;
}

export interface DigitsReportInput {
  config: DigitsConfig;
  summary: DigitsSummary;
  /** the metrics rows, one per iteration */
  rows: MetricsRow[];
  /** every rating's r (1 👍, 0 👎), in order */
  thumbs: number[];
  session: DigitsSession;
  /** the first gridPerClass fresh samples per class before and after feedback, class-major [10 · gridPerClass · dim] */
  gridBefore: Float32Array;
  gridAfter: Float32Array;
}

export async function writeDigitsReport(dirPath: string, o: DigitsReportInput): Promise<void> {
  const { config, summary, rows, session } = o;
  const file = (name: string) => join(dirPath, name);
  const data = session.splits.train;
  const labels = classLabels(session.models.meta.data);
  const perClass = config.gridPerClass;
  // 1) image grids: before and after feedback, and the top options per class
  writeFileSync(file('grid-before.png'), classGridPng(o.gridBefore, perClass, data.rows, data.cols).png);
  writeFileSync(file('grid-after.png'), classGridPng(o.gridAfter, perClass, data.rows, data.cols).png);
  const topN = Math.min(perClass, config.policy.options);
  const top = new Float32Array(NUM_CLASSES * topN * data.dim);
  const topProbs: string[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const t = session.topOptions(c, topN);
    top.set(t.images, c * topN * data.dim);
    topProbs.push(`${labels[c]}: ${t.probs.map((p) => p.toFixed(2)).join(' ')}`);
  }
  writeFileSync(file('top-options.png'), classGridPng(top, topN, data.rows, data.cols).png);

  // 2) curves: the thumbs over ratings, the accuracy over steps (iteration i ends at step min(i·B, steps))
  const ratings = o.thumbs.map((_, i) => i + 1);
  const thumbsFig = await writeFigure(
    dirPath,
    'thumbs-up',
    lineChart({
      title: `Thumbs-up rate (${summary.judge} judge)`,
      series: [
        { name: 'last 100 ratings', x: ratings, y: rolling(o.thumbs, 100) },
        { name: 'last 20 ratings', x: ratings, y: rolling(o.thumbs, 20) },
      ],
      xTitle: 'rating',
      yTitle: 'thumbs-up rate',
    }),
  );
  const acc = metricSeries(rows, 'classifier/accuracy');
  const stepOf = (it: number) => Math.min(it * config.batch, config.steps);
  const accFig = await writeFigure(
    dirPath,
    'classifier-accuracy',
    lineChart({
      title: `Classifier held-out accuracy (${summary.held_out_images} images)`,
      series: [{ name: 'held-out accuracy', x: [0, ...Array.from(acc.x ?? [], stepOf)], y: [summary.classifier_accuracy_before, ...Array.from(acc.y)] }],
      xTitle: 'feedback step',
      yTitle: 'accuracy',
      ruleY: summary.classifier_accuracy_before,
      ruleLabel: 'before feedback',
    }),
  );
  const figures: ReportFigure[] = [
    { title: thumbsFig.title, svg: thumbsFig.svg, ...(thumbsFig.pngPath ? { pngPath: thumbsFig.pngPath } : {}) },
    { title: accFig.title, svg: accFig.svg, ...(accFig.pngPath ? { pngPath: accFig.pngPath } : {}) },
    gridFigure(
      file('grid-before.png'),
      'Generated images before feedback',
      `Fresh samples of the initial policy, one row per class. The judge recognises ${(100 * summary.recognised_before).toFixed(1)}% of 100 such samples per class.`,
      labels,
      perClass,
      data.rows,
      data.cols,
    ),
    gridFigure(
      file('grid-after.png'),
      `Generated images after ${summary.steps} feedback steps`,
      `Fresh samples of the final policy. The judge recognises ${(100 * summary.recognised_after).toFixed(1)}% of 100 such samples per class.`,
      labels,
      perClass,
      data.rows,
      data.cols,
    ),
    gridFigure(file('top-options.png'), 'Most probable options per class after feedback (codes decoded without noise)', `Probabilities — ${topProbs.join('; ')}`, labels, topN, data.rows, data.cols),
  ];
  const html = buildHtmlReport({
    title: `rlhfkit digits run (seed ${summary.seed})`,
    subtitle: `${summary.steps} feedback steps, ${summary.labels} judgements (${summary.judge} judge), data ${session.models.meta.data}`,
    summary: { ...summary },
    figures,
    notes: [
      `Thumbs-up rate: first 100 ratings ${summary.thumbs_up_rate_first100.toFixed(3)}, last 100 ratings ${summary.thumbs_up_rate_last100.toFixed(3)}.`,
      `Classifier held-out accuracy: ${summary.classifier_accuracy_before.toFixed(4)} before, ${summary.classifier_accuracy_after.toFixed(4)} after (lowest seen ${summary.classifier_accuracy_min.toFixed(4)}); judge accuracy ${summary.judge_accuracy.toFixed(4)}.`,
      `Figures: ${['thumbs-up.png', 'classifier-accuracy.png', 'grid-before.png', 'grid-after.png', 'top-options.png'].map((f) => basename(f)).join(', ')}.`,
    ],
    config,
  });
  writeFileSync(file('report.html'), html);
}
