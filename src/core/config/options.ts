/**
 * Declarative options: every option of a config is described once — config key, command-line flag, type, default,
 * range or choices, one help line, the paper symbol, whether it may change on --resume — and from that one list come
 *   1. the resolver: defaults (plain, per preset, or derived from other options), unknown keys rejected, every range
 *      checked, a ConfigError naming the flag with what was received and what was expected;
 *   2. the flag reading: parsed command-line values (node:util parseArgs, src/cli/args.ts) → a typed partial input;
 *   3. the `--help` text (./help.ts).
 *
 *   const OPTIONS = defineOptions<MyConfig>('my', [
 *     { key: 'lr', type: 'number', min: 0, exclusiveMin: true, default: 1e-2, metavar: 'LR', help: 'Adam step size' },
 *     { key: 'steps', type: 'int', min: 1, default: (c) => 10 * c.epochs, defaultHelp: '10 × epochs', help: '…' },
 *   ]);
 *   OPTIONS.resolve({ lr: 0.1 })               // → MyConfig, or ConfigError("--lr must be > 0, got -1")
 *   OPTIONS.fromFlags({ lr: '0.1' })           // → { lr: 0.1 }  (only what was given)
 *   OPTIONS.help('rlhf run my — …')
 *
 * Defaults may be functions of the other options (`(c) => …`): they are resolved on demand, so a derived default may
 * read any option, before or after it in the list (a cycle is a bug and says so). The resolved object's keys come in
 * the list's order. Browser-safe: imports nothing outside src/core.
 */
import { ConfigError, invariant } from '../errors.js';

/** What node:util parseArgs returns for a command line: a string, an on/off flag, or the values of a repeated flag. */
export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** node:util parseArgs option declarations (src/cli/args.ts passes them on). */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** A bound: fixed, or computed from the other options (e.g. "at most --batch"). */
export type Bound<C> = number | ((c: C) => number);

interface OptionBase<C, K extends keyof C> {
  /** the config field */
  key: K;
  /** command-line flag without "--" (default: the key in kebab-case); false = not settable from the command line */
  flag?: string | false;
  /** one line for --help */
  help: string;
  /** placeholder of the value in --help ("--lr LR"); default by type */
  metavar?: string;
  /** the paper's symbol (β, γ, ε, …): documentation, shown in --help before the help line when the line lacks it */
  symbol?: string;
  /** heading of the --help section (default: the set's) */
  section?: string;
  /** the default: a value, or computed from the other (resolved) options */
  default: C[K] | ((c: C) => C[K]);
  /** the default as --help shows it, when it is computed (or better said in words) */
  defaultHelp?: string;
  /** a run may be resumed with another value (e.g. more iterations): the run directory does not compare it */
  mayDifferOnResume?: boolean;
  /** a check beyond type and range, given the resolved config: returns the error message (naming the flag) or undefined */
  check?: (v: C[K], c: C) => string | undefined;
}

/** An integer in [min, max]; with `inf`, Infinity too (flag value "inf"); `nullable`: null when absent. */
export interface IntOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'int';
  min?: Bound<C>;
  max?: Bound<C>;
  inf?: boolean;
  nullable?: boolean;
}

/** A finite number in [min, max] (either end open on request); with `inf`, Infinity too (flag value "inf"). */
export interface NumberOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'number';
  min?: Bound<C>;
  max?: Bound<C>;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  inf?: boolean;
  nullable?: boolean;
}

/** A string; `nullable`: null when absent; `nonEmpty`: blank is an error. */
export interface StringOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'string';
  nullable?: boolean;
  nonEmpty?: boolean;
}

/** One of a fixed list. */
export interface EnumOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'enum';
  choices: readonly string[];
}

/**
 * On/off. The flag sets `sets` (default true; e.g. `--raw-state` sets normalizeState false); `negatable` adds
 * `--no-<flag>` for the opposite (giving both is an error).
 */
export interface BoolOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'bool';
  sets?: boolean;
  negatable?: boolean;
}

/** Numbers separated by commas ("16,16"), each in [min, max]; `sorted`: duplicates dropped, ascending. */
export interface ListOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'list';
  of: 'int' | 'number';
  min?: Bound<C>;
  max?: Bound<C>;
  minItems?: number;
  sorted?: boolean;
  /** what the items are, for messages (default "integers" / "numbers") */
  items?: string;
}

/** Strings from a repeatable flag (`--annotator a --annotator b`). */
export interface StringsOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'strings';
}

/** A value with its own syntax: `parse` reads the flag's values, `coerce` checks an input value and returns the config value. */
export interface CustomOption<C, K extends keyof C> extends OptionBase<C, K> {
  type: 'custom';
  /** the flag may repeat (values are collected) */
  multiple?: boolean;
  parse(raw: readonly string[], flag: string): unknown;
  coerce(input: unknown, c: C): C[K];
}

/**
 * A nested config described by its own option set (its flags join this set's). `defaults` supplies defaults that
 * depend on this config (e.g. a named teacher's parameters); `noFlags` lists child keys not settable here by flag.
 */
export interface GroupOption<C, K extends keyof C> extends Omit<OptionBase<C, K>, 'default' | 'check' | 'flag'> {
  type: 'group';
  options: OptionSet<C[K], unknown>;
  defaults?: (c: C) => Partial<C[K]>;
  noFlags?: readonly string[];
  /** the defaults of the child options as --help shows them (e.g. "the teacher's") */
  defaultHelp?: string;
  default?: never;
  flag?: never;
}

type OptionOf<C, K extends keyof C> =
  | IntOption<C, K>
  | NumberOption<C, K>
  | StringOption<C, K>
  | EnumOption<C, K>
  | BoolOption<C, K>
  | ListOption<C, K>
  | StringsOption<C, K>
  | CustomOption<C, K>
  | GroupOption<C, K>;

/** One option of config C (a union over C's keys, so `default` and `check` are typed by the key). */
export type Option<C> = { [K in keyof C & string]: OptionOf<C, K> }[keyof C & string];

/** Presets: named sets of defaults chosen by one enum option (e.g. --preset seed). */
export interface Presets<C> {
  key: keyof C & string;
  values: Readonly<Record<string, Partial<C>>>;
}

export interface DefineOptions<C> {
  /** default --help section of the options */
  section?: string;
  /** config path of a nested set ("policy"): messages say "--sigma (policy.sigma) must be …" */
  path?: string;
  presets?: Presets<C>;
}

/** One line of --help. */
export interface HelpEntry {
  section: string;
  /** "--lr LR", "--bootstrap, --no-bootstrap" */
  usage: string;
  text: string;
  /** the default as shown, or undefined */
  default: string | undefined;
  /** every flag the line documents */
  flags: string[];
}

/** What `resolve` takes by default: any subset of the options; a nested group's options as any subset too. */
export type OptionsInput<C> = { [K in keyof C]?: C[K] extends readonly unknown[] ? C[K] : C[K] extends object ? Partial<C[K]> : C[K] };

export interface OptionSet<C, I = OptionsInput<C>> {
  /** names the set in messages ("unknown line option …") */
  readonly name: string;
  /** the --help section of its options that name none */
  readonly section: string;
  readonly options: readonly Option<C>[];
  /** every flag of the set, nested groups included */
  readonly flags: readonly string[];
  /** config keys that may differ when a run is resumed */
  readonly resumeKeys: readonly string[];
  /** defaults, then `input`; rejects unknown keys, checks every option; ConfigError names the flag */
  resolve(input?: I): C;
  /** parsed command-line values → the input they give (only the options whose flags were given) */
  fromFlags(values: FlagValues): I;
  /** resolve(fromFlags(values)) */
  resolveFlags(values: FlagValues): C;
  /** the parseArgs declarations of the set's flags */
  flagSpec(): FlagSpec;
  /** the --help lines, in list order */
  helpEntries(): HelpEntry[];
  /** --help for a command with only these options */
  help(title: string, usage?: string): string;
  /** the same options with other defaults (e.g. a command whose default differs from the library's) */
  withDefaults(defaults: Partial<C>): OptionSet<C, I>;
  /** a subset of the options */
  pick<K extends keyof C & string>(keys: readonly K[]): OptionSet<Pick<C, K>>;
}

/** What a command needs of an option set of any config: its flags, how to read them, its --help lines. */
export type AnyOptionSet = Pick<OptionSet<unknown, unknown>, 'name' | 'section' | 'flags' | 'flagSpec' | 'fromFlags' | 'helpEntries'>;

// ------------------------------------------------------------------------------------------------------------
// formatting shared by messages and help

/** "rewardEnsemble" → "reward-ensemble". */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}

/** A value as --help and messages show it: Infinity as inf, lists with commas, cells "x,y;x,y". */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? x.map(formatValue).join(',') : formatValue(x))).join(Array.isArray(v[0]) ? ';' : ',');
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

function got(v: unknown): string {
  return typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

const INF = /^\+?inf(inity)?$/i;

function bound<C>(b: Bound<C> | undefined, c: C): number | undefined {
  return typeof b === 'function' ? b(c) : b;
}

/** "in [0, 1)", "≥ 1", "> 0", "an integer in [1, 64]" … */
function expected<C>(o: IntOption<C, keyof C> | NumberOption<C, keyof C> | ListOption<C, keyof C>, c: C): string {
  const lo = bound(o.min, c);
  const hi = bound(o.max, c);
  const isInt = o.type === 'int' || (o.type === 'list' && o.of === 'int');
  const exLo = o.type === 'number' && o.exclusiveMin === true;
  const exHi = o.type === 'number' && o.exclusiveMax === true;
  let range: string;
  if (lo !== undefined && hi !== undefined) range = `in ${exLo ? '(' : '['}${formatValue(lo)}, ${formatValue(hi)}${exHi ? ')' : ']'}`;
  else if (lo !== undefined) range = `${exLo ? '>' : '≥'} ${formatValue(lo)}`;
  else if (hi !== undefined) range = `${exHi ? '<' : '≤'} ${formatValue(hi)}`;
  else range = '';
  const inf = o.type !== 'list' && o.inf === true ? ' or inf' : '';
  if (isInt) return `an integer${range ? ` ${range}` : ''}${inf}`;
  return `${range || 'a finite number'}${inf}`;
}

function inRange<C>(v: number, o: IntOption<C, keyof C> | NumberOption<C, keyof C> | ListOption<C, keyof C>, c: C): boolean {
  const lo = bound(o.min, c);
  const hi = bound(o.max, c);
  const exLo = o.type === 'number' && o.exclusiveMin === true;
  const exHi = o.type === 'number' && o.exclusiveMax === true;
  if (lo !== undefined && !(exLo ? v > lo : v >= lo)) return false;
  if (hi !== undefined && !(exHi ? v < hi : v <= hi)) return false;
  return true;
}

// ------------------------------------------------------------------------------------------------------------
// the set

type AnyOption = OptionOf<Record<string, unknown>, string>;

function flagOf(o: AnyOption): string | undefined {
  if (o.type === 'group' || o.flag === false) return undefined;
  return o.flag ?? kebab(o.key);
}

function defined(o: unknown): Record<string, unknown> {
  if (o === undefined || o === null) return {};
  return Object.fromEntries(Object.entries(o as Record<string, unknown>).filter(([, v]) => v !== undefined));
}

class Options<C, I> implements OptionSet<C, I> {
  readonly section: string;
  readonly flags: readonly string[];
  readonly resumeKeys: readonly string[];
  private readonly byKey: Map<string, AnyOption>;
  private readonly list: readonly AnyOption[];

  constructor(
    readonly name: string,
    readonly options: readonly Option<C>[],
    private readonly o: DefineOptions<C>,
  ) {
    this.section = o.section ?? 'options';
    this.list = options as unknown as readonly AnyOption[];
    this.byKey = new Map(this.list.map((x) => [x.key, x]));
    invariant(this.byKey.size === this.list.length, `options "${name}": a key is described twice`);
    this.flags = Object.keys(this.flagSpec());
    this.resumeKeys = this.list.filter((x) => x.mayDifferOnResume).map((x) => x.key);
    if (o.presets) {
      invariant(this.byKey.get(o.presets.key)?.type === 'enum', `options "${name}": the preset option "${o.presets.key}" must be an enum`);
      for (const [p, vals] of Object.entries(o.presets.values))
        for (const k of Object.keys(vals)) invariant(this.byKey.has(k), `options "${name}": preset "${p}" sets unknown option "${k}"`);
    }
  }

  /** How messages name an option: "--lr", "--sigma (policy.sigma)", or "policy.baselineInit" without a flag. */
  private label(x: AnyOption): { key: string; name: string } {
    const f = flagOf(x);
    const path = this.o.path ? `${this.o.path}.${x.key}` : x.key;
    if (f === undefined) return { key: path, name: path };
    return { key: f, name: this.o.path ? `--${f} (${path})` : `--${f}` };
  }

  private fail(x: AnyOption, message: string): never {
    throw new ConfigError(this.label(x).key, message);
  }

  resolve(input?: I): C {
    const given = (input ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(given)) {
      if (given[k] === undefined || this.byKey.has(k)) continue;
      const path = this.o.path ? `${this.o.path}.${k}` : k;
      throw new ConfigError(path, `unknown ${this.name} option "${path}"; expected one of ${this.list.map((x) => x.key).join(', ')}`);
    }
    const done = new Map<string, unknown>();
    const busy = new Set<string>();
    const view = {} as Record<string, unknown>;
    const get = (k: string): unknown => {
      if (done.has(k)) return done.get(k);
      invariant(!busy.has(k), `options "${this.name}": the default of "${k}" depends on itself (${[...busy].join(' → ')})`);
      busy.add(k);
      const v = this.resolveOne(this.byKey.get(k)!, given[k], view as C);
      busy.delete(k);
      done.set(k, v);
      return v;
    };
    for (const x of this.list) Object.defineProperty(view, x.key, { get: () => get(x.key), enumerable: true });
    const out: Record<string, unknown> = {};
    for (const x of this.list) out[x.key] = get(x.key);
    return out as C;
  }

  private defaultOf(x: AnyOption, c: Record<string, unknown>): unknown {
    const p = this.o.presets;
    if (p && x.key !== p.key) {
      const vals = p.values[c[p.key] as string] as Record<string, unknown> | undefined;
      if (vals && vals[x.key] !== undefined) return vals[x.key];
    }
    const d = (x as { default: unknown }).default;
    return typeof d === 'function' ? (d as (c: unknown) => unknown)(c) : d;
  }

  private resolveOne(x: AnyOption, input: unknown, c: C): unknown {
    const cv = c as unknown as Record<string, unknown>;
    if (x.type === 'group') {
      if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input)))
        throw new ConfigError(x.key, `${x.key} must be an object of options, got ${got(input)}`);
      return x.options.resolve({ ...defined(x.defaults?.(cv)), ...defined(input) });
    }
    let v = input !== undefined ? input : this.defaultOf(x, cv);
    if (x.type === 'custom') v = x.coerce(v, cv);
    else this.validate(x, v, cv);
    if (Array.isArray(v)) v = v.map((e: unknown) => (Array.isArray(e) ? [...(e as unknown[])] : e));
    if (x.type === 'list' && x.sorted) v = [...new Set(v as number[])].sort((a, b) => a - b);
    const msg = x.check?.(v, cv);
    if (msg !== undefined) this.fail(x, msg);
    return v;
  }

  private validate(x: AnyOption, v: unknown, c: Record<string, unknown>): void {
    const { name } = this.label(x);
    switch (x.type) {
      case 'int':
      case 'number': {
        if (v === null && x.nullable) return;
        const ok =
          typeof v === 'number' &&
          !Number.isNaN(v) &&
          (x.inf === true && v === Infinity ? true : Number.isFinite(v) && (x.type === 'number' || Number.isInteger(v))) &&
          inRange(v, x, c);
        if (!ok) this.fail(x, `${name} must be ${expected(x, c)}, got ${got(v)}`);
        return;
      }
      case 'string':
        if (v === null && x.nullable) return;
        if (typeof v !== 'string') this.fail(x, `${name} must be a string, got ${got(v)}`);
        if (x.nonEmpty && v.trim() === '') this.fail(x, `${name} must not be empty`);
        return;
      case 'enum':
        if (typeof v !== 'string' || !x.choices.includes(v)) this.fail(x, `${name} must be one of ${x.choices.join(', ')}; got ${got(v)}`);
        return;
      case 'bool':
        if (typeof v !== 'boolean') this.fail(x, `${name} must be true or false, got ${got(v)}`);
        return;
      case 'list': {
        const items = x.items ?? (x.of === 'int' ? 'integers' : 'numbers');
        const ok =
          Array.isArray(v) &&
          v.length >= (x.minItems ?? 0) &&
          v.every((e) => typeof e === 'number' && Number.isFinite(e) && (x.of === 'number' || Number.isInteger(e)) && inRange(e, x, c));
        if (!ok) this.fail(x, `${name} must be ${items}${x.minItems ? ` (at least ${x.minItems})` : ''}, each ${expected(x, c)}, got ${got(v)}`);
        return;
      }
      case 'strings':
        if (!Array.isArray(v) || !v.every((e) => typeof e === 'string')) this.fail(x, `${name} must be a list of strings, got ${got(v)}`);
        return;
    }
  }

  fromFlags(values: FlagValues): I {
    return this.readFlags(values, new Set()) as I;
  }

  resolveFlags(values: FlagValues): C {
    return this.resolve(this.fromFlags(values));
  }

  /** @internal the input the flags give; `skip` = keys whose flags a parent does not expose */
  readFlags(values: FlagValues, skip: ReadonlySet<string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const x of this.list) {
      if (skip.has(x.key)) continue;
      if (x.type === 'group') {
        const child = (x.options as unknown as Options<unknown, unknown>).readFlags(values, new Set(x.noFlags ?? []));
        if (Object.keys(child).length > 0) out[x.key] = child;
        continue;
      }
      const f = flagOf(x);
      if (f === undefined) continue;
      const v = this.readFlag(x, f, values);
      if (v !== undefined) out[x.key] = v;
    }
    return out;
  }

  private readFlag(x: Exclude<AnyOption, GroupOption<Record<string, unknown>, string>>, f: string, values: FlagValues): unknown {
    const raw = values[f];
    if (x.type === 'bool') {
      const on = raw === true;
      const off = x.negatable === true && values[`no-${f}`] === true;
      if (on && off) throw new ConfigError(f, `--${f} and --no-${f} contradict each other; give one`);
      const sets = x.sets ?? true;
      return on ? sets : off ? !sets : undefined;
    }
    if (raw === undefined) return undefined;
    if (typeof raw === 'boolean') throw new ConfigError(f, `--${f} takes a value`);
    const all = Array.isArray(raw) ? raw : [raw];
    const last = all[all.length - 1]!;
    switch (x.type) {
      case 'int':
      case 'number': {
        const s = last.trim();
        if (x.inf && INF.test(s)) return Infinity;
        const v = s === '' ? Number.NaN : Number(s);
        const what = x.type === 'int' ? 'an integer' : 'a number';
        if (!(Number.isFinite(v) && (x.type === 'number' || Number.isInteger(v)))) throw new ConfigError(f, `--${f} must be ${what}${x.inf ? ' or inf' : ''}, got "${last}"`);
        return v;
      }
      case 'string':
      case 'enum':
        return last;
      case 'list': {
        const items = last.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
        if (!items.every((v) => Number.isFinite(v) && (x.of === 'number' || Number.isInteger(v))))
          throw new ConfigError(f, `--${f} expects ${x.items ?? (x.of === 'int' ? 'integers' : 'numbers')} separated by commas, got "${last}"`);
        return items;
      }
      case 'strings':
        return [...all];
      case 'custom':
        return x.parse(all, f);
    }
  }

  flagSpec(): FlagSpec {
    const spec: FlagSpec = {};
    const add = (f: string, s: FlagSpec[string]): void => {
      invariant(!(f in spec), `options "${this.name}": the flag --${f} is described twice`);
      spec[f] = s;
    };
    for (const x of this.list) {
      if (x.type === 'group') {
        const child = x.options as unknown as Options<unknown, unknown>;
        for (const [k, s] of Object.entries(child.flagSpecSkipping(new Set(x.noFlags ?? [])))) add(k, s);
        continue;
      }
      const f = flagOf(x);
      if (f === undefined) continue;
      if (x.type === 'bool') {
        add(f, { type: 'boolean' });
        if (x.negatable) add(`no-${f}`, { type: 'boolean' });
      } else add(f, { type: 'string', ...(x.type === 'strings' || (x.type === 'custom' && x.multiple) ? { multiple: true } : {}) });
    }
    return spec;
  }

  /** @internal */
  flagSpecSkipping(skip: ReadonlySet<string>): FlagSpec {
    const all = this.flagSpec();
    for (const k of skip) {
      const x = this.byKey.get(k);
      const f = x && flagOf(x);
      if (f !== undefined) {
        delete all[f];
        delete all[`no-${f}`];
      }
    }
    return all;
  }

  helpEntries(): HelpEntry[] {
    return this.entriesSkipping(new Set(), undefined);
  }

  /** @internal */
  entriesSkipping(skip: ReadonlySet<string>, defaultHelp: string | undefined): HelpEntry[] {
    const out: HelpEntry[] = [];
    const section = this.section;
    for (const x of this.list) {
      if (skip.has(x.key)) continue;
      if (x.type === 'group') {
        const child = x.options as unknown as Options<unknown, unknown>;
        out.push(...child.entriesSkipping(new Set(x.noFlags ?? []), x.defaultHelp));
        continue;
      }
      const f = flagOf(x);
      if (f === undefined) continue;
      const metavar = x.metavar ?? (x.type === 'int' ? 'N' : x.type === 'number' ? 'X' : x.type === 'enum' ? x.choices.join('|') : 'S');
      const flags = x.type === 'bool' && x.negatable ? [f, `no-${f}`] : [f];
      const usage = x.type === 'bool' ? flags.map((g) => `--${g}`).join(', ') : `--${f} ${metavar}`;
      const text = x.symbol && !x.help.includes(x.symbol) ? `${x.symbol}: ${x.help}` : x.help;
      out.push({ section: x.section ?? section, usage, text, default: defaultHelp ?? this.defaultText(x), flags });
    }
    return out;
  }

  private defaultText(x: AnyOption): string | undefined {
    if (x.type === 'group') return undefined;
    const show = (v: unknown): string | undefined => {
      if (x.type === 'bool') return x.negatable || v !== x.default ? (v === (x.sets ?? true) ? 'on' : 'off') : undefined;
      return v === null || v === '' || (Array.isArray(v) && v.length === 0) ? undefined : formatValue(v);
    };
    const parts: string[] = [];
    const base = x.defaultHelp ?? (typeof x.default === 'function' ? undefined : show(x.default));
    if (base !== undefined) parts.push(base);
    const p = this.o.presets;
    if (p && x.key !== p.key) {
      for (const [name, vals] of Object.entries(p.values)) {
        const v = (vals as Record<string, unknown>)[x.key];
        if (v === undefined || (typeof x.default !== 'function' && formatValue(v) === formatValue(x.default))) continue;
        parts.push(`${name} ${show(v) ?? formatValue(v)}`);
      }
    }
    return parts.length > 0 ? parts.join('; ') : undefined;
  }

  help(title: string, usage?: string): string {
    return renderHelp(title, [this], usage);
  }

  withDefaults(defaults: Partial<C>): OptionSet<C, I> {
    const d = defaults as Record<string, unknown>;
    for (const k of Object.keys(d)) invariant(this.byKey.has(k), `options "${this.name}": withDefaults of unknown option "${k}"`);
    const list = this.list.map((x) => (x.key in d && x.type !== 'group' ? { ...x, default: d[x.key] } : x));
    return new Options<C, I>(this.name, list as unknown as Option<C>[], this.o);
  }

  pick<K extends keyof C & string>(keys: readonly K[]): OptionSet<Pick<C, K>> {
    for (const k of keys) invariant(this.byKey.has(k), `options "${this.name}": pick of unknown option "${k}"`);
    const list = this.list.filter((x) => (keys as readonly string[]).includes(x.key));
    return new Options<Pick<C, K>, OptionsInput<Pick<C, K>>>(this.name, list as unknown as Option<Pick<C, K>>[], { ...(this.o.section ? { section: this.o.section } : {}), ...(this.o.path ? { path: this.o.path } : {}) });
  }
}

/**
 * Describes a config's options once (see the top of this file). `I` is the input `resolve` takes (default: any
 * subset of C; a config with nested groups or special syntax declares its own).
 */
export function defineOptions<C, I = OptionsInput<C>>(name: string, options: readonly Option<C>[], o: DefineOptions<C> = {}): OptionSet<C, I> {
  return new Options<C, I>(name, options, o);
}

// ------------------------------------------------------------------------------------------------------------
// --help

/** Width of the flag column in every command's --help, so shared blocks read the same everywhere. */
export const HELP_COLUMN = 30;

/** One --help line: flag column, help, default in brackets. */
export function helpLine(e: Pick<HelpEntry, 'usage' | 'text' | 'default'>): string {
  const left = `  ${e.usage}`;
  const pad = left.length < HELP_COLUMN ? left.padEnd(HELP_COLUMN) : `${left}  `;
  return `${pad}${e.text}${e.default !== undefined ? ` [${e.default}]` : ''}`;
}

/**
 * --help of a command made of several option sets: the title, the usage line, then the options by section; a section
 * comes where the set whose own section it is comes (e.g. a domain's --seed under "run", with the run options), any
 * other in order of first appearance. A flag two sets share is listed once, by the first. Ends with -h, --help.
 */
export function renderHelp(title: string, sets: readonly AnyOptionSet[], usage?: string): string {
  const owner = new Map<string, number>();
  sets.forEach((s, i) => {
    if (!owner.has(s.section)) owner.set(s.section, i);
  });
  const seen = new Set<string>();
  const sections = new Map<string, { rank: number; lines: string[] }>();
  sets.forEach((s, i) => {
    for (const e of (s as OptionSet<unknown, unknown>).helpEntries()) {
      if (e.flags.some((f) => seen.has(f))) continue;
      for (const f of e.flags) seen.add(f);
      const sec = sections.get(e.section) ?? { rank: owner.get(e.section) ?? i, lines: [] };
      sec.lines.push(helpLine(e));
      sections.set(e.section, sec);
    }
  });
  const parts = [title];
  if (usage) parts.push(`usage: ${usage}`);
  // a stable sort: sections of one rank keep their order of first appearance
  const blocks = [...sections].sort((a, b) => a[1].rank - b[1].rank).map(([name, { lines }]) => `${name}:\n${lines.join('\n')}`);
  blocks.push(helpLine({ usage: '-h, --help', text: 'this help', default: undefined }));
  return `${parts.join('\n\n')}\n\n${blocks.join('\n\n')}`;
}
