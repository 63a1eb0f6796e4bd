/**
 * `rlhf run line [options]`: the line's options and its one-line result, over the one run command
 * (src/cli/runCommand.ts).
 */
import { commandSets, runDomainCommand, type DomainCommand } from '../../cli/runCommand.js';
import { LINE_OPTIONS, type LineConfig } from './config.js';
import { lineTask, regressionHasNoJudge } from './run.js';
import type { LineSummary } from './summary.js';

export const lineCommandSpec: DomainCommand<LineConfig, LineSummary> = {
  name: 'line',
  title: 'RLHF on a line: walk from 0 to the goal at size−1 (policy MLP + reward MLP, REINFORCE)',
  options: [LINE_OPTIONS],
  // --labels-per-iteration: the queries asked per iteration, and with people the comparisons they are shown
  sharedWithPeople: ['labels-per-iteration'],
  configFromFlags(values, human) {
    const config = LINE_OPTIONS.resolveFlags(values);
    if (human && config.feedback === 'regression') throw regressionHasNoJudge(human.config.mode);
    return config;
  },
  task: () => lineTask(),
  headline: (s, config, dir) =>
    `line ${config.size}: success_rate ${s.success_rate.toFixed(3)} (target ${s.success_target}), ${s.labels} labels` +
    `${s.labels_to_target !== null ? ` (${s.labels_to_target} to target, after ${s.episodes_to_target} episodes)` : ''}, ${s.episodes} episodes, ${s.seconds.toFixed(2)} s → ${dir}`,
};

/** The option sets whose flags `rlhf run line` takes. */
export const LINE_COMMAND_SETS = commandSets(lineCommandSpec);

export function lineCommand(argv: string[]): Promise<number> {
  return runDomainCommand(lineCommandSpec, argv);
}
