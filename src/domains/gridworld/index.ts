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
export { runGridworld, summarize, type GridworldRunOptions, type GridworldRunResult, type GridworldSummary } from './run.js';
export { gridworldCommand } from './cli.js';
