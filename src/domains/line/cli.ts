/**
 * `rlhf run line [options]`: validates every flag first (a bad value exits 2 with one line naming the flag and
 * writes nothing), then runs the loop with a progress bar on stderr; --json prints the summary as the last stdout line.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after iteration k's checkpoint.
 */
import { commandFlags, runHelp, runTargetFromFlags, type FlagValues } from '../../cli/args.js';
import { RUN_OPTIONS } from '../../core/config/runOptions.js';
import { LINE_OPTIONS, type LineConfig } from './config.js';
import { runLine } from './run.js';

/** The option sets whose flags `rlhf run line` takes. */
export const LINE_COMMAND_SETS = [LINE_OPTIONS, RUN_OPTIONS] as const;

/** `rlhf run line --help`. */
export function lineHelp(): string {
  return runHelp('rlhf run line — RLHF on a line: walk from 0 to the goal at size−1 (policy MLP + reward MLP, REINFORCE)', [LINE_OPTIONS], 'rlhf run line [options]');
}

/** The resolved config from parsed flags (throws ConfigError naming the flag). */
export function lineConfigFromFlags(values: FlagValues): LineConfig {
  return LINE_OPTIONS.resolveFlags(values);
}

export async function lineCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const values = commandFlags(argv, LINE_COMMAND_SETS, lineHelp);
  if (!values) return 0;
  const config = lineConfigFromFlags(values);
  const run = RUN_OPTIONS.resolveFlags(values); // --backend is accepted for uniformity; the line runs on typed arrays
  const { out, resume, stopAfter } = runTargetFromFlags(run, 'line');

  // 2. run
  const quiet = run.quiet;
  const res = await runLine(config, { out, resume, quiet, report: run.report, ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}) });
  const s = res.summary!;
  if (run.json) console.log(JSON.stringify(s));
  else if (!quiet)
    console.log(
      `line ${config.size}: success_rate ${s.success_rate.toFixed(3)} (target ${s.success_target}), ${s.labels} labels` +
        `${s.labels_to_target !== null ? ` (${s.labels_to_target} to target, after ${s.episodes_to_target} episodes)` : ''}, ${s.episodes} episodes, ${s.seconds.toFixed(2)} s → ${res.dir}`,
    );
  return 0;
}
