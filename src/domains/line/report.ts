/**
 * The line's figures and report.html, built from the generic report module: success rate against episodes and
 * against labels, the reward model's fit (loss, accuracy, ensemble disagreement), the judged vs learned reward of
 * every (position, action), and the final policy's P(right | position).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsRow } from '../../loop/parts.js';
import { buildHtmlReport, heatmaps, lineChart, metricSeries, writeFigure, type WrittenFigure } from '../../report/index.js';
import { lineConfigToJson } from './config.js';
import { lineRewardHeatmapOptions } from './queries.js';
import type { LineSummary } from './summary.js';
import type { LineTrainer } from './train.js';
import { LINE_SUCCESS_TARGET } from './train.js';

export async function writeLineReport(dir: string, tr: LineTrainer, rows: MetricsRow[], summary: LineSummary): Promise<WrittenFigure[]> {
  const S = tr.config.size;
  const figures: WrittenFigure[] = [];
  const captions = new Map<string, string>();
  const add = async (name: string, spec: Parameters<typeof writeFigure>[2], caption: string) => {
    figures.push(await writeFigure(dir, name, spec));
    captions.set(name, caption);
  };
  await add(
    'success',
    lineChart({
      title: 'Success rate',
      series: [metricSeries(rows, 'objective/success_rate', { name: 'P(goal within eval steps)', xKey: 'episodes' }), metricSeries(rows, 'policy/train_success', { name: 'training episodes at the goal', xKey: 'episodes' })],
      xTitle: 'training episodes',
      yTitle: 'success',
      ruleY: LINE_SUCCESS_TARGET,
      ruleLabel: 'target',
    }),
    `Exact probability that the stochastic policy reaches the goal within ${tr.config.evalSteps} steps, and the share of training episodes that reached it.`,
  );
  await add(
    'success_vs_labels',
    lineChart({ title: 'Success rate against labels', series: [metricSeries(rows, 'objective/success_rate', { name: 'success', xKey: 'feedback/labels' })], xTitle: 'labels', yTitle: 'success', ruleY: LINE_SUCCESS_TARGET, ruleLabel: 'target' }),
    'What the labels bought: success after each iteration against the labels used so far.',
  );
  if (tr.config.feedback === 'comparison')
    await add(
      'reward_fit',
      lineChart({
        title: 'Reward model',
        series: [metricSeries(rows, 'reward/loss', { name: 'Bradley–Terry loss' }), metricSeries(rows, 'reward/accuracy', { name: 'accuracy on labels' }), metricSeries(rows, 'reward/disagreement', { name: 'ensemble std of r̂(s,R) − r̂(s,L)' })],
        yTitle: 'value',
      }),
      'Loss and label accuracy of the ensemble after each fit, and how much its members disagree.',
    );
  await add(
    'reward_table',
    heatmaps(lineRewardHeatmapOptions(S, tr.judgedTable(), tr.rewardTable().mean)),
    'The reward the teacher judges by and the one the model learned, per position and action (the goal column never acts). Only the differences within a row matter to Bradley–Terry.',
  );
  const p = tr.evaluate().pRight;
  await add(
    'policy',
    lineChart({ title: 'Final policy', series: [{ name: 'P(right | position)', x: Array.from({ length: S - 1 }, (_, s) => s), y: p.slice(0, S - 1) }], xTitle: 'position', yTitle: 'P(right)' }),
    'Probability of moving right at each position under the final policy.',
  );
  const html = buildHtmlReport({
    title: `line ${S}: RLHF report`,
    subtitle: `preset ${tr.config.preset}, feedback ${tr.config.feedback}, seed ${tr.config.seed}`,
    summary: summary as unknown as Record<string, unknown>,
    figures: figures.map((f) => ({ title: f.title, svg: f.svg, caption: captions.get(f.name) ?? '', ...(f.pngPath ? { pngPath: f.pngPath } : {}) })),
    config: lineConfigToJson(tr.config),
  });
  writeFileSync(join(dir, 'report.html'), html);
  return figures;
}
