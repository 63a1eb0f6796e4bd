/**
 * `rlhf run <domain>`: the one command behind every domain (and a user's task). It validates every flag first (a bad
 * value exits 2 with one line naming the flag and writes nothing), then hands the resolved config to the run driver
 * (src/loop/driver.ts) with a progress bar on stderr, people in the loop when --judge human|mixed (or --db) asks for
 * them, and with --json prints the summary as the last line of stdout.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after iteration k's checkpoint, as a kill
 * would, so tests can check that --resume reproduces an uninterrupted run.
 */
import { runTask, type DomainRun, type Task } from '../loop/driver.js';
import { humanJudgeFromFlags, HUMAN_JUDGE_FLAGS, HUMAN_JUDGE_HELP } from '../loop/people/flags.js';
import { peopleInTheLoop, type HumanJudgeSetup } from '../loop/people/session.js';
import { commandFlags, COMMON_RUN_FLAGS, runTargetFromFlags, type FlagReader, type FlagSpec } from './args.js';

/** A domain's command: its flags, how they become a config, and its task. */
export interface DomainCommand<Config, Summary extends object> {
  /** the domain's flags (besides the common run flags and the people-in-the-loop flags) */
  flags: FlagSpec;
  /** `--help` text of the domain's own flags */
  help: string;
  /** validates the flags into a config (ConfigError names the flag); `human` is set when people judge */
  configFromFlags(f: FlagReader, human: HumanJudgeSetup | undefined): Config;
  /** the task to run, given the parsed flags (e.g. a tensor backend that is not part of the config) */
  task(f: FlagReader): Task<Config, Summary, unknown, DomainRun<Summary, unknown>>;
  /** the one line printed after a run without --json */
  headline(summary: Summary, config: Config, dir: string | undefined): string;
  /** the smallest RLHF_STOP_AFTER that makes sense (default 1) */
  minStopAfter?: number;
  /** flags that mean something else when no people are in the loop (e.g. gridworld's --labels-per-iteration) */
  sharedWithPeople?: readonly string[];
}

/** Runs `rlhf run <domain> [argv]`; returns the exit code. */
export async function runDomainCommand<Config, Summary extends object>(cmd: DomainCommand<Config, Summary>, argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const f = commandFlags(argv, { ...COMMON_RUN_FLAGS, ...cmd.flags, ...HUMAN_JUDGE_FLAGS }, cmd.help + HUMAN_JUDGE_HELP);
  if (!f) return 0;
  // a flag shared with the people-in-the-loop block (e.g. --labels-per-iteration) belongs to the domain's own meaning
  // unless people judge (--judge human|mixed, or a store given with --db)
  const withPeople = (f.has('judge') && f.string('judge') !== 'simulated') || f.has('db');
  const shared = cmd.sharedWithPeople ?? [];
  const human = humanJudgeFromFlags(withPeople ? f : shared.reduce((r, k) => r.without(k), f));
  const config = cmd.configFromFlags(f, human);
  const task = cmd.task(f);
  const { out, resume, stopAfter } = runTargetFromFlags(f, task.name, cmd.minStopAfter !== undefined ? { minStopAfter: cmd.minStopAfter } : {});
  // 2. run
  const quiet = f.bool('quiet');
  const res = await runTask(task, config, {
    out,
    resume,
    quiet,
    report: !f.bool('no-report'),
    ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}),
    ...(human ? { people: peopleInTheLoop(human, { domain: task.name, config: task.configJson(config) }) } : {}),
  });
  const s = res.summary!;
  if (f.bool('json')) console.log(JSON.stringify(s));
  else if (!quiet) console.log(cmd.headline(s, config, res.dir));
  return 0;
}
