/**
 * The gridworld loop end to end, in-process: determinism, resume after a stop, no tensor leak with the tfjs fitter,
 * typed vs tfjs agreement, and the learning targets on small budgets (the full 200-iteration targets are in
 * bench/gridworld.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveGridworldConfig, runGridworld, type GridworldConfigInput } from '../../src/domains/gridworld/index.js';
import { tf } from '../../src/core/tensor.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-gw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `run-${n++}`);

const small: GridworldConfigInput = { size: 4, iterations: 12, batch: 30, horizon: 12, rewardSteps: 20, seed: 3 };

function withoutSeconds<T extends object>(s: T | undefined): Omit<T, 'seconds'> {
  const { seconds: _s, ...rest } = s as T & { seconds: number };
  return rest;
}

describe('gridworld loop', () => {
  it('same seed ⇒ identical metrics.jsonl; another seed differs; timings stay out of metrics.jsonl', async () => {
    const [a, b, c] = [fresh(), fresh(), fresh()];
    await runGridworld(resolveGridworldConfig(small), { out: a, quiet: true, report: false });
    await runGridworld(resolveGridworldConfig(small), { out: b, quiet: true, report: false });
    await runGridworld(resolveGridworldConfig({ ...small, seed: 4 }), { out: c, quiet: true, report: false });
    const ma = readFileSync(join(a, 'metrics.jsonl'), 'utf8');
    expect(ma.trim().split('\n')).toHaveLength(12);
    expect(readFileSync(join(b, 'metrics.jsonl'), 'utf8')).toBe(ma);
    expect(readFileSync(join(c, 'metrics.jsonl'), 'utf8')).not.toBe(ma);
    expect(ma).not.toContain('time/');
    const timing = readFileSync(join(a, 'timing.jsonl'), 'utf8').trim().split('\n');
    expect(timing).toHaveLength(12);
    expect(JSON.parse(timing[0]!)).toHaveProperty('time/iteration');
    const row = JSON.parse(ma.split('\n')[0]!) as Record<string, number>;
    for (const k of ['objective/true_return', 'objective/goal_rate', 'reward/loss', 'reward/accuracy', 'teacher/entropy', 'feedback/labels']) expect(row).toHaveProperty(k);
  });

  it('a run stopped after iteration k and resumed gives the same metrics and summary as an uninterrupted run', async () => {
    const cfg = { ...small, slip: 0.1, teacher: 'mistake' as const }; // slip and mistakes: every RNG stream is in play
    const whole = fresh();
    const ra = await runGridworld(resolveGridworldConfig(cfg), { out: whole, quiet: true, report: false });
    const cut = fresh();
    const rb = await runGridworld(resolveGridworldConfig(cfg), { out: cut, quiet: true, report: false, stopAfter: 5 });
    expect(rb.stopped).toBe(true);
    expect(existsSync(join(cut, 'summary.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(cut, 'checkpoint.json'), 'utf8')).iteration).toBe(5);
    const rc = await runGridworld(resolveGridworldConfig(cfg), { out: cut, resume: true, quiet: true, report: false });
    expect(withoutSeconds(rc.summary)).toEqual(withoutSeconds(ra.summary));
    expect(readFileSync(join(cut, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(whole, 'metrics.jsonl'), 'utf8'));
    // resuming with another option is refused
    await expect(runGridworld(resolveGridworldConfig({ ...cfg, lr: 0.5 }), { out: cut, resume: true, quiet: true, report: false })).rejects.toThrow(/option "lr" differs/);
    // a new run refuses a directory that holds one
    await expect(runGridworld(resolveGridworldConfig(cfg), { out: cut, quiet: true, report: false })).rejects.toThrow(/already holds a run/);
  });

  it('tfjs fitter: tensor count stable across iterations, agrees with the typed-array fitter, resumes exactly', async () => {
    const cfg = { ...small, iterations: 6, rewardImpl: 'tfjs' as const };
    const counts: number[] = [];
    const r1 = await runGridworld(resolveGridworldConfig(cfg), { out: fresh(), quiet: true, report: false, onIteration: () => void counts.push(tf.memory().numTensors) });
    expect(new Set(counts.slice(1)).size).toBe(1); // after Adam's slots exist, nothing accumulates
    const typed = await runGridworld(resolveGridworldConfig({ ...cfg, rewardImpl: 'typed' }), { quiet: true });
    // same data in iteration 1 → the same loss up to float32 rounding
    expect(r1.metrics[0]!['reward/loss']).toBeCloseTo(typed.metrics[0]!['reward/loss']!, 4);
    expect(r1.metrics[0]!['reward/loss_before']).toBeCloseTo(typed.metrics[0]!['reward/loss_before']!, 5);
    // stop + resume with the tfjs fitter reproduces the uninterrupted tfjs run
    const cut = fresh();
    await runGridworld(resolveGridworldConfig(cfg), { out: cut, quiet: true, report: false, stopAfter: 3 });
    const resumed = await runGridworld(resolveGridworldConfig(cfg), { out: cut, resume: true, quiet: true, report: false });
    expect(withoutSeconds(resumed.summary)).toEqual(withoutSeconds(r1.summary));
  });

  it('reward ensemble with disagreement queries: asks n per iteration within the budget, resumes exactly', async () => {
    const cfg = { ...small, iterations: 10, rewardEnsemble: 3, querySelection: 'disagreement' as const, labelsPerIteration: 8, labelBudget: 60 };
    const whole = await runGridworld(resolveGridworldConfig(cfg), { out: fresh(), quiet: true, report: false });
    const asked = whole.metrics.map((m) => m['feedback/asked']);
    expect(asked.slice(0, 8)).toEqual([8, 16, 24, 32, 40, 48, 56, 60]); // n₀ = 8 per iteration, capped by the budget of 60
    expect(asked[9]).toBe(60);
    expect(whole.summary!.labels).toBeLessThanOrEqual(60); // asked pairs minus the teacher's skips
    expect(whole.metrics[0]!['reward/ensemble_std']).toBeGreaterThan(0);
    const cut = fresh();
    await runGridworld(resolveGridworldConfig(cfg), { out: cut, quiet: true, report: false, stopAfter: 4 });
    const resumed = await runGridworld(resolveGridworldConfig(cfg), { out: cut, resume: true, quiet: true, report: false });
    expect(withoutSeconds(resumed.summary)).toEqual(withoutSeconds(whole.summary));
    expect(() => resolveGridworldConfig({ querySelection: 'disagreement' })).toThrow(/needs an ensemble of at least 2/);
    expect(() => resolveGridworldConfig({ labelsPerIteration: 101 })).toThrow(/--labels-per-iteration/);
    expect(() => resolveGridworldConfig({ rewardEnsemble: 2, rewardImpl: 'tfjs' })).toThrow(/--reward-impl tfjs fits one reward model/);
  });

  it('label replay: on by default with a query selection, fits every label so far; off = the seed\'s online fit', async () => {
    const cfg = { ...small, iterations: 8, rewardEnsemble: 3, querySelection: 'random' as const, labelsPerIteration: 4 };
    expect(resolveGridworldConfig(cfg).replayLabels).toBe(true);
    expect(resolveGridworldConfig(small).replayLabels).toBe(false); // "all" labels every pair: the seed's online fit
    const replay = await runGridworld(resolveGridworldConfig(cfg), { quiet: true });
    const online = await runGridworld(resolveGridworldConfig({ ...cfg, replayLabels: false }), { quiet: true });
    // the same labels are asked (selection is random, the rollouts of iteration 1 are identical), the fits differ
    expect(replay.metrics[0]!['reward/loss']).toBe(online.metrics[0]!['reward/loss']);
    expect(replay.metrics[3]!['reward/correlation']).not.toBe(online.metrics[3]!['reward/correlation']);
    const cut = fresh();
    await runGridworld(resolveGridworldConfig({ ...cfg, replayLabels: false }), { out: cut, quiet: true, report: false, stopAfter: 3 });
    const resumed = await runGridworld(resolveGridworldConfig({ ...cfg, replayLabels: false }), { out: cut, resume: true, quiet: true, report: false });
    expect(withoutSeconds(resumed.summary)).toEqual(withoutSeconds(online.summary));
  });

  it('writes the report: SVG + PNG figures and report.html', async () => {
    const out = fresh();
    const r = await runGridworld(resolveGridworldConfig({ ...small, iterations: 4 }), { out, quiet: true });
    for (const f of ['true_return', 'reward_loss', 'teacher_entropy', 'goal_rate', 'paths', 'reward_heatmaps']) {
      expect(readFileSync(join(out, `${f}.svg`), 'utf8')).toMatch(/^<svg/);
      expect(readFileSync(join(out, `${f}.png`)).subarray(1, 4).toString()).toBe('PNG');
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('reward_correlation');
    expect(html).toContain('iteration 4');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['goal_rate', 'true_return', 'reward_correlation', 'labels', 'seconds', 'seed']) expect(summary).toHaveProperty(k);
    expect(summary.labels).toBe(r.run.experiment.labelCount);
    expect(summary.seed).toBe(3);
  });
});

describe('gridworld learning', () => {
  it('5×5 default config reaches the goal and learns the target (short budget)', async () => {
    const r = await runGridworld(resolveGridworldConfig({ iterations: 40, seed: 2 }), { quiet: true });
    expect(r.summary!.goal_rate).toBeGreaterThanOrEqual(0.95);
    expect(r.summary!.reward_correlation!).toBeGreaterThanOrEqual(0.95);
  });

  it('10×10: without exploration no rollout finds the goal; the count bonus solves it', async () => {
    const base = { size: 10, iterations: 40, seed: 1 };
    const seedMethod = await runGridworld(resolveGridworldConfig({ ...base, exploreBonus: 0 }), { quiet: true });
    expect(seedMethod.metrics.every((m) => m['objective/goal_visit_rate'] === 0)).toBe(true);
    expect(seedMethod.summary!.goal_rate).toBe(0);
    const explored = await runGridworld(resolveGridworldConfig(base), { quiet: true }); // the default: exploration on
    expect(explored.summary!.goal_rate).toBeGreaterThanOrEqual(0.9);
    expect(explored.summary!.reward_correlation!).toBeGreaterThanOrEqual(0.95);
  });
});
