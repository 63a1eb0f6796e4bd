import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../core/errors.js';
import { loadRewardFunctions, parseRewardSpec, rewardFunctionMetrics, rewardModelFunction, scoreRewards, type RewardSample } from './rewardFunctions.js';

const sample = (completion: string, extra: Record<string, unknown> = {}, prompt = '12+34='): RewardSample => ({ prompt, completion, extra });

/** imports a path as the CLI does: resolved against a directory */
const importFrom = (dir: string) => (p: string) => import(pathToFileURL(resolve(dir, p)).href);

describe('reward specs', () => {
  it('parse built-ins, arguments, module paths and weights', () => {
    expect(parseRewardSpec('exact')).toMatchObject({ kind: 'builtin', name: 'exact', weight: 1 });
    expect(parseRewardSpec('length=20:0.5')).toMatchObject({ kind: 'builtin', name: 'length', arg: '20', weight: 0.5 });
    expect(parseRewardSpec('regex=^\\d+$')).toMatchObject({ name: 'regex', arg: '^\\d+$', weight: 1 });
    expect(parseRewardSpec('./a.js:-2')).toMatchObject({ kind: 'module', path: './a.js', weight: -2 });
    expect(parseRewardSpec('keyword=great,love:1e-1')).toMatchObject({ arg: 'great,love', weight: 0.1 });
  });
  it('reject malformed specs, naming --reward-fn', () => {
    expect(() => parseRewardSpec('lenght=3')).toThrow(/not a built-in reward/);
    expect(() => parseRewardSpec('length')).toThrow(/length needs an argument/);
    expect(() => parseRewardSpec('length=-1')).toThrow(/N > 0/);
    expect(() => parseRewardSpec('regex=(')).toThrow(/regular expression/);
    expect(() => parseRewardSpec('exact=1')).toThrow(/takes no argument/);
    try {
      parseRewardSpec('');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).key).toBe('reward-fn');
    }
  });
});

describe('built-in rewards', () => {
  it('exact, length, regex, keyword, afinn', async () => {
    const fns = await loadRewardFunctions(['exact', 'length=4', 'regex=^\\d+$', 'keyword=4,9', 'afinn']);
    const s = [sample('46', { answer: 46 }), sample(' 47 ', { answer: '46' }), sample('I love it', { answer: '1' })];
    const r = await scoreRewards(fns, s);
    expect(Array.from(r.byFunction.get('exact')!)).toEqual([1, 0, 0]);
    expect(Array.from(r.byFunction.get('length')!)).toEqual([-0.5, 0, -1.25]); // −|2 − 4|/4, −|4 − 4|/4, −|9 − 4|/4
    expect(Array.from(r.byFunction.get('regex')!)).toEqual([1, 0, 0]); // " 47 " has spaces
    expect(Array.from(r.byFunction.get('keyword')!)).toEqual([0.5, 0.5, 0]);
    expect(Array.from(r.byFunction.get('afinn')!)).toEqual([0, 0, 3]); // love: +3
  });
  it('exact without a reference answer names the function and the sample', async () => {
    const [f] = await loadRewardFunctions(['exact']);
    await expect(f!.score([sample('46')])).rejects.toThrow(/reward function "exact" threw on sample 0 \(prompt "12\+34=", completion "46"\).*reference answer/);
  });
});

describe('weights and metrics', () => {
  it('r = Σ_k w_k r_k, each function logged as reward_fn/<name>; duplicate names get a suffix', async () => {
    const fns = await loadRewardFunctions(['exact:2', 'length=2:-0.5', 'length=4']);
    expect(fns.map((f) => f.name)).toEqual(['exact', 'length', 'length_2']);
    const r = await scoreRewards(fns, [sample('46', { answer: '46' }), sample('4', { answer: '46' })]);
    // sample 0: 2·1 − 0.5·0 + 1·(−0.5) = 1.5;  sample 1: 2·0 − 0.5·(−0.5) + (−0.75) = −0.5
    expect(Array.from(r.total)).toEqual([1.5, -0.5]);
    expect(rewardFunctionMetrics(r)).toEqual({ 'reward_fn/exact': 0.5, 'reward_fn/length': -0.25, 'reward_fn/length_2': -0.625 });
  });
  it('a learned model scores the whole batch at once', async () => {
    let calls = 0;
    const rm = rewardModelFunction('rm', (s) => {
      calls++;
      return s.map((x) => x.completion.length);
    }, 0.5);
    const r = await scoreRewards([rm], [sample('ab'), sample('abc')]);
    expect(calls).toBe(1);
    expect(Array.from(r.total)).toEqual([1, 1.5]);
  });
});

describe("the user's own module", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-rewardfn-'));
  writeFileSync(join(dir, 'brevity.mjs'), 'export default async function brevity(prompt, completion, extra) { return extra.bonus + 1 / (1 + completion.length); }\n');
  writeFileSync(join(dir, 'notfn.mjs'), 'export default 42;\n');
  writeFileSync(join(dir, 'nan.mjs'), 'export default (p, c) => (c === "bad" ? NaN : 1);\n');
  writeFileSync(join(dir, 'string.mjs'), 'export default () => "1";\n');
  const importModule = importFrom(dir);

  it('its default export scores (async too), weighted, named after the file', async () => {
    const fns = await loadRewardFunctions(['./brevity.mjs:2', 'exact'], { importModule });
    expect(fns[0]!.name).toBe('brevity');
    const r = await scoreRewards(fns, [sample('4', { answer: '4', bonus: 1 })]);
    expect(r.byFunction.get('brevity')![0]).toBeCloseTo(1.5, 6);
    expect(r.total[0]).toBeCloseTo(2 * 1.5 + 1, 6);
  });
  it('a missing module, a non-function export: ConfigError naming --reward-fn', async () => {
    await expect(loadRewardFunctions(['./missing.mjs'], { importModule })).rejects.toThrow(/--reward-fn \.\/missing\.mjs: cannot load the module/);
    await expect(loadRewardFunctions(['./notfn.mjs'], { importModule })).rejects.toThrow(/default export is number, not a function/);
    await expect(loadRewardFunctions(['./notfn.mjs'], { importModule })).rejects.toBeInstanceOf(ConfigError);
    await expect(loadRewardFunctions(['./brevity.mjs'])).rejects.toThrow(/cannot load modules/);
  });
  it('a non-finite or non-number return names the function and the sample', async () => {
    const [nan] = await loadRewardFunctions(['./nan.mjs'], { importModule });
    const err = await Promise.resolve(nan!.score([sample('ok'), sample('bad', {}, '1+1=')])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe('reward function "nan" returned NaN for sample 1 (prompt "1+1=", completion "bad"); a reward must be a finite number');
    const [str] = await loadRewardFunctions(['./string.mjs'], { importModule });
    await expect(str!.score([sample('x')])).rejects.toThrow(/returned "1" for sample 0/);
  });
});
