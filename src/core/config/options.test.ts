import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, RlhfError } from '../errors.js';
import { defineOptions, formatValue, kebab, renderHelp, type Option, type OptionsInput } from './options.js';
import { BACKENDS, RUN_OPTIONS } from './runOptions.js';

interface Inner {
  beta: number;
  gamma: number;
}

interface Toy {
  preset: 'default' | 'fast';
  size: number;
  lr: number;
  steps: number;
  mode: 'a' | 'b';
  budget: number;
  verbose: boolean;
  raw: boolean;
  widths: number[];
  name: string | null;
  inner: Inner;
  seed: number;
}

const INNER = defineOptions<Inner>(
  'inner',
  [
    { key: 'beta', type: 'number', min: 0, exclusiveMin: true, inf: true, default: 1, symbol: 'β', metavar: 'B', help: 'rationality β' },
    { key: 'gamma', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1, metavar: 'G', help: 'myopia γ' },
  ],
  { section: 'inner part' },
);

const TOY_LIST: Option<Toy>[] = [
  { key: 'preset', type: 'enum', choices: ['default', 'fast'], default: 'default', metavar: 'P', help: 'which defaults' },
  { key: 'size', type: 'int', min: 1, max: 100, default: 5, metavar: 'N', help: 'grid size' },
  // derived from a later option: resolved on demand
  { key: 'lr', type: 'number', min: 0, exclusiveMin: true, default: (c) => 1 / c.steps, defaultHelp: '1 / steps', metavar: 'LR', help: 'step size' },
  { key: 'steps', type: 'int', min: 1, max: (c) => 10 * c.size, default: 10, metavar: 'N', help: 'steps, at most 10 × size', mayDifferOnResume: true },
  { key: 'mode', type: 'enum', choices: ['a', 'b'], default: 'a', metavar: 'M', help: 'mode', check: (v, c) => (v === 'b' && c.size < 2 ? '--mode b needs --size ≥ 2' : undefined) },
  { key: 'budget', type: 'int', min: 0, inf: true, default: Infinity, metavar: 'N', help: 'label budget' },
  { key: 'verbose', type: 'bool', negatable: true, default: false, help: 'talk' },
  { key: 'raw', flag: 'no-normalize', type: 'bool', sets: false, default: true, help: 'keep inputs raw' },
  { key: 'widths', type: 'list', of: 'int', min: 1, minItems: 1, default: [4, 4], metavar: 'W,W', help: 'hidden widths' },
  { key: 'name', type: 'string', nullable: true, nonEmpty: true, default: null, metavar: 'S', help: 'a name' },
  { key: 'inner', type: 'group', options: INNER, defaults: (c) => ({ gamma: c.preset === 'fast' ? 0.5 : 1 }), help: 'the inner part' },
  { key: 'seed', type: 'int', min: 0, default: 0, flag: false, help: 'seed (not a flag)' },
];

const TOY = defineOptions<Toy>('toy', TOY_LIST, { presets: { key: 'preset', values: { fast: { steps: 2, size: 3 } } } });

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('defineOptions: resolve', () => {
  it('fills defaults in the order of the list, derived ones from options before or after them', () => {
    const c = TOY.resolve();
    expect(c).toEqual({ preset: 'default', size: 5, lr: 0.1, steps: 10, mode: 'a', budget: Infinity, verbose: false, raw: true, widths: [4, 4], name: null, inner: { beta: 1, gamma: 1 }, seed: 0 });
    expect(Object.keys(c)).toEqual(TOY_LIST.map((o) => o.key));
    expect(TOY.resolve({ steps: 4 }).lr).toBe(0.25);
    expect(TOY.resolve({ lr: 0.5, steps: 4 }).lr).toBe(0.5);
  });

  it('presets change defaults, given values win; a group takes defaults from its parent', () => {
    expect(TOY.resolve({ preset: 'fast' })).toMatchObject({ steps: 2, size: 3, lr: 0.5, inner: { gamma: 0.5 } });
    expect(TOY.resolve({ preset: 'fast', steps: 7 })).toMatchObject({ steps: 7, size: 3 });
    expect(TOY.resolve({ preset: 'fast', inner: { gamma: 0.9 } }).inner).toEqual({ beta: 1, gamma: 0.9 });
  });

  it('undefined counts as not given; arrays are copied', () => {
    const widths = [2, 3];
    const c = TOY.resolve({ size: undefined, widths });
    expect(c.size).toBe(5);
    expect(c.widths).toEqual([2, 3]);
    expect(c.widths).not.toBe(widths);
  });

  it('rejects unknown keys, naming the key and the known ones', () => {
    const e = configError(() => TOY.resolve({ sise: 3 } as never));
    expect(e.key).toBe('sise');
    expect(e.message).toMatch(/unknown toy option "sise"; expected one of preset, size, lr/);
    expect(configError(() => TOY.resolve({ inner: { delta: 1 } as never })).message).toMatch(/unknown inner option "delta"/);
  });

  it('checks ranges with the flag, what was received and what is expected', () => {
    const cases: Array<[OptionsInput<Toy>, string, string]> = [
      [{ size: 0 }, 'size', '--size must be an integer in [1, 100], got 0'],
      [{ size: 2.5 }, 'size', '--size must be an integer in [1, 100], got 2.5'],
      [{ lr: 0 }, 'lr', '--lr must be > 0, got 0'],
      [{ lr: Infinity }, 'lr', '--lr must be > 0, got Infinity'],
      [{ steps: 51 }, 'steps', '--steps must be an integer in [1, 50], got 51'],
      [{ mode: 'c' as never }, 'mode', '--mode must be one of a, b; got "c"'],
      [{ mode: 'b', size: 1 }, 'mode', '--mode b needs --size ≥ 2'],
      [{ budget: -1 }, 'budget', '--budget must be an integer ≥ 0 or inf, got -1'],
      [{ verbose: 'yes' as never }, 'verbose', '--verbose must be true or false, got "yes"'],
      [{ widths: [] }, 'widths', '--widths must be integers (at least 1), each an integer ≥ 1, got []'],
      [{ name: '  ' }, 'name', '--name must not be empty'],
      [{ inner: { gamma: 0 } }, 'gamma', '--gamma must be in (0, 1], got 0'],
      [{ seed: -1 }, 'seed', 'seed must be an integer ≥ 0, got -1'],
    ];
    for (const [input, key, message] of cases) {
      const e = configError(() => TOY.resolve(input));
      expect(e.key, JSON.stringify(input)).toBe(key);
      expect(e.message, JSON.stringify(input)).toBe(message);
    }
    expect(TOY.resolve({ budget: Infinity, inner: { beta: Infinity } })).toMatchObject({ budget: Infinity, inner: { beta: Infinity } });
  });

  it('a nested set with a path names the config field too', () => {
    const P = defineOptions<{ sigma: number }>('policy', [{ key: 'sigma', type: 'number', min: 0, max: 10, default: 1, help: 'noise' }], { path: 'policy' });
    const e = configError(() => P.resolve({ sigma: -1 }));
    expect(e.key).toBe('sigma');
    expect(e.message).toBe('--sigma (policy.sigma) must be in [0, 10], got -1');
  });

  it('a default that depends on itself is a bug, reported as E_INTERNAL', () => {
    const C = defineOptions<{ a: number; b: number }>('cyclic', [
      { key: 'a', type: 'int', default: (c) => c.b, help: 'a' },
      { key: 'b', type: 'int', default: (c) => c.a, help: 'b' },
    ]);
    expect(() => C.resolve()).toThrow(RlhfError);
    expect(() => C.resolve()).toThrow(/depends on itself/);
    expect(C.resolve({ a: 1 })).toEqual({ a: 1, b: 1 });
  });

  it('a key or flag described twice is a bug', () => {
    expect(() =>
      defineOptions<{ a: number; b: number }>('twice', [
        { key: 'a', type: 'int', default: 1, help: 'a' },
        { key: 'b', flag: 'a', type: 'int', default: 1, help: 'b' },
      ]),
    ).toThrow(/--a is described twice/);
  });

  it('withDefaults and pick make related sets; resumeKeys lists what may differ on --resume', () => {
    expect(TOY.withDefaults({ size: 9 }).resolve().size).toBe(9);
    expect(TOY.resolve().size).toBe(5);
    expect(TOY.pick(['size', 'mode']).resolve()).toEqual({ size: 5, mode: 'a' });
    expect(TOY.resumeKeys).toEqual(['steps']);
  });
});

describe('defineOptions: flags', () => {
  it('declares every flag for parseArgs, the group\'s included, and no flag for flag: false', () => {
    expect(TOY.flagSpec()).toEqual({
      preset: { type: 'string' },
      size: { type: 'string' },
      lr: { type: 'string' },
      steps: { type: 'string' },
      mode: { type: 'string' },
      budget: { type: 'string' },
      verbose: { type: 'boolean' },
      'no-verbose': { type: 'boolean' },
      'no-normalize': { type: 'boolean' },
      widths: { type: 'string' },
      name: { type: 'string' },
      beta: { type: 'string' },
      gamma: { type: 'string' },
    });
    expect(TOY.flags).toContain('beta');
    expect(TOY.flags).not.toContain('seed');
  });

  it('reads only the flags given, typed', () => {
    expect(TOY.fromFlags({})).toEqual({});
    expect(TOY.fromFlags({ size: '7', lr: '1e-3', budget: 'inf', 'no-normalize': true, widths: '8,16', beta: 'Infinity', verbose: true })).toEqual({
      size: 7,
      lr: 1e-3,
      budget: Infinity,
      raw: false,
      widths: [8, 16],
      verbose: true,
      inner: { beta: Infinity },
    });
    expect(TOY.fromFlags({ 'no-verbose': true })).toEqual({ verbose: false });
    for (const inf of ['inf', '+inf', 'INF', 'infinity', 'Infinity']) expect(TOY.fromFlags({ beta: inf })).toEqual({ inner: { beta: Infinity } });
  });

  it('a malformed value names the flag and quotes it', () => {
    const cases: Array<[Record<string, string | boolean>, string, string]> = [
      [{ size: '1.5' }, 'size', '--size must be an integer, got "1.5"'],
      [{ size: '' }, 'size', '--size must be an integer, got ""'],
      [{ lr: 'fast' }, 'lr', '--lr must be a number, got "fast"'],
      [{ lr: 'inf' }, 'lr', '--lr must be a number, got "inf"'],
      [{ budget: 'lots' }, 'budget', '--budget must be an integer or inf, got "lots"'],
      [{ beta: '-inf' }, 'beta', '--beta must be a number or inf, got "-inf"'],
      [{ widths: '8,x' }, 'widths', '--widths expects integers separated by commas, got "8,x"'],
      [{ verbose: true, 'no-verbose': true }, 'verbose', '--verbose and --no-verbose contradict each other; give one'],
    ];
    for (const [values, key, message] of cases) {
      const e = configError(() => TOY.fromFlags(values));
      expect(e.key, JSON.stringify(values)).toBe(key);
      expect(e.message).toBe(message);
    }
    // the range is the resolver's: one message whether a value came from a flag or from code
    expect(configError(() => TOY.resolveFlags({ size: '0' })).message).toBe('--size must be an integer in [1, 100], got 0');
  });
});

describe('defineOptions: help', () => {
  const help = TOY.help('toy — a test', 'toy [options]');

  it('lists every flag once, at the start of its line, with its default', () => {
    const column = help.split('\n').filter((l) => /^ {2}-/.test(l)).map((l) => l.trim().split(/ {2,}/)[0]!);
    const flags = column.flatMap((c) => c.split(', ').map((u) => u.split(' ')[0]!));
    expect(flags.sort()).toEqual([...TOY.flags.map((f) => `--${f}`), '-h', '--help'].sort());
    expect(new Set(flags).size).toBe(flags.length);
    expect(help).toMatch(/^toy — a test\n\nusage: toy \[options\]\n\noptions:\n/);
    expect(help).toContain('  --size N                    grid size [5; fast 3]');
    expect(help).toContain('--lr LR                     step size [1 / steps]');
    expect(help).toContain('--budget N                  label budget [inf]');
    expect(help).toContain('--verbose, --no-verbose     talk [off]');
    expect(help).toContain('--no-normalize              keep inputs raw\n');
    expect(help).toContain('\n\ninner part:\n  --beta B                    rationality β [1]');
    expect(help).not.toContain('seed');
  });

  it('a command made of several sets lists a shared flag once, by the first set', () => {
    const other = defineOptions<{ size: number; quiet: boolean }>('other', [
      { key: 'size', type: 'int', default: 1, help: 'another size' },
      { key: 'quiet', type: 'bool', default: false, help: 'hush' },
    ]);
    const h = renderHelp('two', [TOY, other]);
    expect(h.match(/--size/g)).toHaveLength(1);
    expect(h).toContain('grid size');
    expect(h).toContain('--quiet');
  });

  it("a section comes where the set whose section it is comes (a domain's --seed among the run options)", () => {
    const domain = defineOptions<{ a: number; seed: number }>('domain', [
      { key: 'seed', type: 'int', default: 0, section: 'run', help: 'seed' },
      { key: 'a', type: 'int', default: 1, help: 'a' },
    ]);
    const run = defineOptions<{ quiet: boolean }>('run', [{ key: 'quiet', type: 'bool', default: false, help: 'hush' }], { section: 'run' });
    const h = renderHelp('t', [domain, INNER, run]);
    expect(h.split('\n').filter((l) => l.endsWith(':'))).toEqual(['options:', 'inner part:', 'run:']);
    expect(h).toMatch(/run:\n {2}--seed N +seed \[0\]\n {2}--quiet +hush\n/);
  });

  it('formats values as the command line writes them', () => {
    expect(formatValue(Infinity)).toBe('inf');
    expect(formatValue([16, 16])).toBe('16,16');
    expect(formatValue([[0, 0], [4, 4]])).toBe('0,0;4,4');
    expect(kebab('rewardEnsemble')).toBe('reward-ensemble');
  });
});

describe('run options', () => {
  it('defaults and the backends of core/tensor.ts', async () => {
    expect(RUN_OPTIONS.resolve()).toEqual({ out: null, resume: false, backend: 'auto', quiet: false, json: false, report: true });
    expect(RUN_OPTIONS.resolveFlags({ 'no-report': true, out: 'x' })).toMatchObject({ report: false, out: 'x' });
    const { BACKEND_NAMES } = await import('../tensor.js');
    expect([...BACKENDS]).toEqual([...BACKEND_NAMES]);
  });
});

describe('src/core/config is browser-safe', () => {
  it('imports no node: module and nothing outside src/core', () => {
    const dir = __dirname;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      for (const m of src.matchAll(/from '([^']+)'/g)) {
        const spec = m[1]!;
        expect(spec.startsWith('node:'), `${f} imports ${spec}`).toBe(false);
        expect(spec.startsWith('./') || spec === '../errors.js', `${f} imports ${spec}`).toBe(true);
      }
    }
  });
});
