/**
 * End to end: the playground (web/playground) — the whole loop in a browser tab — built as static files and served by
 * a plain static file server (Python's http.server, not ours and not `rlhf serve`), driven in Debian's Chromium:
 *
 *   (a) autorun: playground.html?domain=gridworld&judge=simulated&iterations=200&seed=1&autorun=1 shows summary.json's
 *       keys in [data-testid=summary] with goal_rate ≥ 0.95 and reward_correlation ≥ 0.95; then, offline, a new run
 *       from the form still runs (nothing is fetched after the page has loaded);
 *   (b) a person labels 30 pairs of a 6×6 grid with the keyboard, always preferring the trajectory that ends nearer
 *       the goal (a tie when both end as near), and the plan's goal rate rises;
 *   (c) a reload mid-run resumes: the judgements kept, the same pair back on screen, the run going on;
 *   (d) export → import: the exported file parses as `rlhf import` reads it (src/feedback/jsonl.ts); imported into a
 *       fresh browser, the run continues past those judgements, and exporting again gives the same file;
 *   and every request the pages made went to the page's own origin.
 * `rlhf playground` (the command's own static server) is checked once: it sends the cross-origin isolation headers,
 * so the wasm backend may use threads there. Screenshots: test-output/e2e/playground-*.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { resolveGridworldConfig } from '../../src/domains/gridworld/config.js';
import { runGridworld } from '../../src/domains/gridworld/run.js';
import { parseJsonl } from '../../src/feedback/jsonl.js';
import { buildPlayground, servePlayground } from '../../src/cli/playground.js';
import { CHROMIUM, hasChromium, launchChromium, screenshot, tempDir } from './harness.js';

type Cell = [number, number];

const PYTHON = '/usr/bin/python3';

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = netServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Python's http.server over `dir` (a plain static file server), ready when it answers. */
async function pythonServer(dir: string): Promise<{ origin: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(PYTHON, ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: 'ignore' });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${origin}/playground.html`)).ok) return { origin, proc };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`python3 -m http.server did not start on ${origin}`);
}

/** Manhattan distance from a trajectory's last cell to the nearest goal. */
function endDistance(cells: Cell[], goals: Cell[]): number {
  const [r, c] = cells[cells.length - 1]!;
  return Math.min(...goals.map(([gr, gc]) => Math.abs(r - gr) + Math.abs(c - gc)));
}

/** The pair on screen (after no request is in flight): its query id and the two trajectories. */
async function pairOnScreen(page: Page, previous = ''): Promise<{ id: string; left: Cell[]; right: Cell[]; goals: Cell[] }> {
  const sel = `[data-testid="labeling"][data-busy="false"]:not([data-query-id=${JSON.stringify(previous)}])`;
  const section = page.locator(sel);
  await section.waitFor({ timeout: 60_000 });
  const id = (await section.getAttribute('data-query-id')) ?? '';
  const svgs = section.locator('svg[data-cells]');
  const left = JSON.parse((await svgs.nth(0).getAttribute('data-cells'))!) as Cell[];
  const right = JSON.parse((await svgs.nth(1).getAttribute('data-cells'))!) as Cell[];
  const goals = JSON.parse((await svgs.nth(0).getAttribute('data-goals'))!) as Cell[];
  return { id, left, right, goals };
}

/** Judges `n` pairs with the keyboard, preferring the trajectory that ends nearer the goal; returns the last id. */
async function labelNearerGoal(page: Page, n: number, previous = ''): Promise<string> {
  let prev = previous;
  for (let k = 0; k < n; k++) {
    const p = await pairOnScreen(page, prev);
    const dl = endDistance(p.left, p.goals);
    const dr = endDistance(p.right, p.goals);
    await page.keyboard.press(dl < dr ? 'ArrowLeft' : dr < dl ? 'ArrowRight' : 'ArrowDown');
    prev = p.id;
  }
  return prev;
}

async function text(page: Page, testid: string): Promise<string> {
  return ((await page.locator(`[data-testid="${testid}"]`).textContent()) ?? '').trim();
}

async function waitForText(page: Page, testid: string, want: string, timeoutMs = 60_000): Promise<void> {
  await page.waitForFunction(`document.querySelector('[data-testid="${testid}"]')?.textContent?.trim() === ${JSON.stringify(want)}`, undefined, { timeout: timeoutMs });
}

describe('the playground in the browser (e2e)', () => {
  if (!hasChromium) {
    it.skip(`skipped: ${CHROMIUM} is not installed (apt-get install chromium) — the browser test needs Debian's Chromium`, () => {});
    return;
  }

  const dir = tempDir('rlhf-playground-e2e-');
  const dist = join(dir, 'dist');
  let server: { origin: string; proc: ChildProcess };
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  /** every request any page made, and the origins they were allowed */
  const requests: string[] = [];
  const origins = new Set<string>();
  const watch = (context: BrowserContext) => context.on('request', (r) => void requests.push(r.url()));

  beforeAll(async () => {
    await buildPlayground(dist);
    server = await pythonServer(dist);
    origins.add(server.origin);
    browser = await launchChromium();
    watch(browser.context);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    server?.proc.kill();
  });

  const url = (q: string) => `${server.origin}/playground.html?${q}`;

  it('(a) autorun, simulated teacher, 5×5: the summary has summary.json\'s keys, goal_rate and reward_correlation ≥ 0.95; offline, a new run still runs', async () => {
    const page = await browser.context.newPage();
    await page.goto(url('domain=gridworld&judge=simulated&iterations=200&seed=1&autorun=1'));
    const summaryEl = page.locator('[data-testid="summary"]');
    await summaryEl.waitFor({ timeout: 120_000 });
    const summary = JSON.parse((await summaryEl.textContent())!) as Record<string, number | string | null>;
    // the same keys as the summary.json of `rlhf run gridworld`
    const node = await runGridworld(resolveGridworldConfig({ seed: 1, iterations: 2 }), { quiet: true });
    expect(Object.keys(summary)).toEqual(Object.keys(node.summary!));
    expect(summary.iterations).toBe(200);
    expect(summary.seed).toBe(1);
    expect(summary.goal_rate as number).toBeGreaterThanOrEqual(0.95);
    expect(summary.reward_correlation as number).toBeGreaterThanOrEqual(0.95);
    expect(await text(page, 'backend')).toMatch(/^TensorFlow\.js: (webgpu|webgl|wasm|cpu)/);
    await page.locator('.pg-figures svg').first().waitFor(); // the figures are drawn (vega loaded)
    await screenshot(page, 'playground-autorun');

    // offline from here on: the form starts a new run, which runs to its summary
    await browser.context.setOffline(true);
    try {
      await page.locator('[data-testid="new-run"]').click();
      await page.selectOption('[data-testid="setup-judge"]', 'simulated');
      await page.fill('input[name="iterations"]', '30');
      await page.locator('[data-testid="start"]').click();
      await page.waitForFunction(`JSON.parse(document.querySelector('[data-testid="summary"]')?.textContent ?? '{}').iterations === 30`, undefined, { timeout: 60_000 });
    } finally {
      await browser.context.setOffline(false);
    }
    await page.close();
  });

  it('(b) a person labels 30 pairs on a 6×6 grid, preferring the trajectory that ends nearer the goal: the plan\'s goal rate rises', async () => {
    const page = await browser.context.newPage();
    await page.goto(url('domain=gridworld&judge=human&size=6&ask=5&iterations=6&seed=2&autorun=1'));
    const plan = page.locator('[data-testid="plan-goal-rate"]');
    await page.locator('[data-testid="labeling"]').waitFor({ timeout: 60_000 });
    const before = Number(await plan.getAttribute('data-first'));
    await labelNearerGoal(page, 30);
    await page.locator('[data-testid="summary"]').waitFor({ timeout: 60_000 });
    const after = Number(await plan.getAttribute('data-value'));
    const summary = JSON.parse((await text(page, 'summary'))) as { labels: number; iterations: number };
    expect(summary.iterations).toBe(6);
    expect(summary.labels).toBe(30);
    expect(await text(page, 'judgements')).toBe('30');
    expect(before).toBeLessThan(0.2); // a flat reward: the plan wanders
    expect(after).toBeGreaterThan(before + 0.3);
    await screenshot(page, 'playground-labeled');
    await page.close();
  });

  let exported = '';
  const runQ = 'domain=gridworld&judge=human&size=5&ask=5&iterations=4&seed=4';

  it('(c) a reload mid-run resumes: the judgements kept, the same pair back on screen', async () => {
    const page = await browser.context.newPage();
    await page.goto(url(`${runQ}&autorun=1`));
    const last = await labelNearerGoal(page, 7); // iteration 1 (5 pairs) and 2 of iteration 2
    const onScreen = await pairOnScreen(page, last);
    expect(onScreen.id).toMatch(/:2:2$/);
    await waitForText(page, 'judgements', '7');
    const runId = await text(page, 'run-id');
    await page.reload();
    const again = await pairOnScreen(page);
    expect(again.id).toBe(onScreen.id);
    expect(again.left).toEqual(onScreen.left);
    expect(again.right).toEqual(onScreen.right);
    expect(await text(page, 'run-id')).toBe(runId);
    await waitForText(page, 'judgements', '7');
    expect(await text(page, 'iteration')).toMatch(/^1 \/ 4$/);
    // and the run goes on from there
    await labelNearerGoal(page, 3);
    await waitForText(page, 'iteration', '2 / 4');
    await waitForText(page, 'judgements', '10');
    await screenshot(page, 'playground-resumed');

    // export: what `rlhf import` reads
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export"]').click()]);
    exported = readFileSync((await download.path())!, 'utf8');
    expect(download.suggestedFilename()).toBe(`${runId}.jsonl`);
    const parsed = parseJsonl(exported);
    expect(parsed.format).toBe('generic');
    expect(parsed.lines).toBe(10);
    expect(parsed.batch.judgements.every((j) => j.annotator === 'you' && j.runId === runId)).toBe(true);
    expect(parsed.batch.queries.map((q) => q.query.id)).toContain(`${runId}:2:4`);
    await page.close();
  });

  it('(d) export → import round-trips: a fresh browser continues the run past the imported judgements', async () => {
    expect(exported).not.toBe('');
    const fresh = await launchChromium(); // another profile: an empty IndexedDB
    watch(fresh.context);
    try {
      const page = await fresh.context.newPage();
      await page.goto(url(runQ)); // no autorun: the form
      await page.locator('[data-testid="start"]').waitFor();
      const file = join(dir, 'exported.jsonl');
      (await import('node:fs')).writeFileSync(file, exported);
      await page.locator('[data-testid="import"]').setInputFiles(file);
      await waitForText(page, 'judgements', '10');
      // the replay took the 10 judgements: iteration 3's first pair is the one asked
      const p = await pairOnScreen(page);
      expect(p.id).toMatch(/:3:0$/);
      expect(await text(page, 'iteration')).toBe('2 / 4');
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export"]').click()]);
      expect(readFileSync((await download.path())!, 'utf8')).toBe(exported);
      await screenshot(page, 'playground-imported');
    } finally {
      await fresh.close();
    }
  });

  it('makes no request to any host but its own origin', () => {
    expect(requests.length).toBeGreaterThan(0);
    const foreign = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && ![...origins].some((o) => u.startsWith(`${o}/`)));
    expect(foreign).toEqual([]);
  });

  it('`rlhf playground` serves the folder cross-origin isolated: the wasm backend may use threads', async () => {
    const served = await servePlayground({ dir: dist, host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(served.url);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect((await fetch(served.url.replace('playground.html', '../../etc/passwd'))).status).toBe(404);
      const page = await browser.context.newPage();
      await page.goto(`${served.url}?backend=wasm`);
      await page.waitForFunction(`/wasm \\(/.test(document.querySelector('[data-testid="backend"]')?.textContent ?? '')`, undefined, { timeout: 60_000 });
      expect(await page.evaluate('crossOriginIsolated')).toBe(true);
      expect(await text(page, 'backend')).toMatch(/wasm \(SIMD, threaded: \d+ threads?\)/);
      await page.close();
    } finally {
      await served.close();
    }
  });
});
