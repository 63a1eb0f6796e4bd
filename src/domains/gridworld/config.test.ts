import { describe, expect, it } from 'vitest';
import { configFromArgv } from '../../cli/args.js';
import { configFromJson, configToJson, defaultPathIterations, resolveGridworldConfig, GRIDWORLD_OPTIONS } from './config.js';

const read = (argv: string[]) => configFromArgv(GRIDWORLD_OPTIONS, argv);

describe('gridworld config', () => {
  it('defaults are DESIGN.md’s: 5×5, start (0,0), goal (4,4), horizon 30, batch 100, 200 iterations, 50 Adam steps at 1e-2', () => {
    const c = resolveGridworldConfig();
    expect(c).toMatchObject({ size: 5, starts: [[0, 0]], goals: [[4, 4]], horizon: 30, batch: 100, iterations: 200, rewardSteps: 50, lr: 1e-2, slip: 0, temperature: 1, discount: 1, teacher: 'noisy' });
    expect(c.pathIterations).toEqual([1, 10, 50, 200]);
    expect(read([])).toEqual(c);
  });

  it('reads every flag', () => {
    const c = read([
      '--size', '7', '--start', '0,0;1,1', '--goal', '6,6', '--goal', '0,6', '--slip', '0.1', '--reward-eps', '1e-4', '--horizon', '20', '--batch', '50',
      '--iterations', '30', '--reward-steps', '10', '--lr', '0.05', '--temperature', '2', '--discount', '0.9', '--teacher', 'mistake', '--beta', 'inf',
      '--gamma', '0.95', '--mistake', '0.2', '--skip', '0.1', '--equal', '0.05', '--explore-bonus', '0', '--reward-impl', 'tfjs', '--paths', '1,30', '--seed', '9',
    ]);
    expect(c).toMatchObject({
      size: 7, starts: [[0, 0], [1, 1]], goals: [[6, 6], [0, 6]], slip: 0.1, rewardEps: 1e-4, horizon: 20, batch: 50, iterations: 30, rewardSteps: 10, lr: 0.05,
      temperature: 2, discount: 0.9, teacher: 'mistake', exploreBonus: 0, rewardImpl: 'tfjs', pathIterations: [1, 30], seed: 9,
    });
    expect(c.teacherParams).toEqual({ beta: Infinity, gamma: 0.95, epsMistake: 0.2, epsSkip: 0.1, epsEqual: 0.05 });
  });

  it('--start all means every non-goal cell; the goal defaults to the far corner of the grid', () => {
    const c = read(['--size', '3', '--start', 'all']);
    expect(c.goals).toEqual([[2, 2]]);
    expect(c.starts).toHaveLength(8);
    expect(c.starts).not.toContainEqual([2, 2]);
  });

  it('config.json round-trips, including β = ∞', () => {
    const c = resolveGridworldConfig({ teacher: 'oracle' });
    const j = JSON.parse(JSON.stringify(configToJson(c))) as Record<string, unknown>;
    expect((j.teacherParams as { beta: unknown }).beta).toBe('Infinity');
    expect(configFromJson(j)).toEqual(c);
  });

  it('path iterations scale with the run length', () => {
    expect(defaultPathIterations(200)).toEqual([1, 10, 50, 200]);
    expect(defaultPathIterations(3)).toEqual([1, 3]);
    expect(defaultPathIterations(0)).toEqual([]);
    expect(() => resolveGridworldConfig({ iterations: 10, pathIterations: [11] })).toThrow(/--paths/);
  });

  it('--ensemble-prior: σ of the members\' randomized priors, default 2, range-checked; no bootstrap by default', () => {
    expect(resolveGridworldConfig({}).ensemblePrior).toBe(2);
    expect(resolveGridworldConfig({}).bootstrap).toBe(false);
    expect(resolveGridworldConfig({ ensemblePrior: 0 }).ensemblePrior).toBe(0);
    expect(() => resolveGridworldConfig({ ensemblePrior: -1 })).toThrow(/--ensemble-prior/);
  });
});
