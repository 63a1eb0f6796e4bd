/**
 * The text run's report: the seed's before/after table (query, response before, response after, reward before,
 * reward after), the KL and reward curves (PPO) or the DPO loss and implicit-reward accuracy, as SVG + PNG, and
 * report.html with the summary and the config.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsRow } from '../../../loop/parts.js';
import { buildHtmlReport, lineChart, metricSeries, writeFigure, type WrittenFigure } from '../../../report/index.js';
import type { TextRlhfSummary } from '../summary.js';
import type { TextRlhfConfig } from './config.js';
import type { TextRlhfResult } from './run.js';

export async function writeTextReport(dir: string, config: TextRlhfConfig, rows: readonly MetricsRow[], summary: TextRlhfSummary, res: TextRlhfResult): Promise<WrittenFigure[]> {
  // the optimization steps: iteration k ≥ 2 is PPO step / DPO epoch k − 1 (iteration 1 is feedback and the reward model)
  const steps = rows.filter((r) => (r.iteration ?? 0) >= 2).map((r) => ({ ...r, step: r.iteration! - 1 }));
  const series = (key: string, name: string) => metricSeries(steps, key, { name, xKey: 'step' });
  const figures: WrittenFigure[] = [];
  const captions = new Map<string, string>();
  const add = async (name: string, spec: Parameters<typeof writeFigure>[2], caption: string): Promise<void> => {
    figures.push(await writeFigure(dir, name, spec));
    captions.set(name, caption);
  };
  if (config.optimizer === 'ppo') {
    await add(
      'kl',
      lineChart({ title: 'KL to the reference per PPO step', series: [series('objective/kl', 'KL (nats / sequence)')], xTitle: 'PPO step', yTitle: 'Σ_t log π/π_ref', ruleY: config.klTarget, ruleLabel: 'target' }),
      'Mean over the batch of Σ_t (log π − log π_ref) on the policy’s own samples; the dashed line is the adaptive controller’s target.',
    );
    await add(
      'reward',
      lineChart({
        title: 'Rewards per PPO step',
        series: [series('objective/true_reward', 'judge (mean AFINN)'), series('objective/scores', 'reward model (standardized)'), series('objective/rlhf_reward', 'score − β·KL')],
        xTitle: 'PPO step',
        yTitle: 'reward',
      }),
      'The simulated judge’s mean AFINN score of the batch, the learned reward model’s standardized score, and the RLHF objective (score minus the KL penalty).',
    );
    await add(
      'kl_coef',
      lineChart({ title: 'KL coefficient β', series: [series('objective/kl_coef', 'β')], xTitle: 'PPO step', yTitle: 'β' }),
      'The adaptive KL controller moves β toward the KL target (Ziegler et al. 2019).',
    );
  } else {
    await add(
      'dpo',
      lineChart({
        title: 'DPO per epoch',
        series: [series('dpo/loss', 'loss'), series('dpo/rewards/accuracies', 'implicit reward accuracy'), series('dpo/rewards/margins', 'reward margin')],
        xTitle: 'epoch',
        yTitle: 'value',
      }),
      'DPO loss, the share of pairs whose implicit reward β·log π/π_ref ranks the chosen continuation first, and the mean margin.',
    );
  }
  const html = buildHtmlReport({
    title: `rlhfkit — text (${config.optimizer.toUpperCase()})`,
    subtitle: `simulated judge: AFINN-165 through the B-Pref teacher "${config.teacher}"; seed ${config.seed}`,
    summary: summary as unknown as Record<string, unknown>,
    figures: figures.map((f) => ({ title: f.title ?? f.name, svg: f.svg, pngPath: f.pngPath, caption: captions.get(f.name) })),
    tables: [
      {
        title: 'Before and after (held-out prompts)',
        columns: ['query', 'response before', 'response after', 'reward before', 'reward after'],
        rows: res.table.map((r) => [r.query, r.responseBefore, r.responseAfter, r.rewardBefore, r.rewardAfter]),
      },
      {
        title: 'Reward model',
        columns: ['epoch', 'train loss', 'train accuracy', 'held-out accuracy'],
        rows: res.rewardFit.history.map((h) => [h.epoch, h.trainLoss, h.trainAccuracy, h.heldOutAccuracy]),
      },
    ],
    config,
  });
  writeFileSync(join(dir, 'report.html'), html);
  return figures;
}
