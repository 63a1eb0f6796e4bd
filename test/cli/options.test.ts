/**
 * Every `rlhf` command's options come from one description (src/core/config): its --help lists each flag it accepts
 * exactly once; the domains with a simulated B-Pref teacher list the shared teacher flags the same way and read
 * `--beta inf` the same way (β = ∞: the rational teacher); a bad value exits 2 with one line naming the flag and
 * writes nothing, in every domain.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { configFromArgv, flagSpecOf } from '../../src/cli/args.js';
import type { AnyOptionSet } from '../../src/core/config/options.js';
import { NAMED_TEACHERS, TEACHER_PARAM_OPTIONS } from '../../src/teachers/bpref.js';
import { GRIDWORLD_COMMAND_SETS } from '../../src/domains/gridworld/cli.js';
import { GRIDWORLD_OPTIONS } from '../../src/domains/gridworld/config.js';
import { LINE_COMMAND_SETS } from '../../src/domains/line/cli.js';
import { LINE_OPTIONS } from '../../src/domains/line/config.js';
import { ADDER_COMMAND_SETS } from '../../src/domains/adder/cli.js';
import { ADDER_OPTIONS } from '../../src/domains/adder/config.js';
import { TEXT_COMMAND_SETS } from '../../src/domains/text/rlhf/cli.js';
import { TEXT_RLHF_OPTIONS } from '../../src/domains/text/rlhf/config.js';
import { DIGITS_COMMAND_SETS, PRETRAIN_DIGITS_COMMAND_SETS } from '../../src/domains/digits/cli.js';
import { PRETRAIN_TEXT_COMMAND_SETS } from '../../src/domains/text/pretrain.js';
import { EXPORT_OPTIONS, IMPORT_OPTIONS, SERVE_OPTIONS } from '../../src/server/cli.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** What a command prints for --help (and its exit code). */
async function helpOf(argv: string[]): Promise<string> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  expect(await main([...argv, '--help'])).toBe(0);
  vi.restoreAllMocks();
  return lines.join('\n');
}

/** The flags a --help documents: the flag column of its option lines ("--x N", "--a, --no-a", "-h, --help"). */
function documentedFlags(help: string): string[] {
  return help
    .split('\n')
    .filter((l) => /^ {2}-/.test(l))
    .flatMap((l) => l.trim().split(/ {2,}/)[0]!.split(', ').map((u) => u.split(' ')[0]!.replace(/^-+/, '')))
    .filter((f) => f !== 'h');
}

const COMMANDS: Array<[string[], readonly AnyOptionSet[]]> = [
  [['run', 'gridworld'], GRIDWORLD_COMMAND_SETS],
  [['run', 'line'], LINE_COMMAND_SETS],
  [['run', 'adder'], ADDER_COMMAND_SETS],
  [['run', 'text'], TEXT_COMMAND_SETS],
  [['run', 'digits'], DIGITS_COMMAND_SETS],
  [['pretrain', 'digits'], PRETRAIN_DIGITS_COMMAND_SETS],
  [['pretrain', 'text'], PRETRAIN_TEXT_COMMAND_SETS],
  [['serve'], [SERVE_OPTIONS]],
  [['export'], [EXPORT_OPTIONS]],
  [['import'], [IMPORT_OPTIONS]],
];

describe('--help of every command', () => {
  for (const [argv, sets] of COMMANDS) {
    it(`rlhf ${argv.join(' ')} --help lists every flag it accepts exactly once`, async () => {
      const help = await helpOf(argv);
      const documented = documentedFlags(help);
      const accepted = Object.keys(flagSpecOf(sets));
      expect([...documented].sort()).toEqual([...accepted].sort());
      expect(new Set(documented).size).toBe(documented.length);
      expect(help.split('\n')[0]).toMatch(new RegExp(`^rlhf ${argv.join(' ')}`));
    });
  }
});

describe('the shared teacher block', () => {
  const DOMAINS = ['gridworld', 'line', 'adder', 'text'] as const;
  const SETS = { gridworld: GRIDWORLD_OPTIONS, line: LINE_OPTIONS, adder: ADDER_OPTIONS, text: TEXT_RLHF_OPTIONS };
  const paramsOf = (domain: (typeof DOMAINS)[number], argv: string[]) => {
    const c = configFromArgv(SETS[domain] as typeof GRIDWORLD_OPTIONS, argv) as unknown as Record<string, unknown>;
    return (domain === 'gridworld' ? c.teacherParams : c.teacherConfig) as Record<string, number>;
  };

  it('every domain with a B-Pref teacher lists --teacher --beta --gamma --mistake --skip --equal the same way', async () => {
    const blocks: string[] = [];
    for (const d of DOMAINS) {
      const help = await helpOf(['run', d]);
      const section = help.split('\n\n').find((b) => b.startsWith('simulated teacher (B-Pref):'));
      expect(section, d).toBeDefined();
      // the default teacher differs by domain (noisy for the gridworld, as the seed); everything else is identical
      blocks.push(section!.replace(/(--teacher NAME .*)\[\w+\]$/m, '$1[…]'));
    }
    for (const b of blocks) expect(b).toBe(blocks[0]);
    for (const f of ['teacher', ...TEACHER_PARAM_OPTIONS.flags]) expect(blocks[0]).toMatch(new RegExp(`^ {2}--${f} `, 'm'));
  });

  it('--beta inf (any spelling) is β = ∞, the rational teacher, in every domain', () => {
    for (const d of DOMAINS) {
      for (const inf of ['inf', 'Infinity', '+inf', 'INF']) {
        const p = paramsOf(d, ['--teacher', 'noisy', '--beta', inf]);
        expect(p.beta, `${d} --beta ${inf}`).toBe(Infinity);
        expect(p, d).toEqual(NAMED_TEACHERS.oracle); // noisy with β = ∞ is the oracle
      }
      expect(paramsOf(d, ['--teacher', 'noisy']).beta, d).toBe(1);
      expect(paramsOf(d, ['--teacher', 'mistake', '--beta', '2', '--mistake', '0.2'])).toEqual({ ...NAMED_TEACHERS.mistake, beta: 2, epsMistake: 0.2 });
    }
  });

  it('a bad teacher value names the flag the same way in every domain', () => {
    const cases: Array<[string[], string, string]> = [
      [['--beta', '0'], 'beta', '--beta must be > 0 or inf, got 0'],
      [['--beta', '-inf'], 'beta', '--beta must be a number or inf, got "-inf"'],
      [['--gamma', '1.5'], 'gamma', '--gamma must be in (0, 1], got 1.5'],
      [['--mistake', '1'], 'mistake', '--mistake must be in [0, 1), got 1'],
      [['--skip', '-0.1'], 'skip', '--skip must be ≥ 0, got -0.1'],
      [['--equal', 'x'], 'equal', '--equal must be a number, got "x"'],
      [['--teacher', 'psychic'], 'teacher', '--teacher must be one of oracle, noisy, mistake, skip, myopic, equal; got "psychic"'],
    ];
    for (const d of DOMAINS)
      for (const [argv, key, message] of cases) {
        let err: unknown;
        try {
          paramsOf(d, argv);
        } catch (e) {
          err = e;
        }
        expect(err, `${d} ${argv.join(' ')}`).toMatchObject({ code: 'E_CONFIG', key, message });
      }
  });
});

describe('bad options in every domain: exit 2, one line naming the flag, nothing written', () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['run', 'line', '--size', '1'], 'size', /--size must be an integer in \[2, 10000\], got 1/],
    [['run', 'line', '--baseline', 'expected', '--discount', '0.5'], 'baseline', /--baseline expected is the exact value/],
    [['run', 'line', '--preset', 'fast'], 'preset', /--preset must be one of default, seed; got "fast"/],
    [['run', 'line', '--query-selection', 'disagreement', '--reward-ensemble', '1'], 'query-selection', /needs an ensemble of at least 2/],
    [['run', 'line', '--raw-state', 'yes'], 'raw-state', /unexpected argument "yes"/],
    [['run', 'adder', '--hidden', '16,x'], 'hidden', /--hidden expects hidden widths like 16,16 separated by commas, got "16,x"/],
    [['run', 'adder', '--perturb-min', '9'], 'perturb-min', /--perturb-min \(9\) must be ≤ --perturb-max \(8\)/],
    [['run', 'adder', '--label-budget', '-1'], 'label-budget', /--label-budget must be an integer ≥ 0 or inf, got -1/],
    [['run', 'text', '--batch-size', '4', '--mini-batch-size', '8'], 'mini-batch-size', /--mini-batch-size must be an integer in \[1, 4\], got 8/],
    [['run', 'text', '--token-rewards', '--reward-backbone', 'bag'], 'token-rewards', /--token-rewards needs a reward model that is a sum over tokens/],
    [['run', 'text', '--judge-timeout', '5'], 'judge-timeout', /--judge-timeout only applies with --judge human or mixed/],
    [['run', 'digits', '--sigma', '11'], 'sigma', /--sigma \(policy\.sigma\) must be in \[0, 10\], got 11/],
    [['run', 'digits', '--train-size', '0'], 'train-size', /--train-size must be an integer in \[1, 60000\], got 0/],
    [['run', 'digits', '--judge', 'human', '--redundancy', '0'], 'redundancy', /--redundancy must be an integer in \[1, 100\], got 0/],
    [['pretrain', 'digits', '--vae-lr', '2'], 'vae-lr', /--vae-lr must be in \(0, 1\], got 2/],
    [['pretrain', 'text', '--width', '100', '--heads', '3'], 'heads', /--width \(100\) must be divisible by --heads \(3\)/],
    [['pretrain', 'text', '--min-lr', '0.1'], 'min-lr', /--min-lr must be in \[0, 0.003\], got 0.1/],
    [['pretrain', 'text', '--workers', '4', '--batch', '2'], 'workers', /--workers \(4\) must be ≤ --batch \(2\)/],
  ];
  for (const [argv, flag, message] of cases) {
    it(`${argv.join(' ')} → --${flag}`, async () => {
      const out = join(root, `bad-${argv[1]}-${flag}`);
      const errors: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
      vi.spyOn(console, 'log').mockImplementation(() => {});
      const code = await main([...argv, '--out', out, '--quiet']);
      expect(code).toBe(2);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.split('\n')).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`^rlhf ${argv[0]} ${argv[1]}: `));
      expect(errors[0]).toContain(argv.includes('yes') ? '"yes"' : `--${flag}`);
      expect(errors[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
