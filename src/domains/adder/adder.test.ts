import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { main } from '../../cli/main.js';
import { resolveAdderConfig } from './config.js';
import { LinearFeatureReward, MlpReward, greedyActions } from './model.js';
import { runAdder } from './run.js';
import { AdderTrainer } from './train.js';

const tmp = mkdtempSync(join(tmpdir(), 'rlhf-adder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function runAll(tr: AdderTrainer) {
  const rows = [];
  while (!tr.done) rows.push(await tr.step());
  return rows;
}

describe('adder models', () => {
  it('gradient ascent finds a + b on the true-shaped linear reward', () => {
    const m = new LinearFeatureReward(0.1);
    m.flatParams.set([5, 0.5]); // θ₂ < 0.4 θ₁: the peak is the kink at x = a + b
    const x = greedyActions([m], [3, 10, 0], [4, 9, 1], { method: 'rprop', lr: 2, steps: 40, init: 20, lo: -20, hi: 60 });
    expect(Array.from(x).map((v) => Math.round(v * 1000) / 1000)).toEqual([7, 19, 1]);
  });

  it('input gradients of the MLP reward match finite differences', () => {
    const m = new MlpReward([8], 'tanh', { kind: 'normal', std: 0.5 }, 10, new Rng(1));
    const a = [1, 5];
    const b = [2, 7];
    const x = [3.5, 11];
    const g = m.gradX(a, b, x);
    const h = 1e-4;
    for (let i = 0; i < 2; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i]! += h;
      xm[i]! -= h;
      const fd = (m.predict(a, b, xp)[i]! - m.predict(a, b, xm)[i]!) / (2 * h);
      expect(g[i]!).toBeCloseTo(fd, 5);
    }
  });
});

describe('adder loop', () => {
  it('linear model meets the targets (accuracy ≥ 0.98, MSE ≤ 0.1) in a short run', async () => {
    const tr = new AdderTrainer(resolveAdderConfig({ epochs: 40, seed: 1 }));
    await runAll(tr);
    const e = tr.lastEval!;
    expect(e.preferenceAccuracy).toBeGreaterThanOrEqual(0.98);
    expect(e.actionMse).toBeLessThan(0.1);
  });

  it('MLP model learns the shape (loose threshold)', async () => {
    const tr = new AdderTrainer(resolveAdderConfig({ model: 'mlp', epochs: 40, seed: 2, evalPairs: 100 }));
    await runAll(tr);
    expect(tr.lastEval!.preferenceAccuracy).toBeGreaterThan(0.85);
    expect(tr.lastEval!.actionMse).toBeLessThan(1);
  });

  it('is deterministic given the seed, and the seed matters', async () => {
    const cfg = { epochs: 12, teacher: 'noisy', rewardEnsemble: 3, querySelection: 'disagreement' as const };
    const a = await runAll(new AdderTrainer(resolveAdderConfig({ ...cfg, seed: 5 })));
    const b = await runAll(new AdderTrainer(resolveAdderConfig({ ...cfg, seed: 5 })));
    const c = await runAll(new AdderTrainer(resolveAdderConfig({ ...cfg, seed: 6 })));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('never exceeds the label budget', async () => {
    const tr = new AdderTrainer(resolveAdderConfig({ epochs: 10, labelBudget: 33, labelsPerIteration: 7, querySelection: 'entropy' }));
    for (const r of await runAll(tr)) expect(r['feedback/labels']).toBeLessThanOrEqual(33);
    expect(tr.labels).toBe(33);
  });

  it('resumes from a checkpoint to the same metrics', async () => {
    const config = resolveAdderConfig({ epochs: 12, seed: 3, model: 'mlp', rewardEnsemble: 2, querySelection: 'disagreement', evalPairs: 50 });
    await runAdder(config, { out: join(tmp, 'full'), quiet: true, report: false });
    const part = await runAdder(config, { out: join(tmp, 'part'), quiet: true, report: false, stopAfter: 5 });
    expect(part.stopped).toBe(true);
    await runAdder(config, { out: join(tmp, 'part'), resume: true, quiet: true, report: false });
    expect(readFileSync(join(tmp, 'part', 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(tmp, 'full', 'metrics.jsonl'), 'utf8'));
  });
});

describe('rlhf run adder', () => {
  const bad: string[][] = [
    ['--epochs', '0'],
    ['--model', 'cnn'],
    ['--hidden', '16,x'],
    ['--query-selection', 'disagreement'],
    ['--label-budget', '1.5'],
    ['--perturb-min', '9', '--perturb-max', '1'],
    ['--teacher', 'nobody'],
    ['--state-max', '-1'],
    ['--preset', 'fast'],
  ];
  for (const args of bad)
    it(`exits 2 and writes nothing for ${args.join(' ')}`, async () => {
      const out = join(tmp, `bad-${args.join('_').replace(/[^a-z0-9_]/gi, '')}`);
      const err: string[] = [];
      const orig = console.error;
      console.error = (m: string) => err.push(String(m));
      try {
        expect(await main(['run', 'adder', ...args, '--out', out, '--quiet'])).toBe(2);
      } finally {
        console.error = orig;
      }
      expect(err.join('\n').split('\n').length).toBe(1);
      expect(existsSync(out)).toBe(false);
    });

  it('writes the run directory and --json prints the summary last', async () => {
    const out = join(tmp, 'cli');
    const logs: string[] = [];
    const orig = console.log;
    console.log = (m: string) => logs.push(String(m));
    try {
      expect(await main(['run', 'adder', '--epochs', '10', '--out', out, '--json', '--quiet'])).toBe(0);
    } finally {
      console.log = orig;
    }
    const s = JSON.parse(logs[logs.length - 1]!);
    for (const k of ['preference_accuracy', 'action_mse', 'labels', 'seconds', 'seed']) expect(s).toHaveProperty(k);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'report.html', 'accuracy.svg', 'accuracy.png']) expect(existsSync(join(out, f)), f).toBe(true);
  });
});
