/**
 * `rlhf run <domain>`: the one command behind every domain (and a user's task). It validates every flag first (a bad
 * value exits 2 with one line naming the flag and writes nothing), then hands the resolved config to the run driver
 * (src/loop/driver.ts) with a progress bar on stderr, people in the loop when --judge human|mixed (or --db) asks for
 * them, and with --json prints the summary as the last line of stdout.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after iteration k's checkpoint, as a kill
 * would, so tests can check that --resume reproduces an uninterrupted run.
 */
import type { AnyOptionSet, FlagValues } from '../core/config/options.js';
import { RUN_OPTIONS, type RunOptions } from '../core/config/runOptions.js';
import { runTask, type DomainRun, type Task } from '../loop/driver.js';
import { humanJudgeFromFlags, HUMAN_JUDGE_FLAG_SETS } from '../loop/people/flags.js';
import { peopleInTheLoop, type HumanJudgeSetup } from '../loop/people/session.js';
import { commandFlags, runHelp, runTargetFromFlags } from './args.js';

/** A domain's command: its options, how they become a config, and its task. */
export interface DomainCommand<Config, Summary extends object> {
  /** the command's name after `rlhf run` ("gridworld", or a task module's name) */
  name: string;
  /** the first line of --help */
  title: string;
  /** the domain's option sets (its config's, and any more it reads), besides the run and people-in-the-loop options */
  options: readonly AnyOptionSet[];
  /** the resolved config from the flags (ConfigError names the flag); `human` is set when people judge */
  configFromFlags(values: FlagValues, human: HumanJudgeSetup | undefined): Config;
  /** the task to run, given the run options (e.g. the tensor backend, which is not part of the config) */
  task(run: RunOptions): Task<Config, Summary, unknown, DomainRun<Summary, unknown>>;
  /** the one line printed after a run without --json */
  headline(summary: Summary, config: Config, dir: string | undefined): string;
  /** the smallest RLHF_STOP_AFTER that makes sense (default 1) */
  minStopAfter?: number;
  /** people-in-the-loop flags that the domain reads with its own meaning when no people judge (e.g. gridworld's
   *  --labels-per-iteration: pairs the query selection asks about; with people, pairs they are shown) */
  sharedWithPeople?: readonly string[];
}

/** Every option set whose flags `rlhf run <name>` takes: the domain's, the run's, people in the loop. */
export function commandSets(cmd: Pick<DomainCommand<unknown, object>, 'options'>): readonly AnyOptionSet[] {
  return [...cmd.options, RUN_OPTIONS, ...HUMAN_JUDGE_FLAG_SETS];
}

/** `rlhf run <name> --help` */
export function domainHelp(cmd: Pick<DomainCommand<unknown, object>, 'name' | 'title' | 'options'>): string {
  return runHelp(`rlhf run ${cmd.name} — ${cmd.title}`, [...cmd.options, ...HUMAN_JUDGE_FLAG_SETS], `rlhf run ${cmd.name} [options]`);
}

/** Runs `rlhf run <domain> [argv]`; returns the exit code. */
export async function runDomainCommand<Config, Summary extends object>(cmd: DomainCommand<Config, Summary>, argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const values = commandFlags(argv, commandSets(cmd), () => domainHelp(cmd));
  if (!values) return 0;
  const withPeople = (values.judge !== undefined && values.judge !== 'simulated') || values.db !== undefined;
  const shared: Record<string, undefined> = {};
  if (!withPeople) for (const k of cmd.sharedWithPeople ?? []) shared[k] = undefined;
  const human = humanJudgeFromFlags({ ...values, ...shared });
  const config = cmd.configFromFlags(values, human);
  const run = RUN_OPTIONS.resolveFlags(values);
  const task = cmd.task(run);
  const { out, resume, stopAfter } = runTargetFromFlags(run, cmd.name, cmd.minStopAfter !== undefined ? { minStopAfter: cmd.minStopAfter } : {});
  // 2. run
  const res = await runTask(task, config, {
    out,
    resume,
    quiet: run.quiet,
    report: run.report,
    ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}),
    ...(human ? { people: peopleInTheLoop(human, { domain: task.name, config: task.configJson(config) }) } : {}),
  });
  const s = res.summary!;
  if (run.json) console.log(JSON.stringify(s));
  else if (!run.quiet) console.log(cmd.headline(s, config, res.dir));
  return 0;
}
