/**
 * `rlhf run adder [options]`: validates every flag first (a bad value exits 2 with one line naming the flag and
 * writes nothing), then runs with a progress bar on stderr; --json prints the summary as the last stdout line.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after epoch k's checkpoint.
 */
import { commandFlags, runHelp, runTargetFromFlags, type FlagValues } from '../../cli/args.js';
import { RUN_OPTIONS } from '../../core/config/runOptions.js';
import { ADDER_OPTIONS, type AdderConfig } from './config.js';
import { runAdder } from './run.js';
import { ADDER_TARGETS } from './train.js';

/** The option sets whose flags `rlhf run adder` takes. */
export const ADDER_COMMAND_SETS = [ADDER_OPTIONS, RUN_OPTIONS] as const;

/** `rlhf run adder --help`. */
export function adderHelp(): string {
  return runHelp('rlhf run adder — preference-based RL on addition: state (a, b), action x, the judge prefers x closer to a + b (true reward −|a + b − x|)', [ADDER_OPTIONS], 'rlhf run adder [options]');
}

/** The resolved config from parsed flags (throws ConfigError naming the flag). */
export function adderConfigFromFlags(values: FlagValues): AdderConfig {
  return ADDER_OPTIONS.resolveFlags(values);
}

export async function adderCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const values = commandFlags(argv, ADDER_COMMAND_SETS, adderHelp);
  if (!values) return 0;
  const config = adderConfigFromFlags(values);
  const run = RUN_OPTIONS.resolveFlags(values); // --backend is accepted for uniformity; the adder runs on typed arrays
  const { out, resume, stopAfter } = runTargetFromFlags(run, 'adder');

  // 2. run
  const quiet = run.quiet;
  const res = await runAdder(config, { out, resume, quiet, report: run.report, ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}) });
  const s = res.summary!;
  if (run.json) console.log(JSON.stringify(s));
  else if (!quiet)
    console.log(
      `adder (${config.model}): preference_accuracy ${s.preference_accuracy.toFixed(3)} (target ${ADDER_TARGETS.preferenceAccuracy}), action_mse ${s.action_mse.toFixed(4)} ` +
        `(target ≤ ${ADDER_TARGETS.actionMse}), random-pair accuracy ${s.random_pair_accuracy.toFixed(3)}, ${s.labels} labels, ${s.seconds.toFixed(2)} s → ${res.dir}`,
    );
  return 0;
}
