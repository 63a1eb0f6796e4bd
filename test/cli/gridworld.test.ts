/**
 * `rlhf run gridworld` as a user runs it: bad options exit 2 with one line naming the flag and write nothing; the real
 * process runs with tiny settings (smoke test), prints the summary as the last stdout line with --json, and a process
 * ended abruptly after iteration k (RLHF_STOP_AFTER) resumes with --resume to the same summary as an uninterrupted run.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const MAIN = resolve(__dirname, '../../src/cli/main.ts');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env, RLHF_PROGRESS: '' },
    cwd: resolve(__dirname, '../..'),
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rlhf run gridworld: invalid options', () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--size', '0'], 'size', /--size must be an integer in \[1, 1000\], got 0/],
    [['--goal', '9,9'], 'goal', /--goal 9,9 is outside the 5×5 grid/],
    [['--start', '1,2,3'], 'start', /--start expects 2 integers/],
    [['--teacher', 'psychic'], 'teacher', /--teacher must be one of oracle, noisy, mistake, skip, myopic, equal; got "psychic"/],
    [['--lr', 'fast'], 'lr', /--lr must be a number, got "fast"/],
    [['--batch', '1.5'], 'batch', /--batch must be an integer, got "1.5"/],
    [['--iterations', '-3'], 'iterations', /--iterations must be an integer in \[0, 100000000\], got -3/],
    [['--slip', '1'], 'slip', /--slip must be in \[0, 1\)/],
    [['--beta', '-1'], 'beta', /--beta must be > 0/],
    [['--mistake', '1'], 'mistake', /--mistake must be in \[0, 1\), got 1/],
    [['--gamma', '0'], 'gamma', /--gamma must be in \(0, 1\], got 0/],
    [['--reward-impl', 'gpu'], 'reward-impl', /--reward-impl must be one of typed, tfjs/],
    [['--backend', 'gpu'], 'backend', /--backend must be one of auto, tensorflow, wasm, cpu/],
    [['--paths', '1,x'], 'paths', /--paths expects iteration numbers/],
    [['--explore-bonus', '-1'], 'explore-bonus', /--explore-bonus must be ≥ 0/],
    [['--seed', 'abc'], 'seed', /--seed must be an integer/],
    [['--bogus', '1'], 'bogus', /Unknown option '--bogus'/],
    [['--query-selection', 'disagreement'], 'query-selection', /needs an ensemble of at least 2/],
    [['--query-selection', 'best'], 'query-selection', /--query-selection must be one of all, random, disagreement, entropy/],
    [['--reward-ensemble', '0'], 'reward-ensemble', /--reward-ensemble must be an integer in \[1, 64\], got 0/],
    [['--label-budget', 'lots'], 'label-budget', /--label-budget must be an integer/],
    [['--bootstrap', '--no-bootstrap'], 'bootstrap', /--bootstrap and --no-bootstrap contradict each other/],
    [['--replay-labels', '--no-replay-labels'], 'replay-labels', /--replay-labels and --no-replay-labels contradict each other/],
  ];
  for (const [args, flag, message] of cases) {
    it(`${args.join(' ')} → exit 2, one line naming --${flag}, nothing written`, async () => {
      const out = join(root, `bad-${flag}`);
      const errors: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
      vi.spyOn(console, 'log').mockImplementation(() => {});
      const code = await main(['run', 'gridworld', ...args, '--out', out, '--quiet']);
      expect(code).toBe(2);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.split('\n')).toHaveLength(1);
      expect(errors[0]).toMatch(/^rlhf run gridworld: /);
      expect(errors[0]).toContain(`--${flag}`);
      expect(errors[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('--resume without --out and --resume of a directory without a run are refused', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    expect(await main(['run', 'gridworld', '--resume'])).toBe(2);
    expect(errors[0]).toMatch(/--resume needs --out/);
    const missing = join(root, 'never-ran');
    expect(await main(['run', 'gridworld', '--resume', '--out', missing, '--quiet'])).toBe(2);
    expect(errors[1]).toMatch(/--resume: no run in/);
    expect(existsSync(missing)).toBe(false);
  });

  it('ensemble and active-query flags run through the CLI (in-process) and land in config.json', async () => {
    const out = join(root, 'active');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const code = await main(['run', 'gridworld', '--size', '4', '--iterations', '3', '--batch', '20', '--horizon', '8', '--reward-ensemble', '3', '--query-selection', 'disagreement', '--labels-per-iteration', '5', '--label-budget', '12', '--bootstrap', '--no-replay-labels', '--out', out, '--quiet', '--json', '--no-report']);
    expect(code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ rewardEnsemble: 3, querySelection: 'disagreement', labelsPerIteration: 5, labelBudget: 12, bootstrap: true, replayLabels: false });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows.map((r) => r['feedback/asked'])).toEqual([5, 10, 12]);
    expect(JSON.parse(lines[lines.length - 1]!)).toHaveProperty('labels');
  });

  it('--help prints every option and exits 0', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    expect(await main(['run', 'gridworld', '--help'])).toBe(0);
    for (const f of ['--size', '--goal', '--start', '--slip', '--horizon', '--batch', '--iterations', '--reward-steps', '--lr', '--temperature', '--teacher', '--beta', '--gamma', '--mistake', '--skip', '--equal', '--explore-bonus', '--seed', '--out', '--resume', '--quiet', '--json'])
      expect(lines.join('\n')).toContain(f);
  });
});

describe('rlhf run gridworld: the real process', () => {
  const tiny = ['--size', '3', '--iterations', '6', '--batch', '12', '--horizon', '8', '--reward-steps', '10', '--seed', '5'];

  it('smoke: runs, writes the run directory, prints the summary as the last stdout line with --json', () => {
    const out = join(root, 'smoke');
    const r = cli(['run', 'gridworld', ...tiny, '--out', out, '--json']);
    expect(r.stderr).toMatch(/gridworld 6\/6/); // progress (plain lines when stderr is not a terminal)
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]!) as Record<string, number>;
    expect(summary.seed).toBe(5);
    expect(summary.labels).toBeGreaterThan(0);
    for (const f of ['config.json', 'metrics.jsonl', 'timing.jsonl', 'summary.json', 'report.html', 'true_return.png', 'paths.svg', 'reward_heatmaps.png']) expect(existsSync(join(out, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary);
    const q = cli(['run', 'gridworld', ...tiny, '--out', join(root, 'quiet'), '--quiet', '--no-report']);
    expect(q.code).toBe(0);
    expect(q.stderr).toBe('');
    expect(q.stdout).toBe('');
  });

  it('killed after iteration 3 (RLHF_STOP_AFTER), --resume reproduces the uninterrupted summary', () => {
    const whole = join(root, 'whole');
    const a = cli(['run', 'gridworld', ...tiny, '--slip', '0.1', '--out', whole, '--json', '--quiet', '--no-report']);
    expect(a.code).toBe(0);
    const cut = join(root, 'cut');
    const b = cli(['run', 'gridworld', ...tiny, '--slip', '0.1', '--out', cut, '--json', '--quiet', '--no-report'], { RLHF_STOP_AFTER: '3' });
    expect(b.code).toBe(75);
    expect(b.stdout).toBe('');
    expect(existsSync(join(cut, 'summary.json'))).toBe(false);
    expect(readFileSync(join(cut, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    const c = cli(['run', 'gridworld', ...tiny, '--slip', '0.1', '--out', cut, '--resume', '--json', '--quiet', '--no-report']);
    expect(c.code).toBe(0);
    const last = (s: string) => {
      const { seconds: _s, ...rest } = JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;
      return rest;
    };
    expect(last(c.stdout)).toEqual(last(a.stdout));
    expect(readFileSync(join(cut, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(whole, 'metrics.jsonl'), 'utf8'));
  });
});
