/**
 * The gridworld's figures and report, built from the generic report module: learning curves (true return, reward
 * loss, teacher entropy, goal rate, reward correlation), sample paths at chosen iterations, true vs learned reward
 * heatmaps. Each is written as SVG and PNG; report.html inlines them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart, heatmaps, pathPlot, writeFigure, buildHtmlReport, metricSeries, type WrittenFigure } from '../../report/index.js';
import { configToJson } from './config.js';
import type { GridworldExperiment } from './experiment.js';
import type { GridworldSummary } from './summary.js';
import type { MetricsRow } from '../../loop/parts.js';

export async function writeGridworldReport(dir: string, exp: GridworldExperiment, rows: MetricsRow[], summary: GridworldSummary): Promise<WrittenFigure[]> {
  const N = exp.env.size;
  const figures: WrittenFigure[] = [];
  const add = async (name: string, spec: Parameters<typeof writeFigure>[2], caption: string) => {
    const f = await writeFigure(dir, name, spec);
    figures.push(f);
    captions.set(name, caption);
  };
  const captions = new Map<string, string>();

  await add(
    'true_return',
    lineChart({ title: 'True return per iteration', series: [metricSeries(rows, 'objective/true_return', { name: 'mean true return' })], yTitle: 'Σ r*(s_t), t = 1..H', ruleY: exp.optimalReturn, ruleLabel: 'optimum' }),
    'Mean true return of the exploitation rollouts; the dashed line is the best achievable expected return.',
  );
  await add(
    'reward_loss',
    lineChart({ title: 'Reward loss per iteration', series: [metricSeries(rows, 'reward/loss', { name: 'Bradley–Terry loss' })], yTitle: 'BT loss (nats)' }),
    "Bradley–Terry loss on the iteration's labelled pairs after the fit. It rises toward ln 2 as both rollouts of a pair reach the goal and the comparisons become coin flips.",
  );
  await add(
    'teacher_entropy',
    lineChart({ title: 'Teacher entropy per iteration', series: [metricSeries(rows, 'teacher/entropy', { name: 'teacher entropy' })], yTitle: 'nats', ruleY: Math.LN2, ruleLabel: 'ln 2' }),
    "Mean entropy of the teacher's label distribution over the judged pairs (ln 2 = a coin flip).",
  );
  await add(
    'goal_rate',
    lineChart({
      title: 'Goal rate and reward correlation per iteration',
      series: [metricSeries(rows, 'objective/goal_rate', { name: 'goal rate' }), metricSeries(rows, 'objective/goal_visit_rate', { name: 'rollouts visiting a goal' }), metricSeries(rows, 'reward/correlation', { name: 'reward correlation' })],
      yTitle: 'share / Pearson r',
    }),
    'Share of exploitation rollouts ending on a goal; share of all rollouts that visit a goal at all; Pearson correlation of the learned and true target distributions.',
  );
  const recorded = exp.recordedPaths;
  const its = Object.keys(recorded)
    .map(Number)
    .sort((a, b) => a - b);
  if (its.length > 0) {
    const markers = [
      ...Array.from(exp.env.startStates, (s) => ({ x: exp.env.xy(s)[0], y: exp.env.xy(s)[1], kind: 'start' })),
      ...Array.from(exp.env.goalStates, (s) => ({ x: exp.env.xy(s)[0], y: exp.env.xy(s)[1], kind: 'goal' })),
    ];
    await add(
      'paths',
      pathPlot({
        cols: N,
        rows: N,
        markers,
        panels: its.map((it) => ({ title: `iteration ${it}`, paths: recorded[String(it)]!.map((p) => ({ points: p.map((s) => exp.env.xy(s)) })) })),
        size: Math.min(220, Math.max(140, 22 * N)),
      }),
      'Sample exploitation rollouts (states s₀..s_H) at several iterations.',
    );
  }
  await add(
    'reward_heatmaps',
    heatmaps({
      rows: N,
      cols: N,
      panels: [
        { title: 'true reward log(p*(s) + ε)', values: exp.env.trueReward },
        { title: exp.reward.models.length > 1 ? 'learned reward (ensemble mean)' : 'learned reward log softmax(θ)', values: exp.reward.learnedReward() },
        { title: 'learned distribution', values: exp.reward.learnedDistribution() },
      ],
    }),
    'True vs learned reward over the grid (x right, y up).',
  );
  const html = buildHtmlReport({
    title: `Gridworld RLHF — ${N}×${N}, seed ${exp.config.seed}`,
    subtitle: `teacher ${exp.config.teacher}, ${summary.iterations} iterations, ${summary.labels} labels, explore bonus ${exp.config.exploreBonus}`,
    summary: summary as unknown as Record<string, unknown>,
    figures: figures.map((f) => ({ ...f, caption: captions.get(f.name) ?? '' })),
    config: configToJson(exp.config),
  });
  writeFileSync(join(dir, 'report.html'), html);
  return figures;
}
