/**
 * `rlhf run gridworld [options]`: validates every flag first (a bad value exits 2 with one line naming the flag and
 * writes nothing), then runs the loop with a progress bar on stderr, and with --json prints the summary as the last
 * line of stdout.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after iteration k's checkpoint, as a kill
 * would, so tests can check that --resume reproduces an uninterrupted run.
 */
import { commandFlags, COMMON_RUN_FLAGS, runTargetFromFlags } from '../../cli/args.js';
import { UsageError } from '../../core/errors.js';
import type { BackendName } from '../../core/tensor.js';
import { gridworldPeople, humanJudgeFromFlags, HUMAN_JUDGE_FLAGS, HUMAN_JUDGE_HELP } from '../../loop/humanJudge.js';
import { configFromFlags, configToJson, GRIDWORLD_FLAGS, GRIDWORLD_HELP } from './config.js';
import { runGridworld } from './run.js';

/** The tensor backends (as core/tensor.ts's BACKEND_NAMES), listed here so the CLI starts without loading tfjs. */
const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export async function gridworldCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const f = commandFlags(argv, { ...COMMON_RUN_FLAGS, ...GRIDWORLD_FLAGS, ...HUMAN_JUDGE_FLAGS }, GRIDWORLD_HELP + HUMAN_JUDGE_HELP);
  if (!f) return 0;
  // --labels-per-iteration is shared: with people (--judge human|mixed or --db) it is how many pairs they are shown;
  // with the simulated teacher it is how many pairs --query-selection asks about
  const withPeople = (f.has('judge') && f.string('judge') !== 'simulated') || f.has('db');
  const human = humanJudgeFromFlags(withPeople ? f : f.without('labels-per-iteration')); // people label in the web app
  let config = configFromFlags(f);
  if (human && config.querySelection === 'all') config = { ...config, labelsPerIteration: config.batch }; // the human gatherer picks its pairs
  const backend = f.choice('backend', BACKENDS, 'auto');
  const { out, resume, stopAfter } = runTargetFromFlags(f, 'gridworld');

  // 2. run
  const quiet = f.bool('quiet');
  const people = human && gridworldPeople(human, { out, config: configToJson(config) });
  let ok = false;
  const res = await runGridworld(config, {
    out,
    resume,
    quiet: quiet || people !== undefined, // the log-in lines and waiting messages would fight the progress bar
    report: !f.bool('no-report'),
    backend,
    ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}),
    ...(people ? { gatherer: people.gatherer, onIteration: people.onIteration } : {}),
  }).then((r) => ((ok = true), r)).finally(() => people?.close(ok));
  const s = res.summary!;
  if (f.bool('json')) {
    console.log(JSON.stringify(s));
  } else if (!quiet) {
    console.log(
      `gridworld ${config.size}×${config.size}: goal_rate ${s.goal_rate.toFixed(3)}, true_return ${s.true_return.toFixed(2)} (optimum ${s.optimal_return.toFixed(2)}), ` +
        `reward_correlation ${s.reward_correlation?.toFixed(4) ?? 'n/a'}, ${s.labels} labels, ${s.seconds.toFixed(2)} s → ${res.dir}`,
    );
  }
  return 0;
}
