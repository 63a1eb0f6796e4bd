/**
 * One row of the label-efficiency sweeps in docs/active-queries.md ("Second round"): gridworld 10×10, median labels to
 * reach a goal rate of 0.95 (the least over the labels-per-iteration rates), for each strategy, over N seeds.
 *
 *   npm run bench -- label-efficiency-sweep STRATEGIES K SEEDS RATES [CONFIG_JSON]
 *     e.g. npm run bench -- label-efficiency-sweep random,disagreement 3 20 1,2,5,10,20 '{"batch":1000}'
 *   environment: TEACHER (oracle), ITERS (iterations per run, 40), SEED0 (first seed offset, 0)
 *
 * CONFIG_JSON overrides any gridworld option (resolveGridworldConfig's input), e.g. {"bootstrap":true,"ensemblePrior":1}
 * for the first round's ensemble, {"replayLabels":false} for the seed's online fit. Prints one JSON line per
 * strategy: median, per-seed labels (null = never reached), the final goal rate of each seed's best run, seconds. Runs use seeds SEED0 + 1 … SEED0 + SEEDS, as the
 * benchmark does.
 */
import { resolveGridworldConfig, runGridworld, type GridworldConfigInput } from '../src/domains/gridworld/index.js';
import type { QuerySelection } from '../src/reward/querySelection.js';

export async function run(args: string[]): Promise<void> {
  const [strategiesArg, kArg, seedsArg, ratesArg, extraArg] = args;
  if (!strategiesArg || !kArg || !seedsArg || !ratesArg) {
    throw new Error('usage: npm run bench -- label-efficiency-sweep STRATEGIES K SEEDS RATES [CONFIG_JSON]');
  }
  const strategies = strategiesArg.split(',') as QuerySelection[];
  const K = Number(kArg);
  const seeds = Number(seedsArg);
  const rates = ratesArg.split(',').map(Number);
  const extra = JSON.parse(extraArg ?? '{}') as GridworldConfigInput;
  const teacher = (process.env.TEACHER ?? 'oracle') as GridworldConfigInput['teacher'];
  const iterations = Number(process.env.ITERS ?? 40);
  const seed0 = Number(process.env.SEED0 ?? 0);

  for (const strategy of strategies) {
    const t0 = performance.now();
    const perSeed: Array<number | null> = [];
    /** the last iteration's goal rate of the run that reached the target with the fewest labels (or of the last rate) */
    const finalGoalRate: number[] = [];
    for (let seed = seed0; seed < seed0 + seeds; seed++) {
      let best = Infinity;
      let final = 0;
      for (const rate of rates) {
        const config = resolveGridworldConfig({ size: 10, iterations, teacher, querySelection: strategy, rewardEnsemble: K, labelsPerIteration: rate, seed: seed + 1, ...extra });
        const run = await runGridworld(config, { quiet: true });
        const first = run.metrics.find((m) => (m['objective/goal_rate'] ?? 0) >= 0.95);
        const labels = first?.['feedback/labels'] ?? Infinity;
        if (labels < best || (!Number.isFinite(best) && rate === rates.at(-1))) final = run.summary?.goal_rate ?? 0;
        best = Math.min(best, labels);
      }
      perSeed.push(Number.isFinite(best) ? best : null);
      finalGoalRate.push(Math.round(final * 1000) / 1000);
    }
    const sorted = perSeed.map((x) => x ?? Infinity).sort((a, b) => a - b);
    const median = (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
    console.log(JSON.stringify({ strategy, K, teacher, iterations, rates, extra, median: Number.isFinite(median) ? median : null, perSeed, finalGoalRate, seconds: Math.round((performance.now() - t0) / 1000) }));
  }
}
