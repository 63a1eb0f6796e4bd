/**
 * End to end: a person labels a gridworld run in the real web app (Debian's Chromium through playwright-core) while
 * the RLHF loop waits for them, and the run's reward model and plan change as a result.
 *
 *   1. a fresh build of web/, a SQLite store, the labeling server and a gridworld run with `--judge human`
 *      (10 comparisons per iteration, 2 iterations), exactly as `rlhf run gridworld --judge human` wires it;
 *   2. the annotator logs in with the printed token and labels 20 comparisons with the keyboard (← → ↓, plus a
 *      space-skip that is undone with u), preferring the trajectory that stays closer to the goal;
 *   3. the 20 judgements are in the store under the annotator's name, the learned reward and the soft-VI plan
 *      moved, and the plan's exact expected true return went up;
 *   4. the other labeling views (rating, ranking, correction) and the admin dashboard are exercised once.
 * Screenshots of every page: test-output/e2e/*.png. Skips only when /usr/bin/chromium is absent.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Preference, Query } from '../../src/feedback/types.js';
import { configToJson, resolveGridworldConfig } from '../../src/domains/gridworld/config.js';
import { GridworldExperiment } from '../../src/domains/gridworld/experiment.js';
import { HumanGatherer, gridRewardHeatmaps, gridworldQueryMaker, resolveHumanJudgeConfig, startHumanSession, type HumanSession } from '../../src/loop/humanJudge.js';
import { RlhfLoop } from '../../src/loop/orchestrator.js';
import { softValueIteration, type TabularMdp } from '../../src/policy/softValueIteration.js';
import { CHROMIUM, buildWeb, currentQueryId, hasChromium, launchChromium, nextQuery, screenshot, tempDir } from './harness.js';

type Cell = [number, number];

/** The annotator's taste: the trajectory that stays closer to the goal (Σₜ −|cellₜ − goal|₁) is better. */
function closeness(cells: Cell[], goal: Cell): number {
  return cells.reduce((s, [r, c]) => s - Math.abs(r - goal[0]) - Math.abs(c - goal[1]), 0);
}

/** Exact expected true return Σ_{t=1..H} E[r*(s_t)] of a stationary policy [S, A] from `start`. */
function expectedReturn(mdp: TabularMdp, policy: Float64Array, trueReward: ArrayLike<number>, start: number, H: number): number {
  const { numStates: S, numActions: A, width: K, next, prob } = mdp;
  let d = new Float64Array(S);
  d[start] = 1;
  let ret = 0;
  for (let t = 0; t < H; t++) {
    const d2 = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      if (d[s] === 0) continue;
      for (let a = 0; a < A; a++) {
        const w = d[s]! * policy[s * A + a]!;
        for (let j = 0; j < K; j++) d2[next[(s * A + a) * K + j]!]! += w * prob[(s * A + a) * K + j]!;
      }
    }
    d = d2;
    for (let s = 0; s < S; s++) ret += d[s]! * trueReward[s]!;
  }
  return ret;
}

/** A 28×28 ring (a hand-drawn "0"-like image) as pixel values 0..255, for the correction view. */
function ringPixels(): number[] {
  const px: number[] = [];
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) px.push(Math.abs(Math.hypot(x - 13.5, y - 13.5) - 8) < 2.2 ? 255 : 0);
  return px;
}

describe('labeling in the browser (e2e)', () => {
  if (!hasChromium) {
    it.skip(`skipped: ${CHROMIUM} is not installed (apt-get install chromium) — the browser test needs Debian's Chromium`, () => {});
    return;
  }

  const dir = tempDir('rlhf-e2e-');
  const staticDir = join(dir, 'dist');
  const runId = 'gw-e2e';
  const log: string[] = [];
  let session: HumanSession;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    await buildWeb(staticDir);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an annotator labels 20 gridworld comparisons with the keyboard and the reward and plan change', async () => {
    // 1. the run, wired as `rlhf run gridworld --judge human --labels-per-iteration 10`
    const cfg = resolveGridworldConfig({ batch: 10, iterations: 2, seed: 3 });
    const exp = new GridworldExperiment(cfg);
    session = await startHumanSession({ db: dir, runId, domain: 'gridworld', config: configToJson(cfg) as never, port: 0, staticDir, log: (l) => log.push(l) });
    expect(session.adminToken).toMatch(/^rlhf_/);
    expect(log.join('\n')).toContain(`${session.url}/label/${runId}#token=${session.annotatorToken}`);

    const vi = { horizon: cfg.horizon, temperature: cfg.temperature, discount: cfg.discount };
    const reward0 = Float64Array.from(exp.model.reward());
    const plan0 = Float64Array.from(softValueIteration(exp.env.mdp, reward0, vi).policy);
    const start = exp.env.startStates[0]!;
    const return0 = expectedReturn(exp.env.mdp, plan0, exp.env.trueReward, start, cfg.horizon);

    const gatherer = new HumanGatherer({
      store: session.store,
      runId,
      maker: gridworldQueryMaker({ size: cfg.size, starts: cfg.starts, goals: cfg.goals, learnedReward: () => (exp.labelCount > 0 ? exp.model.reward() : undefined) }),
      config: resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 10, timeoutSeconds: 50, pollMs: 50 }),
    });
    const loop = new RlhfLoop({ ...exp.parts(), gatherer }, { iterations: 2 }).on(async (e) => {
      await session.emit('metrics', e.iteration, { ...e.metrics, ...gatherer.metrics() });
      await session.emit('heatmaps', e.iteration, gridRewardHeatmaps(cfg.size, exp.env.trueReward, exp.model.reward(), e.iteration));
    });
    const loopDone = loop.run();

    // 2. log in with the printed token and label
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${session.url}/login`);
    await page.locator('#token').waitFor();
    await screenshot(page, '01-login');
    await page.fill('#token', 'rlhf_not-a-real-token-but-the-right-length-abcdefg');
    await page.keyboard.press('Enter');
    await page.locator('#login-error').waitFor();
    await page.fill('#token', session.annotatorToken);
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid="label-${runId}"]`).waitFor();
    expect(await page.locator('[data-testid="who"]').innerText()).toContain('labeler');
    await screenshot(page, '02-runs');
    await page.click(`[data-testid="label-${runId}"]`);

    const expected = new Map<string, Preference>();
    const press: Record<Exclude<Preference, 'skip'>, string> = { left: 'ArrowLeft', right: 'ArrowRight', tie: 'ArrowDown' };
    let id = await nextQuery(page, '');
    await screenshot(page, '03-comparison');
    // space skips, u brings the same query back
    await page.keyboard.press(' ');
    const afterSkip = await nextQuery(page, id);
    await page.keyboard.press('u');
    expect(await nextQuery(page, afterSkip)).toBe(id);
    expect(await page.locator('[data-testid="status"]').innerText()).toContain('Undone');

    for (let n = 0; n < 20; n++) {
      const paths = await page.locator('main.label-page svg[data-cells]').evaluateAll((els) =>
        els.map((e) => ({ cells: JSON.parse(e.getAttribute('data-cells')!) as Cell[], goals: JSON.parse(e.getAttribute('data-goals')!) as Cell[] })),
      );
      expect(paths).toHaveLength(2);
      const goal = paths[0]!.goals[0]!;
      const [l, r] = [closeness(paths[0]!.cells, goal), closeness(paths[1]!.cells, goal)];
      const pref: Exclude<Preference, 'skip'> = l > r ? 'left' : l < r ? 'right' : 'tie';
      expected.set(id, pref);
      if (n === 12) await screenshot(page, '04-comparison-iteration-2'); // shows the model's prediction
      await page.keyboard.press(press[pref]);
      if (n < 19) id = await nextQuery(page, id); // after the 10th: the loop fits, replans and posts iteration 2
    }
    const result = await loopDone;
    expect(result.lastIteration).toBe(2);
    await page.locator('[data-testid="labels"]:text-is("20")').waitFor();
    await screenshot(page, '05-waiting');

    // 3. the judgements are in the store, under the annotator's name, as pressed
    const recs = await session.store.listJudgements(runId);
    expect(recs).toHaveLength(20);
    expect(new Set(recs.map((x) => x.annotator))).toEqual(new Set(['labeler']));
    expect(recs.filter((x) => x.queryId.startsWith(`${runId}:1:`))).toHaveLength(10);
    for (const rec of recs) {
      expect(rec.judgement.kind).toBe('comparison');
      if (rec.judgement.kind === 'comparison') expect(rec.judgement.preferred).toBe(expected.get(rec.queryId));
    }
    const iteration2 = (await session.store.listQueries(runId, { iteration: 2 })) as Query[];
    expect(iteration2.every((q) => typeof q.predicted === 'number')).toBe(true); // people saw the model's guess

    // ... and the reward model and the plan changed, for the better
    const reward1 = Float64Array.from(exp.model.reward());
    const plan1 = Float64Array.from(softValueIteration(exp.env.mdp, reward1, vi).policy);
    const return1 = expectedReturn(exp.env.mdp, plan1, exp.env.trueReward, start, cfg.horizon);
    const maxDelta = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    expect(maxDelta(reward0, reward1)).toBeGreaterThan(0.05);
    expect(maxDelta(plan0, plan1)).toBeGreaterThan(0.01);
    const goalState = exp.env.goalStates[0]!;
    expect(reward1[goalState]!).toBeGreaterThan(reward1[start]!); // the goal is now worth more than the start
    expect(return1).toBeGreaterThan(return0);
    console.log(`e2e: learned reward moved by ≤ ${maxDelta(reward0, reward1).toFixed(3)}, plan by ≤ ${maxDelta(plan0, plan1).toFixed(3)}; expected true return ${return0.toFixed(1)} → ${return1.toFixed(1)}`);

    // 4a. the dashboard (admin): live metric plots, stats, agreement
    const dash = await browser.context.newPage();
    dash.on('pageerror', (e) => errors.push(e.message));
    await dash.goto(`${session.url}/dashboard/${runId}#token=${session.adminToken}`);
    await dash.locator('[data-testid="charts"] .chart svg').first().waitFor({ timeout: 15_000 });
    await dash.locator('[data-testid="judgements-total"]:text-is("20")').waitFor();
    await dash.locator('.figures .chart svg').first().waitFor({ timeout: 15_000 });
    await screenshot(dash, '06-dashboard');
    expect(await dash.locator('[data-testid="charts"] .chart').count()).toBeGreaterThan(5);
    await dash.close();

    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('rating, ranking and correction queries are labeled with their keys', async () => {
    const store = session.store;
    const demo = 'kinds-e2e';
    await store.createRun({ id: demo, domain: 'mixed', status: 'running' });
    const grid = (cells: Cell[]) => ({ rows: 5, cols: 5, cells, start: [0, 0] as Cell, goals: [[4, 4]] as Cell[], originBottom: true });
    await store.addQueries(demo, [
      { id: 'k:rate', runId: demo, kind: 'rating', iteration: 0, predicted: 0.8, samples: [{ id: 'k:rate:s', domain: 'text', payload: { prompt: 'Q: What is a good day? A:', continuation: ' One spent outside with friends.' } }] },
      {
        id: 'k:rank',
        runId: demo,
        kind: 'ranking',
        iteration: 0,
        samples: [
          { id: 'k:rank:a', domain: 'gridworld', payload: grid([[0, 0], [0, 1], [0, 2]]) },
          { id: 'k:rank:b', domain: 'gridworld', payload: grid([[0, 0], [1, 0], [1, 1], [2, 2]]) },
          { id: 'k:rank:c', domain: 'gridworld', payload: grid([[0, 0], [0, 0], [0, 0]]) },
        ],
      },
      { id: 'k:fix', runId: demo, kind: 'correction', iteration: 0, samples: [{ id: 'k:fix:s', domain: 'digits', payload: { pixels: ringPixels(), width: 28, height: 28, prediction: 6 } }] },
    ]);
    const page: Page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${session.url}/label/${demo}#token=${session.annotatorToken}`); // the printed log-in link
    let id = await nextQuery(page, '');
    expect(id).toBe('k:rate');
    await page.locator('[data-testid="predicted"]').waitFor();
    await screenshot(page, '07-rating');
    await page.keyboard.press('ArrowUp');
    id = await nextQuery(page, id);
    expect(id).toBe('k:rank');
    for (const k of ['2', '1']) await page.keyboard.press(k);
    await screenshot(page, '08-ranking');
    await page.keyboard.press('Enter');
    id = await nextQuery(page, id);
    expect(id).toBe('k:fix');
    await page.keyboard.press('x');
    await screenshot(page, '09-correction');
    await page.keyboard.press('0');
    await page.locator('main.label-page[data-phase="waiting"]').waitFor();
    expect(await currentQueryId(page)).toBe('');

    const got = Object.fromEntries((await store.listJudgements(demo)).map((r) => [r.queryId, r.judgement]));
    expect(got['k:rate']).toEqual({ kind: 'rating', sampleId: 'k:rate:s', value: 1 });
    expect(got['k:rank']).toEqual({ kind: 'ranking', sampleIds: ['k:rank:b', 'k:rank:a', 'k:rank:c'] });
    expect(got['k:fix']).toEqual({ kind: 'correction', sampleId: 'k:fix:s', label: 0, correct: false });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
