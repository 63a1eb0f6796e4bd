// GridworldExperiment's misuse errors: coded ConfigErrors naming the option, with what to do.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { runIteration } from '../../loop/parts.js';
import { resolveGridworldConfig } from './config.js';
import { GridworldExperiment, type TabularFitter } from './experiment.js';

const tiny = { size: 3, horizon: 4, batch: 4, iterations: 1, rewardSteps: 2, pathIterations: [] };

describe('GridworldExperiment errors', () => {
  it('an ensemble run without prepare() is an E_CONFIG naming rewardEnsemble and prepare()', async () => {
    const exp = new GridworldExperiment(resolveGridworldConfig({ ...tiny, rewardEnsemble: 3 }));
    const err = await runIteration(exp.parts(), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'E_CONFIG', key: 'rewardEnsemble' });
    expect((err as Error).message).toMatch(/await experiment\.prepare\(\)/);
  });

  it('an asynchronous fitter with an ensemble is an E_CONFIG naming rewardEnsemble', async () => {
    const exp = await new GridworldExperiment(resolveGridworldConfig({ ...tiny, rewardEnsemble: 2 })).prepare();
    const async = { fit: () => Promise.resolve({ loss: 0, lossBefore: 0 }) } as unknown as TabularFitter;
    exp.reward.setFitter(async);
    const err = await runIteration(exp.parts(), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'E_CONFIG', key: 'rewardEnsemble' });
    expect((err as Error).message).toMatch(/rewardEnsemble 1/);
  });
});
