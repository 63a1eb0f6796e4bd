/**
 * End to end: a person labels a gridworld run in the real web app (Debian's Chromium through playwright-core) while
 * the RLHF loop waits for them, and the run's reward model and plan change as a result.
 *
 *   1. a fresh build of web/ and a gridworld run wired as `rlhf run gridworld --judge human --labels-per-iteration 10
 *      --iterations 2` wires it (runGridworld + peopleInTheLoop: SQLite store in the run directory, in-process server);
 *   2. the annotator reads the printed token, logs in and labels 20 comparisons with the keyboard (← → ↓, plus a
 *      space-skip that is undone with u), preferring the trajectory that stays closer to the goal;
 *   3. the 20 judgements are in the store under the annotator's name, the learned reward and the soft-VI plan
 *      moved, and the plan's exact expected true return went up;
 *   4. `rlhf serve` on the finished run's store: the admin dashboard (live plots, stats), and the other labeling
 *      views (rating, ranking, correction) exercised once.
 * Screenshots of every page: test-output/e2e/*.png. Skips only when /usr/bin/chromium is absent.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Preference, Query } from '../../src/feedback/types.js';
import { configToJson, resolveGridworldConfig } from '../../src/domains/gridworld/config.js';
import { GridworldExperiment } from '../../src/domains/gridworld/experiment.js';
import { runGridworld } from '../../src/domains/gridworld/run.js';
import { resolveHumanJudgeConfig } from '../../src/loop/people/gatherer.js';
import { peopleInTheLoop } from '../../src/loop/people/session.js';
import { softValueIteration, type TabularMdp } from '../../src/policy/softValueIteration.js';
import { createServer, type Server } from '../../src/server/app.js';
import { openStore, type FeedbackStore } from '../../src/store/index.js';
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
    console.warn(`test/e2e: skipping the browser test: ${CHROMIUM} is not installed (apt-get install chromium)`);
    it.skip(`skipped: ${CHROMIUM} is not installed (apt-get install chromium) — the browser test needs Debian's Chromium`, () => {});
    return;
  }

  const dir = tempDir('rlhf-e2e-');
  const staticDir = join(dir, 'dist');
  const out = join(dir, 'gw-e2e');
  const runId = 'gw-e2e';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let store: FeedbackStore | undefined;
  let server: Server | undefined;
  let adminToken = '';
  let annotatorToken = '';

  beforeAll(async () => {
    await buildWeb(staticDir);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an annotator labels 20 gridworld comparisons with the keyboard and the reward and plan change', async () => {
    // 1. the run, as `rlhf run gridworld --judge human --labels-per-iteration 10 --iterations 2 --batch 10 --port 0`
    const cfg = resolveGridworldConfig({ batch: 10, iterations: 2, seed: 3 });
    const vi = { horizon: cfg.horizon, temperature: cfg.temperature, discount: cfg.discount };
    const before = new GridworldExperiment(cfg); // the same seed: the run's state before any label
    const reward0 = Float64Array.from(before.reward.model.reward());
    const plan0 = Float64Array.from(softValueIteration(before.env.mdp, reward0, vi).policy);
    const start = before.env.startStates[0]!;
    const return0 = expectedReturn(before.env.mdp, plan0, before.env.trueReward, start, cfg.horizon);

    const lines: string[] = [];
    const people = peopleInTheLoop(
      { config: resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 10, timeoutSeconds: 50, pollMs: 50 }), port: 0, portGiven: true, annotator: 'labeler', staticDir },
      { domain: 'gridworld', config: configToJson(cfg), log: (l) => lines.push(l) },
    );
    const run = runGridworld(cfg, { out, quiet: true, report: false, people });

    // 2. read the printed log-in link, log in with the token, label
    await expect.poll(() => lines.some((l) => l.includes('label as')), { timeout: 20_000 }).toBe(true);
    const link = /label as "labeler":\s+(\S+)#token=(rlhf_\S+)/.exec(lines.join('\n'));
    expect(link, lines.join('\n')).not.toBeNull();
    const base = new URL(link![1]!).origin;
    annotatorToken = link![2]!;
    adminToken = /admin token \(shown once\): (rlhf_\S+)/.exec(lines.join('\n'))?.[1] ?? '';
    expect(adminToken).toMatch(/^rlhf_/);
    expect(link![1]).toBe(`${base}/label/${runId}`);

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/login`);
    await page.locator('#token').waitFor();
    await screenshot(page, '01-login');
    await page.fill('#token', 'rlhf_not-a-real-token-but-the-right-length-abcdefg');
    await page.keyboard.press('Enter');
    await page.locator('#login-error').waitFor();
    await page.fill('#token', annotatorToken);
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
    const result = await run;
    expect(result.metrics).toHaveLength(2);
    // the run is done and its server stopped: the page stops labeling and says why (finished, or not answering)
    await page.locator('main.label-page[data-phase="finished"], main.label-page[data-phase="offline"]').waitFor();
    await screenshot(page, '05-run-ended');
    expect(errors).toEqual([]);
    await page.close();

    // 3. the judgements are in the store (reopened after the run closed it), under the annotator's name, as pressed
    store = await openStore(join(out, 'feedback.sqlite'));
    expect((await store.getRun(runId))?.status).toBe('done');
    const recs = await store.listJudgements(runId);
    expect(recs).toHaveLength(20);
    expect(new Set(recs.map((x) => x.annotator))).toEqual(new Set(['labeler']));
    expect(recs.filter((x) => x.queryId.startsWith(`${runId}:1:`))).toHaveLength(10);
    for (const rec of recs) {
      expect(rec.judgement.kind).toBe('comparison');
      if (rec.judgement.kind === 'comparison') expect(rec.judgement.preferred).toBe(expected.get(rec.queryId));
    }
    const iteration2 = (await store.listQueries(runId, { iteration: 2 })) as Query[];
    expect(iteration2.every((q) => typeof q.predicted === 'number')).toBe(true); // people saw the model's guess
    expect(result.run.experiment.labelCount).toBe([...expected.values()].length); // every label was informative (no skips)

    // ... and the reward model and the plan changed, for the better
    const exp = result.run.experiment;
    const reward1 = Float64Array.from(exp.reward.model.reward());
    const plan1 = Float64Array.from(softValueIteration(exp.env.mdp, reward1, vi).policy);
    const return1 = expectedReturn(exp.env.mdp, plan1, exp.env.trueReward, start, cfg.horizon);
    const maxDelta = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    expect(maxDelta(reward0, reward1)).toBeGreaterThan(0.05);
    expect(maxDelta(plan0, plan1)).toBeGreaterThan(0.01);
    expect(reward1[exp.env.goalStates[0]!]!).toBeGreaterThan(reward1[start]!); // the goal is now worth more than the start
    expect(return1).toBeGreaterThan(return0);
    console.log(`e2e: learned reward moved by ≤ ${maxDelta(reward0, reward1).toFixed(3)}, plan by ≤ ${maxDelta(plan0, plan1).toFixed(3)}; expected true return ${return0.toFixed(1)} → ${return1.toFixed(1)}`);
  }, 90_000);

  it('the dashboard shows the run; rating, ranking and correction queries are labeled with their keys', async () => {
    // 4. serve the finished run's store again (what `rlhf serve --db DIR/feedback.sqlite` does)
    expect(store, 'the first test opens the store').toBeDefined();
    server = await createServer({ store: store!, port: 0, staticDir });
    const base = server.url.replace(/\/+$/, '');
    const errors: string[] = [];

    const dash = await browser.context.newPage();
    dash.on('pageerror', (e) => errors.push(e.message));
    // the admin's start page: every run, and a new annotator's token shown once
    await dash.goto(`${base}/#token=${adminToken}`);
    await dash.fill('#new-annotator', 'bob');
    await dash.keyboard.press('Enter');
    await dash.locator('.issued code.token').waitFor();
    expect(await dash.locator('.issued code.token').innerText()).toMatch(/^rlhf_/);
    expect((await store!.getAnnotator('bob'))?.role).toBe('annotator');
    await screenshot(dash, '10-admin-home');
    await dash.goto(`${base}/dashboard/${runId}`);
    await dash.locator('[data-testid="charts"] .chart svg').first().waitFor({ timeout: 15_000 });
    await dash.locator('[data-testid="judgements-total"]:text-is("20")').waitFor();
    await dash.locator('.figures .chart svg').nth(1).waitFor({ timeout: 15_000 }); // reward heatmaps + sample paths
    expect(await dash.locator('[data-testid="run-status"]').innerText()).toBe('done');
    expect(await dash.locator('[data-testid="charts"] .chart').count()).toBeGreaterThan(5);
    await screenshot(dash, '06-dashboard');
    await dash.close();

    const demo = 'kinds-e2e';
    await store!.createRun({ id: demo, domain: 'mixed', status: 'running' });
    const grid = (cells: Cell[]) => ({ rows: 5, cols: 5, cells, start: [0, 0] as Cell, goals: [[4, 4]] as Cell[], originBottom: true });
    await store!.addQueries(demo, [
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
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/label/${demo}#token=${annotatorToken}`); // the printed log-in link
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

    const got = Object.fromEntries((await store!.listJudgements(demo)).map((r) => [r.queryId, r.judgement]));
    expect(got['k:rate']).toEqual({ kind: 'rating', sampleId: 'k:rate:s', value: 1 });
    expect(got['k:rank']).toEqual({ kind: 'ranking', sampleIds: ['k:rank:b', 'k:rank:a', 'k:rank:c'] });
    expect(got['k:fix']).toEqual({ kind: 'correction', sampleId: 'k:fix:s', label: 0, correct: false });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
