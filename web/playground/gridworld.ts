/**
 * The gridworld in the page: the domain's own task (src/domains/gridworld/run.ts, the one `rlhf run gridworld` runs),
 * and what the page draws from it — the same Vega-Lite specs as the report and the dashboard (src/report/specs.ts):
 * the learned vs true reward heatmaps, sample paths, the learning curves.
 *
 * One number the page adds, because a person labels few pairs and the batch's goal rate is then noisy: the plan's
 * goal rate, the exact probability that the plan ends on a goal,
 *   P(s_H ∈ goals) with d₀ = uniform over the starts, d_{t+1}(s') = Σ_s d_t(s) Σ_a π(a|s) P(s'|s,a),
 * π = soft VI on the learned reward r_θ (what the agent plans at the next iteration's start).
 */
import { gridRewardHeatmaps, gridSamplePaths } from '../../src/domains/gridworld/queries.js';
import { gridworldTask, type GridworldRun } from '../../src/domains/gridworld/run.js';
import type { GridworldConfig } from '../../src/domains/gridworld/config.js';
import type { GridworldSummary } from '../../src/domains/gridworld/summary.js';
import type { GridworldState } from '../../src/domains/gridworld/experiment.js';
import type { Task } from '../../src/loop/driver.js';
import type { MetricsRow } from '../../src/loop/parts.js';
import { softValueIteration } from '../../src/policy/softValueIteration.js';
import { metricSeries } from '../../src/report/metrics.js';
import { heatmaps, lineChart, pathPlot, type HeatmapOptions, type PathPlotOptions, type TopLevelSpec } from '../../src/report/specs.js';

export type { GridworldConfig, GridworldRun, GridworldSummary };

/** The gridworld task, with a handle on the run it makes (the page reads the experiment to draw it). */
export function playgroundGridworldTask(onCreate: (run: GridworldRun) => void): Task<GridworldConfig, GridworldSummary, GridworldState, GridworldRun> {
  const base = gridworldTask();
  return {
    ...base,
    async create(config, ctx) {
      const run = await base.create(config, ctx);
      onCreate(run);
      return run;
    },
  };
}

/** P(s_H ∈ goals) under soft VI on the current learned reward (see the file comment). */
export function planGoalRate(run: GridworldRun): number {
  const exp = run.experiment;
  const { horizon, temperature, discount } = exp.config;
  const { mdp, startStates, isGoal } = exp.env;
  const S = mdp.numStates;
  const A = mdp.numActions;
  const K = mdp.width;
  const pi = softValueIteration(mdp, exp.reward.learnedReward(), { horizon, temperature, discount }).policy; // [S·A]
  let d = new Float64Array(S); // [S] d_t
  for (const s of startStates) d[s]! += 1 / startStates.length;
  for (let t = 0; t < horizon; t++) {
    const next = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      if (d[s] === 0) continue;
      for (let a = 0; a < A; a++) {
        const w = d[s]! * pi[s * A + a]!;
        if (w === 0) continue;
        const base = (s * A + a) * K;
        for (let k = 0; k < K; k++) next[mdp.next[base + k]!]! += w * mdp.prob[base + k]!;
      }
    }
    d = next;
  }
  let p = 0;
  for (let s = 0; s < S; s++) if (isGoal[s]) p += d[s]!;
  return p;
}

/** The page's figures of a gridworld run after `iteration`: reward heatmaps and the last batch's paths. */
export function gridworldFigures(run: GridworldRun, iteration: number): Array<{ key: string; label: string; spec: TopLevelSpec }> {
  const exp = run.experiment;
  const c = exp.config;
  const out = [{ key: 'heatmaps', label: 'true and learned reward', spec: heatmaps(gridRewardHeatmaps(c.size, exp.env.trueReward, exp.reward.learnedReward(), iteration).data as unknown as HeatmapOptions) }];
  const b = exp.sampler.lastBatch;
  if (b) out.push({ key: 'paths', label: 'sample paths', spec: pathPlot(gridSamplePaths(c.size, b, iteration, c).data as unknown as PathPlotOptions) });
  return out;
}

/** Learning curves, as the report draws them (src/domains/gridworld/report.ts), plus the plan's goal rate. */
export function gridworldCurves(rows: MetricsRow[], plan: Array<{ iteration: number; rate: number }>, optimalReturn: number | undefined): Array<{ key: string; label: string; spec: TopLevelSpec }> {
  const planSeries = { name: 'plan goal rate', x: plan.map((p) => p.iteration), y: plan.map((p) => p.rate) };
  return [
    {
      key: 'goal',
      label: 'goal rate per iteration',
      spec: lineChart({
        title: 'Goal rate and reward correlation',
        series: [metricSeries(rows, 'objective/goal_rate', { name: 'goal rate' }), planSeries, metricSeries(rows, 'reward/correlation', { name: 'reward correlation' })],
        yTitle: 'share / Pearson r',
        width: 320,
        height: 160,
      }),
    },
    {
      key: 'return',
      label: 'true return per iteration',
      spec: lineChart({
        title: 'True return',
        series: [metricSeries(rows, 'objective/true_return', { name: 'mean true return' })],
        yTitle: 'Σ r*(s_t)',
        ...(optimalReturn !== undefined ? { ruleY: optimalReturn, ruleLabel: 'optimum' } : {}),
        width: 320,
        height: 160,
      }),
    },
    {
      key: 'loss',
      label: 'reward loss per iteration',
      spec: lineChart({ title: 'Reward loss', series: [metricSeries(rows, 'reward/loss', { name: 'Bradley–Terry loss' })], yTitle: 'BT loss (nats)', width: 320, height: 160 }),
    },
  ];
}
