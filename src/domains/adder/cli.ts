/**
 * `rlhf run adder [options]`: the adder's options and its one-line result, over the one run command
 * (src/cli/runCommand.ts).
 */
import { commandSets, runDomainCommand, type DomainCommand } from '../../cli/runCommand.js';
import { ADDER_OPTIONS, type AdderConfig } from './config.js';
import { adderTask } from './run.js';
import type { AdderSummary } from './summary.js';
import { ADDER_TARGETS } from './train.js';

export const adderCommandSpec: DomainCommand<AdderConfig, AdderSummary> = {
  name: 'adder',
  title: 'preference-based RL on addition: state (a, b), action x, the judge prefers x closer to a + b (true reward −|a + b − x|)',
  options: [ADDER_OPTIONS],
  // --labels-per-iteration: the queries asked per epoch, and with people the comparisons they are shown
  sharedWithPeople: ['labels-per-iteration'],
  configFromFlags: (values) => ADDER_OPTIONS.resolveFlags(values),
  task: () => adderTask(),
  headline: (s, config, dir) =>
    `adder (${config.model}): preference_accuracy ${s.preference_accuracy.toFixed(3)} (target ${ADDER_TARGETS.preferenceAccuracy}), action_mse ${s.action_mse.toFixed(4)} ` +
    `(target ≤ ${ADDER_TARGETS.actionMse}), random-pair accuracy ${s.random_pair_accuracy.toFixed(3)}, ${s.labels} labels, ${s.seconds.toFixed(2)} s → ${dir}`,
};

/** The option sets whose flags `rlhf run adder` takes. */
export const ADDER_COMMAND_SETS = commandSets(adderCommandSpec);

export function adderCommand(argv: string[]): Promise<number> {
  return runDomainCommand(adderCommandSpec, argv);
}
