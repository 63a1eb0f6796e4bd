/**
 * `rlhf run gridworld [options]`: the gridworld's options and its one-line result, over the one run command
 * (src/cli/runCommand.ts).
 */
import { commandSets, runDomainCommand, type DomainCommand } from '../../cli/runCommand.js';
import { GRIDWORLD_OPTIONS, type GridworldConfig } from './config.js';
import { gridworldTask } from './run.js';
import type { GridworldSummary } from './summary.js';

export const gridworldCommandSpec: DomainCommand<GridworldConfig, GridworldSummary> = {
  name: 'gridworld',
  title: 'RLHF on an N×N gridworld (soft value iteration + a learned state reward)',
  options: [GRIDWORLD_OPTIONS],
  // --labels-per-iteration: with people, how many pairs they are shown; else how many pairs --query-selection asks about
  sharedWithPeople: ['labels-per-iteration'],
  configFromFlags(values, human) {
    const config = GRIDWORLD_OPTIONS.resolveFlags(values);
    return human && config.querySelection === 'all' ? { ...config, labelsPerIteration: config.batch } : config; // people's gatherer picks its pairs
  },
  task: (run) => gridworldTask({ backend: run.backend }),
  headline: (s, config, dir) =>
    `gridworld ${config.size}×${config.size}: goal_rate ${s.goal_rate.toFixed(3)}, true_return ${s.true_return.toFixed(2)} (optimum ${s.optimal_return.toFixed(2)}), ` +
    `reward_correlation ${s.reward_correlation?.toFixed(4) ?? 'n/a'}, ${s.labels} labels, ${s.seconds.toFixed(2)} s → ${dir}`,
};

/** The option sets whose flags `rlhf run gridworld` takes. */
export const GRIDWORLD_COMMAND_SETS = commandSets(gridworldCommandSpec);

export function gridworldCommand(argv: string[]): Promise<number> {
  return runDomainCommand(gridworldCommandSpec, argv);
}
