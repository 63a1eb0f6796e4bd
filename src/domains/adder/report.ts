/**
 * The adder's figures and report.html: held-out accuracy and action MSE over epochs, the reward model's loss,
 * and the learned reward against the action for a few states (its peak should sit on a + b).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsRow } from '../../loop/parts.js';
import { buildHtmlReport, lineChart, metricSeries, writeFigure, type WrittenFigure } from '../../report/index.js';
import { adderConfigToJson } from './config.js';
import type { AdderSummary } from './summary.js';
import { ADDER_TARGETS, type AdderTrainer } from './train.js';

export async function writeAdderReport(dir: string, tr: AdderTrainer, rows: MetricsRow[], summary: AdderSummary): Promise<WrittenFigure[]> {
  const figures: WrittenFigure[] = [];
  const captions = new Map<string, string>();
  const add = async (name: string, spec: Parameters<typeof writeFigure>[2], caption: string) => {
    figures.push(await writeFigure(dir, name, spec));
    captions.set(name, caption);
  };
  await add(
    'accuracy',
    lineChart({
      title: 'Held-out preference accuracy',
      series: [metricSeries(rows, 'objective/preference_accuracy', { name: 'greedy vs perturbed (seed protocol)' }), metricSeries(rows, 'objective/random_pair_accuracy', { name: 'random pairs' })],
      xTitle: 'epoch',
      yTitle: 'accuracy',
      ruleY: ADDER_TARGETS.preferenceAccuracy,
      ruleLabel: 'target',
    }),
    `Share of ${tr.config.evalPairs} held-out pairs the learned reward orders like the truth (closer to a + b is better).`,
  );
  await add(
    'action_mse',
    lineChart({ title: 'MSE of greedy actions', series: [metricSeries(rows, 'objective/action_mse', { name: 'mean (a + b − x*)²' })], xTitle: 'epoch', yTitle: 'MSE', logY: true, ruleY: ADDER_TARGETS.actionMse, ruleLabel: 'target' }),
    'Mean squared error of the actions chosen by gradient ascent on the learned reward, on the held-out states (log scale).',
  );
  await add(
    'reward_loss',
    lineChart({ title: 'Reward model', series: [metricSeries(rows, 'reward/loss', { name: 'Bradley–Terry loss' }), metricSeries(rows, 'feedback/perturbation', { name: 'perturbation d' })], xTitle: 'epoch', yTitle: 'value' }),
    'Bradley–Terry loss of the last minibatch of each epoch, and the half-width d of the perturbation of compared actions.',
  );
  const states = ([
    [2, 3],
    [7, 9],
    [15, 12],
  ] as Array<[number, number]>).filter(([a, b]) => a < tr.config.stateMax && b < tr.config.stateMax);
  if (states.length > 0) {
    const xs = Array.from({ length: 161 }, (_, i) => (i / 160) * 2 * tr.config.stateMax);
    await add(
      'reward_shape',
      lineChart({
        title: 'Learned reward against the action',
        series: states.map(([a, b]) => {
          const r = tr.meanReward(
            xs.map(() => a),
            xs.map(() => b),
            xs,
          );
          return { name: `a=${a}, b=${b} (answer ${a + b})`, x: xs, y: r };
        }),
        xTitle: 'action x',
        yTitle: 'r̂(a, b, x)',
      }),
      'The ensemble-mean reward as a function of the action, for three states; each curve should peak at its answer.',
    );
  }
  writeFileSync(
    join(dir, 'report.html'),
    buildHtmlReport({
      title: 'adder: RLHF report',
      subtitle: `preset ${tr.config.preset}, model ${tr.config.model}, seed ${tr.config.seed}`,
      summary: summary as unknown as Record<string, unknown>,
      figures: figures.map((f) => ({ title: f.title, svg: f.svg, caption: captions.get(f.name) ?? '', ...(f.pngPath ? { pngPath: f.pngPath } : {}) })),
      config: adderConfigToJson(tr.config),
    }),
  );
  return figures;
}
