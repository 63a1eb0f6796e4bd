/**
 * Command-line parsing shared by every `rlhf` command: node's util.parseArgs for the syntax, against the flags of the
 * command's option sets (src/core/config: each option described once), which then read and check the values and
 * throw ConfigError naming the flag ("--size must be an integer in [1, 1000], got 0"). The CLI maps
 * ConfigError/UsageError to exit code 2 with that one-line message, before anything is written.
 */
import { parseArgs } from 'node:util';
import { ConfigError, UsageError, invariant } from '../core/errors.js';
import { renderHelp, type AnyOptionSet, type FlagSpec, type FlagValues, type OptionSet } from '../core/config/options.js';
import { RUN_OPTIONS, type RunOptions } from '../core/config/runOptions.js';
import { defaultRunDir } from '../loop/runDir.js';

export type { FlagSpec, FlagValues };

const HELP_FLAG: FlagSpec = { help: { type: 'boolean', short: 'h' } };

/** Parses argv strictly: an unknown flag or a missing value is a UsageError naming it. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): { values: FlagValues; positionals: string[] } {
  // "--lr -1": a value that is a negative number belongs to the flag (parseArgs would call it ambiguous), so the
  // range check can name the flag and the value
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && spec[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  try {
    const { values, positionals } = parseArgs({ args, options: spec, strict: true, allowPositionals: true });
    return { values: values as FlagValues, positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' ');
    throw new UsageError(msg);
  }
}

/** The parseArgs declarations of several option sets plus -h/--help (a flag two sets share must have one type). */
export function flagSpecOf(sets: readonly AnyOptionSet[]): FlagSpec {
  const spec: FlagSpec = { ...HELP_FLAG };
  for (const s of sets) {
    for (const [f, d] of Object.entries(s.flagSpec())) {
      const had = spec[f];
      invariant(!had || (had.type === d.type && had.multiple === d.multiple), `--${f} is declared with two types (option set ${s.name} and another)`);
      spec[f] = d;
    }
  }
  return spec;
}

/** Parses argv against the flags of the option sets (strict: unknown flags are a UsageError). */
export function parseArgv(argv: readonly string[], sets: readonly AnyOptionSet[]): { values: FlagValues; positionals: string[] } {
  return parseFlags(argv, flagSpecOf(sets));
}

/**
 * A command's flags: parses `argv` against the option sets (positional arguments are a usage error) and returns the
 * values, or undefined after printing `help` when --help was given (the command then exits 0).
 */
export function commandFlags(argv: readonly string[], sets: readonly AnyOptionSet[], help: string | (() => string)): FlagValues | undefined {
  const { values, positionals } = parseArgv(argv, sets);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (options start with --; see --help)`);
  if (values.help === true) {
    console.log(typeof help === 'function' ? help() : help);
    return undefined;
  }
  return values;
}

/** --help of a run command: its title, then the domain's options, the extra sets, and the common run options. */
export function runHelp(title: string, sets: readonly AnyOptionSet[], usage?: string): string {
  return renderHelp(title, [...sets, RUN_OPTIONS], usage);
}

/** Parses argv and resolves one option set from it (the other sets' flags are accepted too): for tests and embedders. */
export function configFromArgv<C, I>(set: OptionSet<C, I>, argv: readonly string[], others: readonly AnyOptionSet[] = [RUN_OPTIONS]): C {
  return set.resolveFlags(parseArgv(argv, [set, ...others]).values);
}

/** Where a run command writes and whether it continues: --out, --resume and the test hook RLHF_STOP_AFTER. */
export interface RunTarget {
  out: string;
  resume: boolean;
  /** RLHF_STOP_AFTER=k: the run stops (exit 75, as a kill would) right after checkpoint k; undefined = run to the end */
  stopAfter: number | undefined;
}

/**
 * Reads --out (default runs/<domain>-<time>), --resume (needs --out) and RLHF_STOP_AFTER (an integer ≥ minStopAfter),
 * validated before anything is written.
 */
export function runTargetFromFlags(run: RunOptions, domain: string, opts: { minStopAfter?: number } = {}): RunTarget {
  const minStop = opts.minStopAfter ?? 1;
  if (run.resume && run.out === null) throw new ConfigError('resume', '--resume needs --out DIR (the run to continue)');
  const out = run.out ?? defaultRunDir(domain);
  const stopEnv = process.env.RLHF_STOP_AFTER;
  const stopAfter = stopEnv !== undefined && stopEnv !== '' ? Number(stopEnv) : undefined;
  if (stopAfter !== undefined && !(Number.isInteger(stopAfter) && stopAfter >= minStop))
    throw new ConfigError('RLHF_STOP_AFTER', `RLHF_STOP_AFTER must be an integer ≥ ${minStop}, got "${stopEnv}"`);
  return { out, resume: run.resume, stopAfter };
}
