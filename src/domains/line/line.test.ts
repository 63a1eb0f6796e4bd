import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { resolveLineConfig } from './config.js';
import { LineEnv, greedySuccess, successProbability } from './env.js';
import { runLine } from './run.js';
import { LineTrainer } from './train.js';

const tmp = mkdtempSync(join(tmpdir(), 'rlhf-line-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function runAll(tr: LineTrainer) {
  const rows = [];
  while (!tr.done) rows.push(await tr.step());
  return rows;
}

describe('line env', () => {
  it('computes the exact success probability', () => {
    const env = new LineEnv(3);
    expect(successProbability(env, [1, 1, 1], 2)).toBe(1);
    expect(successProbability(env, [1, 1, 1], 1)).toBe(0);
    expect(successProbability(env, [0.5, 0.5, 0.5], 2)).toBeCloseTo(0.25, 12); // R,R
    // within 3 steps: RR, or L(stay) R R → 0.25 + 0.125; RL then R needs a 4th step
    expect(successProbability(env, [0.5, 0.5, 0.5], 3)).toBeCloseTo(0.375, 12);
    expect(greedySuccess(env, [0.9, 0.9, 0], 2)).toBe(true);
    expect(greedySuccess(env, [0.9, 0.1, 0], 50)).toBe(false);
  });

  it('judged reward counts cells of progress plus the goal', () => {
    const env = new LineEnv(4);
    expect(env.judgedReward(0, 1)).toBe(1);
    expect(env.judgedReward(1, 0)).toBe(-1);
    expect(env.judgedReward(0, 0)).toBe(0);
    expect(env.judgedReward(2, 3)).toBe(2);
  });
});

describe('line loop', () => {
  it('reaches the success target on size 10 well within 200 episodes (oracle, disagreement)', async () => {
    const tr = new LineTrainer(resolveLineConfig({ episodes: 60, seed: 1 }));
    const rows = await runAll(tr);
    expect(rows[rows.length - 1]!['objective/success_rate']).toBeGreaterThan(0.9);
    expect(rows[rows.length - 1]!['reward/right_preferred']).toBe(1);
  });

  it('learns under the mistake teacher too', async () => {
    const tr = new LineTrainer(resolveLineConfig({ episodes: 100, seed: 2, teacher: 'mistake' }));
    const rows = await runAll(tr);
    expect(rows[rows.length - 1]!['objective/success_rate']).toBeGreaterThan(0.9);
  });

  it('is deterministic given the seed, and the seed matters', async () => {
    const a = await runAll(new LineTrainer(resolveLineConfig({ episodes: 30, seed: 5, teacher: 'noisy' })));
    const b = await runAll(new LineTrainer(resolveLineConfig({ episodes: 30, seed: 5, teacher: 'noisy' })));
    const c = await runAll(new LineTrainer(resolveLineConfig({ episodes: 30, seed: 6, teacher: 'noisy' })));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('never exceeds the label budget, for every selection strategy', async () => {
    for (const querySelection of ['random', 'disagreement', 'entropy'] as const) {
      const tr = new LineTrainer(resolveLineConfig({ episodes: 50, labelBudget: 7, labelsPerIteration: 3, querySelection }));
      const rows = await runAll(tr);
      for (const r of rows) expect(r['feedback/labels']).toBeLessThanOrEqual(7);
      expect(tr.labels).toBe(7);
    }
  });

  it('the seed preset runs the seed method (regression on the sparse reward, labels = steps)', async () => {
    const tr = new LineTrainer(resolveLineConfig({ preset: 'seed', episodes: 20, size: 3 }));
    const rows = await runAll(tr);
    const steps = rows.reduce((s, r) => s + r['feedback/labels_iteration'], 0);
    expect(tr.labels).toBe(steps);
    expect(rows[rows.length - 1]!['reward/loss']).toBeNull();
  });
});

describe('line run directory', () => {
  it('resumes from a checkpoint to the same metrics as an uninterrupted run', async () => {
    const config = resolveLineConfig({ episodes: 50, seed: 3, teacher: 'noisy', querySelection: 'entropy' });
    const full = await runLine(config, { out: join(tmp, 'full'), quiet: true, report: false });
    const part = await runLine(config, { out: join(tmp, 'part'), quiet: true, report: false, stopAfter: 2 });
    expect(part.stopped).toBe(true);
    const resumed = await runLine(config, { out: join(tmp, 'part'), resume: true, quiet: true, report: false });
    expect(readFileSync(join(tmp, 'part', 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(tmp, 'full', 'metrics.jsonl'), 'utf8'));
    expect(resumed.summary!.success_rate).toBe(full.summary!.success_rate);
    expect(resumed.summary!.labels).toBe(full.summary!.labels);
  });
});

describe('rlhf run line', () => {
  const bad: string[][] = [
    ['--size', '1'],
    ['--size', 'ten'],
    ['--episodes', '0'],
    ['--query-selection', 'best'],
    ['--query-selection', 'disagreement', '--reward-ensemble', '1'],
    ['--label-budget', '-3'],
    ['--teacher', 'oracle2'],
    ['--beta', '0'],
    ['--mistake', '1'],
    ['--feedback', 'ratings'],
    ['--preset', 'fast'],
    ['--baseline', 'expected', '--discount', '0.9'],
    ['--unknown-flag'],
    ['--resume'],
    ['--preset', 'seed', '--judge', 'human'],
    ['--feedback', 'regression', '--judge', 'mixed'],
    ['--judge-timeout', '5'],
  ];
  for (const args of bad)
    it(`exits 2 and writes nothing for ${args.join(' ')}`, async () => {
      const out = join(tmp, `bad-${args.join('_').replace(/[^a-z0-9_]/gi, '')}`);
      const err: string[] = [];
      const orig = console.error;
      console.error = (m: string) => err.push(String(m));
      try {
        const code = await main(['run', 'line', ...args, ...(args[0] === '--resume' ? [] : ['--out', out]), '--quiet']);
        expect(code).toBe(2);
      } finally {
        console.error = orig;
      }
      expect(err.join('\n').split('\n').length).toBe(1);
      expect(existsSync(out)).toBe(false);
    });

  it('writes config, metrics, summary, report and plots, and --json prints the summary last', async () => {
    const out = join(tmp, 'cli');
    const logs: string[] = [];
    const orig = console.log;
    console.log = (m: string) => logs.push(String(m));
    try {
      expect(await main(['run', 'line', '--episodes', '30', '--out', out, '--json', '--quiet', '--seed', '4'])).toBe(0);
    } finally {
      console.log = orig;
    }
    const summary = JSON.parse(logs[logs.length - 1]!);
    for (const k of ['success_rate', 'labels', 'seconds', 'seed']) expect(summary).toHaveProperty(k);
    expect(summary.seed).toBe(4);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'report.html', 'success.svg', 'success.png', 'reward_table.svg'])
      expect(existsSync(join(out, f)), f).toBe(true);
  });
});
