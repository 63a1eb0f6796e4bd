/**
 * The gridworld as a task of the run driver (src/loop/driver.ts): `rlhf run gridworld`, the benchmarks, the tests and
 * the examples all run it through runTask. Files (DIR = --out): config.json, metrics.jsonl, timing.jsonl, checkpoint.json
 * + checkpoint-{0,1}.safetensors (RNG states, logits, Adam moments, visit counts, sample paths), summary.json,
 * report.html and its figures (report.ts).
 */
import type { BackendName } from '../../core/tensor.js';
import { runTask, type DomainRun, type RunOptions, type RunResult, type Task, type TaskContext } from '../../loop/driver.js';
import { runIteration } from '../../loop/parts.js';
import type { GridworldConfig } from './config.js';
import { configToJson } from './config.js';
import { GridworldExperiment, type GridworldState } from './experiment.js';
import { gridRewardHeatmaps, gridSamplePaths, gridworldQueryMaker } from './queries.js';
import { summarize, type GridworldSummary } from './summary.js';

export type { GridworldSummary } from './summary.js';
export { summarize } from './summary.js';

/** A gridworld run: the experiment's parts behind the driver's Run. */
export interface GridworldRun extends DomainRun<GridworldSummary, GridworldState> {
  readonly experiment: GridworldExperiment;
}

/** The gridworld task; `backend` is the tensor backend for rewardImpl "tfjs". */
export function gridworldTask(opts: { backend?: BackendName } = {}): Task<GridworldConfig, GridworldSummary, GridworldState, GridworldRun> {
  return {
    name: 'gridworld',
    configJson: configToJson,
    resumeIgnoreKeys: ['iterations', 'pathIterations'],
    create: (config, ctx) => createGridworldRun(config, ctx, opts.backend ?? 'auto'),
  };
}

async function createGridworldRun(config: GridworldConfig, ctx: TaskContext, backend: BackendName): Promise<GridworldRun> {
  const exp = await new GridworldExperiment(config).prepare();
  // the reward fitter: typed arrays by default; tfjs on request, loaded only then
  let tfjsFitter: { syncFromModel(): void; dispose(): void } | undefined;
  if (config.rewardImpl === 'tfjs') {
    const { initTensors } = await import('../../core/tensor.js');
    await initTensors(backend);
    const { TfjsTabularFitter } = await import('./tfjsFitter.js');
    const f = new TfjsTabularFitter(exp.reward.model, exp.reward.adam, config.rewardSteps);
    f.syncFromModel();
    exp.reward.setFitter(f);
    tfjsFitter = f;
  }
  // the judge: the B-Pref teacher, or people shown the asked pairs
  const maker = gridworldQueryMaker({ size: config.size, starts: config.starts, goals: config.goals, learnedReward: () => (exp.labelCount > 0 ? exp.reward.model.reward() : undefined) });
  const parts = exp.parts(ctx.judge(exp.judge, maker));
  const paths = new Set(config.pathIterations);
  return {
    experiment: exp,
    iterations: config.iterations,
    iterate: (it) => runIteration(parts, it),
    afterIteration: (it) => {
      if (paths.has(it)) exp.recordPaths(it);
    },
    snapshot: () => ({ state: exp.state(), arrays: exp.arrays() }),
    restore: (state, arrays) => {
      exp.restore(state, arrays);
      tfjsFitter?.syncFromModel(); // the tfjs fitter keeps its own copies of the logits and Adam's moments
    },
    progressFields: (m) => ({ goal: m['objective/goal_rate'] ?? Number.NaN, loss: m['reward/loss'] ?? Number.NaN }),
    summarize: (rows, seconds) => summarize(exp, rows, seconds),
    writeReport: async (dir, rows, summary) => (await import('./report.js')).writeGridworldReport(dir, exp, rows, summary),
    figures: (it) => {
      const figs = [gridRewardHeatmaps(config.size, exp.env.trueReward, exp.reward.model.reward(), it)];
      const b = exp.sampler.lastBatch;
      if (b) figs.push(gridSamplePaths(config.size, b, it, config));
      return figs;
    },
    dispose: () => tfjsFitter?.dispose(),
  };
}

export type GridworldRunOptions = RunOptions & { backend?: BackendName };
export type GridworldRunResult = RunResult<GridworldSummary, GridworldRun>;

/** Runs the gridworld loop end to end (runTask over gridworldTask). */
export function runGridworld(config: GridworldConfig, opts: GridworldRunOptions = {}): Promise<GridworldRunResult> {
  return runTask(gridworldTask(opts.backend ? { backend: opts.backend } : {}), config, opts);
}
