/**
 * The gridworld domain's public surface: configure, run (with or without a run directory), or assemble the loop
 * yourself from the experiment's parts.
 */
export { Gridworld, ACTIONS, type ActionName, type GridworldSpec } from './env.js';
export { rollout, allocTrajectories, type Trajectories } from './rollout.js';
export {
  resolveGridworldConfig,
  configToJson,
  configFromJson,
  defaultPathIterations,
  GRIDWORLD_DEFAULTS,
  GRIDWORLD_OPTIONS,
  REWARD_IMPLS,
  type GridworldConfig,
  type GridworldConfigInput,
  type RewardImpl,
} from './config.js';
export { GridworldExperiment, pearson, type GridworldBatch, type GridworldState, type TabularFitter } from './experiment.js';
export { GridworldPlanner } from './planner.js';
export { GridworldSampler } from './sampler.js';
export { GridworldTeacher } from './teacher.js';
export { GridworldReward } from './reward.js';
export { GridworldEvaluator } from './evaluator.js';
export { gridworldQueryMaker, gridRewardHeatmaps, gridSamplePaths, type GridworldQueryOptions } from './queries.js';
export type { Cell, GridTrajectoryPayload } from './payload.js';
export { runGridworld, gridworldTask, type GridworldRun, type GridworldRunOptions, type GridworldRunResult } from './run.js';
export { summarize, type GridworldSummary } from './summary.js';
