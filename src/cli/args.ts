/**
 * Command-line flag parsing shared by every `rlhf` command: node's util.parseArgs for the syntax, typed readers
 * that validate each value and throw ConfigError naming the flag ("--size must be an integer ≥ 1, got 0").
 * The CLI maps ConfigError/UsageError to exit code 2 with that one-line message, before anything is written.
 */
import { parseArgs } from 'node:util';
import { ConfigError, UsageError } from '../core/errors.js';
import { defaultRunDir } from '../loop/runDir.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Flags every run command accepts. */
export const COMMON_RUN_FLAGS = {
  out: { type: 'string' },
  seed: { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  resume: { type: 'boolean' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export type ParsedFlags = Record<string, string | boolean | string[] | undefined>;

/** Parses argv strictly: an unknown flag or a missing value is a UsageError naming it. */
export function parseFlags(argv: string[], spec: FlagSpec): { values: ParsedFlags; positionals: string[] } {
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
    return { values: values as ParsedFlags, positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' ');
    throw new UsageError(msg);
  }
}

/**
 * A command's flags: parses `argv` against `spec` (positional arguments are a usage error) and returns the reader, or
 * undefined after printing `help` when --help was given (the command then exits 0).
 */
export function commandFlags(argv: string[], spec: FlagSpec, help: string): FlagReader | undefined {
  const { values, positionals } = parseFlags(argv, spec);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (options start with --; see --help)`);
  const f = new FlagReader(values);
  if (f.bool('help')) {
    console.log(help);
    return undefined;
  }
  return f;
}

/** Reads flags from parsed values with validation. Each reader returns the default when the flag is absent. */
export class FlagReader {
  constructor(private readonly values: ParsedFlags) {}

  /** The same flags with `name` left out, as if it had not been given. */
  without(name: string): FlagReader {
    return new FlagReader({ ...this.values, [name]: undefined });
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  string(name: string, def: string): string;
  string(name: string): string | undefined;
  string(name: string, def?: string): string | undefined {
    const v = this.values[name];
    if (v === undefined) return def;
    if (typeof v !== 'string') throw new ConfigError(name, `--${name} takes a value`);
    return v;
  }

  /** All values of a flag that may repeat (`multiple: true`), or undefined when absent. */
  strings(name: string): string[] | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') throw new ConfigError(name, `--${name} takes a value`);
    return Array.isArray(v) ? v : [v];
  }

  bool(name: string): boolean {
    return this.values[name] === true;
  }

  /** An on/off pair `--name` / `--no-name`: true, false, or undefined when neither is given; both is an error. */
  onOff(name: string): boolean | undefined {
    const on = this.bool(name);
    const off = this.bool(`no-${name}`);
    if (on && off) throw new ConfigError(name, `--${name} and --no-${name} contradict each other; give one`);
    return on ? true : off ? false : undefined;
  }

  /** A finite number in [min, max]. */
  number(name: string, def: number, opts: { min?: number; max?: number; exclusiveMin?: boolean } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) return def;
    const v = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(v)) throw new ConfigError(name, `--${name} must be a number, got "${raw}"`);
    checkRange(name, v, opts);
    return v;
  }

  /** An integer in [min, max]. */
  int(name: string, def: number, opts: { min?: number; max?: number } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) return def;
    const v = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isInteger(v)) throw new ConfigError(name, `--${name} must be an integer, got "${raw}"`);
    checkRange(name, v, opts);
    return v;
  }

  /** One of a fixed set of choices. */
  choice<T extends string>(name: string, choices: readonly T[], def: T): T {
    const raw = this.string(name);
    if (raw === undefined) return def;
    if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(name, `--${name} must be one of ${choices.join(', ')}; got "${raw}"`);
    return raw as T;
  }

  /** Integer tuples "r,c;r,c" (or repeated flags): e.g. --goal 4,4 or --goal "4,4;0,4". */
  intTuples(name: string, arity: number, def: number[][]): number[][] {
    const v = this.values[name];
    if (v === undefined) return def;
    const parts = (Array.isArray(v) ? v : [String(v)]).flatMap((s) => s.split(/[;\s]+/)).filter((s) => s.length > 0);
    if (parts.length === 0) throw new ConfigError(name, `--${name} needs at least one value like ${Array(arity).fill('0').join(',')}`);
    return parts.map((p) => {
      const nums = p.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
      if (nums.length !== arity || !nums.every(Number.isInteger))
        throw new ConfigError(name, `--${name} expects ${arity} integers separated by commas (e.g. ${Array(arity).fill('0').join(',')}), got "${p}"`);
      return nums;
    });
  }
}

function checkRange(name: string, v: number, o: { min?: number; max?: number; exclusiveMin?: boolean }): void {
  if (o.min !== undefined && (o.exclusiveMin ? !(v > o.min) : !(v >= o.min)))
    throw new ConfigError(name, `--${name} must be ${o.exclusiveMin ? '>' : '≥'} ${o.min}, got ${v}`);
  if (o.max !== undefined && !(v <= o.max)) throw new ConfigError(name, `--${name} must be ≤ ${o.max}, got ${v}`);
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
export function runTargetFromFlags(f: FlagReader, domain: string, opts: { minStopAfter?: number } = {}): RunTarget {
  const minStop = opts.minStopAfter ?? 1;
  const resume = f.bool('resume');
  if (resume && !f.has('out')) throw new ConfigError('resume', '--resume needs --out DIR (the run to continue)');
  const out = f.string('out') ?? defaultRunDir(domain);
  if (out.trim() === '') throw new ConfigError('out', '--out must name a directory');
  const stopEnv = process.env.RLHF_STOP_AFTER;
  const stopAfter = stopEnv !== undefined && stopEnv !== '' ? Number(stopEnv) : undefined;
  if (stopAfter !== undefined && !(Number.isInteger(stopAfter) && stopAfter >= minStop))
    throw new ConfigError('RLHF_STOP_AFTER', `RLHF_STOP_AFTER must be an integer ≥ ${minStop}, got "${stopEnv}"`);
  return { out, resume, stopAfter };
}
