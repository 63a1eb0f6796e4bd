/**
 * The arithmetic run's figures and report.html: held-out accuracy (greedy) and the sampled completions' accuracy over
 * the steps, the reward and each reward function's mean, the KL to the reference, and a table of completions by step
 * (read back from completions.jsonl).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHtmlReport, lineChart, metricSeries, writeFigure, type LineSeries, type WrittenFigure } from '../../report/index.js';
import type { ReportTable } from '../../report/html.js';
import type { MetricsRow } from '../../loop/parts.js';
import { arithmeticConfigJson, type ArithmeticConfig } from './config.js';
import type { ArithmeticSummary } from './summary.js';

/** A series of `key` over the rows that have a value for it (evaluations happen every few steps), from step 0. */
function sparseSeries(rows: readonly MetricsRow[], key: string, name: string, at0: number): LineSeries {
  const pts = rows.filter((r) => typeof r[key] === 'number');
  return { name, x: [0, ...pts.map((r) => r.iteration as number)], y: [at0, ...pts.map((r) => r[key] as number)] };
}

interface CompletionRow {
  step: number;
  prompt: string;
  answer: string;
  completion: string;
  reward: number;
  rewards: Record<string, number>;
  advantage: number;
}

/** The steps shown in the table: the first, the middle and the last. */
function tableSteps(last: number): number[] {
  return [...new Set([1, Math.max(1, Math.round(last / 2)), last])];
}

/** Completions by step: for each shown step, every completion of its first `problems` problems. */
export function completionsTable(path: string, lastStep: number, problems = 2): ReportTable | null {
  if (!existsSync(path)) return null;
  const steps = new Set(tableSteps(lastStep));
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CompletionRow)
    .filter((r) => steps.has(r.step));
  const fns = rows.length ? Object.keys(rows[0]!.rewards) : [];
  const out: Array<Array<string | number | null>> = [];
  for (const s of steps) {
    const ofStep = rows.filter((r) => r.step === s);
    const prompts = [...new Set(ofStep.map((r) => r.prompt))].slice(0, problems);
    for (const r of ofStep.filter((x) => prompts.includes(x.prompt))) out.push([r.step, r.prompt, r.answer, r.completion, ...fns.map((f) => r.rewards[f] ?? null), r.reward, Math.round(r.advantage * 1000) / 1000]);
  }
  return { title: 'Completions by step (first two problems of the first, middle and last step)', columns: ['step', 'prompt', 'answer', 'completion', ...fns.map((f) => `reward_fn/${f}`), 'reward', 'advantage'], rows: out };
}

export async function writeArithmeticReport(dir: string, c: ArithmeticConfig, rows: MetricsRow[], summary: ArithmeticSummary): Promise<WrittenFigure[]> {
  const figures: WrittenFigure[] = [];
  const captions = new Map<string, string>();
  const add = async (name: string, spec: Parameters<typeof writeFigure>[2], caption: string) => {
    figures.push(await writeFigure(dir, name, spec));
    captions.set(name, caption);
  };
  const fnKeys = Object.keys(rows[0] ?? {}).filter((k) => k.startsWith('reward_fn/'));
  await add(
    'accuracy',
    lineChart({
      title: 'Exact-match accuracy',
      series: [sparseSeries(rows, 'eval/accuracy', 'held-out, greedy', summary.accuracy_before), metricSeries(rows, 'objective/accuracy', { name: 'sampled completions (training problems)' })],
      xTitle: 'step',
      yTitle: 'accuracy',
    }),
    `Greedy exact-match accuracy on ${c.evalProblems} held-out problems (never trained on), and the share of exact answers among each step's ${c.prompts} × ${c.generations} sampled completions (temperature ${c.temperature}).`,
  );
  await add(
    'reward',
    lineChart({ title: 'Reward', series: [metricSeries(rows, 'objective/reward', { name: 'r = Σ w·r_k' }), ...fnKeys.map((k) => metricSeries(rows, k, { name: k }))], xTitle: 'step', yTitle: 'mean reward' }),
    `Mean combined reward of each step's completions and the mean of each reward function (${c.rewardFns.join(', ')}).`,
  );
  await add(
    'kl',
    lineChart({ title: 'KL to the reference', series: [sparseSeries(rows, 'eval/kl', 'KL(π ‖ π_ref)', 0)], xTitle: 'step', yTitle: 'nats per completion' }),
    `KL(π ‖ π_ref) summed over each completion's tokens (exact over the vocabulary at every position), mean over ${c.klProblems} held-out problems with one completion each sampled from π.`,
  );
  const table = completionsTable(join(dir, 'completions.jsonl'), rows.length);
  writeFileSync(
    join(dir, 'report.html'),
    buildHtmlReport({
      title: 'arithmetic: RL with a verifiable reward',
      subtitle: `${c.optimizer}, ${rows.length} steps, seed ${c.seed}: accuracy ${summary.accuracy_before.toFixed(3)} → ${summary.accuracy_after.toFixed(3)}, KL ${summary.kl.toFixed(3)}`,
      summary: summary as unknown as Record<string, unknown>,
      figures: figures.map((f) => ({ title: f.title, svg: f.svg, caption: captions.get(f.name) ?? '', ...(f.pngPath ? { pngPath: f.pngPath } : {}) })),
      ...(table ? { tables: [table] } : {}),
      config: arithmeticConfigJson(c),
    }),
  );
  return figures;
}
