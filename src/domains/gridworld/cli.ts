/**
 * `rlhf run gridworld [options]`: validates every flag first (a bad value exits 2 with one line naming the flag and
 * writes nothing), then runs the loop with a progress bar on stderr, and with --json prints the summary as the last
 * line of stdout.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after iteration k's checkpoint, as a kill
 * would, so tests can check that --resume reproduces an uninterrupted run.
 */
import { commandFlags, runHelp, runTargetFromFlags } from '../../cli/args.js';
import { RUN_OPTIONS } from '../../core/config/runOptions.js';
import { gridworldPeople, humanJudgeFromFlags, HUMAN_JUDGE_FLAG_SETS } from '../../loop/humanJudge.js';
import { configToJson, GRIDWORLD_OPTIONS } from './config.js';
import { runGridworld } from './run.js';

/** The option sets whose flags `rlhf run gridworld` takes. */
export const GRIDWORLD_COMMAND_SETS = [GRIDWORLD_OPTIONS, RUN_OPTIONS, ...HUMAN_JUDGE_FLAG_SETS] as const;

/** `rlhf run gridworld --help`. */
export function gridworldHelp(): string {
  return runHelp('rlhf run gridworld — RLHF on an N×N gridworld (soft value iteration + a learned state reward)', [GRIDWORLD_OPTIONS, ...HUMAN_JUDGE_FLAG_SETS], 'rlhf run gridworld [options]');
}

export async function gridworldCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const values = commandFlags(argv, GRIDWORLD_COMMAND_SETS, gridworldHelp);
  if (!values) return 0;
  // --labels-per-iteration is shared: with people (--judge human|mixed or --db) it is how many pairs they are shown;
  // with the simulated teacher it is how many pairs --query-selection asks about
  const withPeople = (values.judge !== undefined && values.judge !== 'simulated') || values.db !== undefined;
  const human = humanJudgeFromFlags(withPeople ? values : { ...values, 'labels-per-iteration': undefined }); // people label in the web app
  let config = GRIDWORLD_OPTIONS.resolveFlags(values);
  if (human && config.querySelection === 'all') config = { ...config, labelsPerIteration: config.batch }; // the human gatherer picks its pairs
  const run = RUN_OPTIONS.resolveFlags(values);
  const { out, resume, stopAfter } = runTargetFromFlags(run, 'gridworld');

  // 2. run
  const quiet = run.quiet;
  const people = human && gridworldPeople(human, { out, config: configToJson(config) });
  let ok = false;
  const res = await runGridworld(config, {
    out,
    resume,
    quiet: quiet || people !== undefined, // the log-in lines and waiting messages would fight the progress bar
    report: run.report,
    backend: run.backend,
    ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}),
    ...(people ? { gatherer: people.gatherer, onIteration: people.onIteration } : {}),
  }).then((r) => ((ok = true), r)).finally(() => people?.close(ok));
  const s = res.summary!;
  if (run.json) {
    console.log(JSON.stringify(s));
  } else if (!quiet) {
    console.log(
      `gridworld ${config.size}×${config.size}: goal_rate ${s.goal_rate.toFixed(3)}, true_return ${s.true_return.toFixed(2)} (optimum ${s.optimal_return.toFixed(2)}), ` +
        `reward_correlation ${s.reward_correlation?.toFixed(4) ?? 'n/a'}, ${s.labels} labels, ${s.seconds.toFixed(2)} s → ${res.dir}`,
    );
  }
  return 0;
}
