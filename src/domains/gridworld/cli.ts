/**
 * `rlhf run gridworld [options]`: the gridworld's flags and its one-line result, over the one run command
 * (src/cli/runCommand.ts).
 */
import type { DomainCommand } from '../../cli/runCommand.js';
import { runDomainCommand } from '../../cli/runCommand.js';
import type { BackendName } from '../../core/tensor.js';
import { configFromFlags, GRIDWORLD_FLAGS, GRIDWORLD_HELP, type GridworldConfig } from './config.js';
import { gridworldTask } from './run.js';
import type { GridworldSummary } from './summary.js';

/** The tensor backends (as core/tensor.ts's BACKEND_NAMES), listed here so the CLI starts without loading tfjs. */
const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export const gridworldCommandSpec: DomainCommand<GridworldConfig, GridworldSummary> = {
  flags: GRIDWORLD_FLAGS,
  help: GRIDWORLD_HELP,
  // --labels-per-iteration: with people, how many pairs they are shown; else how many pairs --query-selection asks about
  sharedWithPeople: ['labels-per-iteration'],
  configFromFlags(f, human) {
    const config = configFromFlags(f);
    return human && config.querySelection === 'all' ? { ...config, labelsPerIteration: config.batch } : config; // people's gatherer picks its pairs
  },
  task: (f) => gridworldTask({ backend: f.choice('backend', BACKENDS, 'auto') }),
  headline: (s, config, dir) =>
    `gridworld ${config.size}×${config.size}: goal_rate ${s.goal_rate.toFixed(3)}, true_return ${s.true_return.toFixed(2)} (optimum ${s.optimal_return.toFixed(2)}), ` +
    `reward_correlation ${s.reward_correlation?.toFixed(4) ?? 'n/a'}, ${s.labels} labels, ${s.seconds.toFixed(2)} s → ${dir}`,
};

export function gridworldCommand(argv: string[]): Promise<number> {
  return runDomainCommand(gridworldCommandSpec, argv);
}
