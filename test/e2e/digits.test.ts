/**
 * End to end: a person steers the digits generator and corrects the classifier in the real web app (Debian's
 * Chromium through playwright-core) while `rlhf run digits --judge human` learns from every judgement.
 *
 *   1. a fresh build of web/, small models pretrained on a Fashion-MNIST subset (a synthetic IDX set when the
 *      Debian package is absent), and runDigitsWithPeople as the CLI wires it (SQLite store in the run directory,
 *      in-process server, the printed links);
 *   2. the generate page: 20 thumbs with the keyboard (class picked with digit keys; 👍 for class 1, 👎 for class 7);
 *      every 👍 raised its option's probability, every 👎 lowered it, and the page's thumbs-up rate and top-options
 *      grid follow;
 *   3. the classify page: 20 answers (Enter when the prediction is right, else x + the true label, or the digit key
 *      directly); every correction raised the true label's probability for that image;
 *   4. all 40 judgements are in the store under the annotator's name, the run is done with a checkpoint.
 * Screenshots: test-output/e2e/digits-*.png. Skips only when /usr/bin/chromium is absent.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Query } from '../../src/feedback/types.js';
import { resolveDigitsConfig } from '../../src/domains/digits/config.js';
import { DEFAULT_DATA_DIR } from '../../src/domains/digits/data.js';
import { initDigitsTensors } from '../../src/domains/digits/kernels.js';
import { loadSplits, saveModels, type DigitsSplits } from '../../src/domains/digits/models.js';
import { runDigitsWithPeople, type AppliedJudgement } from '../../src/domains/digits/people.js';
import { generateRunId, type ClassifyPagePayload, type GeneratePagePayload } from '../../src/domains/digits/payload.js';
import { pretrainDigits, resolvePretrainConfig } from '../../src/domains/digits/pretrain.js';
import { writeSynthIdxDir } from '../../src/domains/digits/testing.js';
import { resolveHumanJudgeConfig } from '../../src/loop/people/gatherer.js';
import { openStore } from '../../src/store/index.js';
import { CHROMIUM, buildWeb, hasChromium, launchChromium, screenshot, tempDir } from './harness.js';

const realData = existsSync(join(DEFAULT_DATA_DIR, 'train-images-idx3-ubyte.gz'));

describe('digits pages in the browser (e2e)', () => {
  if (!hasChromium) {
    console.warn(`test/e2e: skipping the digits browser test: ${CHROMIUM} is not installed (apt-get install chromium)`);
    it.skip(`skipped: ${CHROMIUM} is not installed (apt-get install chromium) — the browser test needs Debian's Chromium`, () => {});
    return;
  }

  const dir = tempDir('rlhf-e2e-digits-');
  const staticDir = join(dir, 'dist');
  const out = join(dir, 'digits-e2e');
  const runId = 'digits-e2e';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let pretrained = '';
  let splits: DigitsSplits;

  beforeAll(async () => {
    await buildWeb(staticDir);
    browser = await launchChromium();
    await initDigitsTensors('auto');
    const data = realData ? DEFAULT_DATA_DIR : writeSynthIdxDir(join(dir, 'data'), 600, 100, true);
    const cfg = resolvePretrainConfig({ data, trainSize: 1500, valSize: 300, vaeEpochs: 6, vaeHidden: 128, zDim: 8, classifierSteps: 20, classifierHidden: 32, judgeEpochs: 1, judgeHidden: 32 });
    const r = pretrainDigits(cfg, { quiet: true });
    pretrained = saveModels(join(dir, 'pretrained'), r.models);
    splits = loadSplits(r.models.meta.data, r.models.meta.trainSize, r.models.meta.valSize, r.models.meta.splitSeed);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('20 thumbs and 20 corrections through the pages are stored and move the models', async () => {
    const config = resolveDigitsConfig({ steps: 20, pretrained, evalEvery: 5, gridPerClass: 4, policy: { options: 8 } });
    const lines: string[] = [];
    const applied: AppliedJudgement[] = [];
    const run = runDigitsWithPeople(config, {
      out,
      human: { config: resolveHumanJudgeConfig({ mode: 'human', timeoutSeconds: 120, pollMs: 50 }), port: 0, portGiven: true, annotator: 'labeler', staticDir },
      report: false,
      log: (l) => lines.push(l),
      onJudgement: (e) => applied.push(e),
    });
    let failure: Error | undefined;
    run.catch((e: Error) => (failure = e));
    await expect.poll(() => failure ?? lines.some((l) => l.includes('classify:')), { timeout: 30_000 }).toBe(true);
    const text = lines.join('\n');
    const gen = /generate \(👍\/👎\):\s+(\S+)/.exec(text)?.[1];
    const adminToken = /admin token \(shown once\): (rlhf_\S+)/.exec(text)?.[1];
    expect(gen, text).toMatch(new RegExp(`/digits/${runId}/generate#token=rlhf_`));
    expect(adminToken).toBeDefined();
    const base = new URL(gen!).origin;
    const admin = async <T,>(path: string): Promise<T> => (await (await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${adminToken}` } })).json()) as T;
    const leasedQuery = async (run: string, id: string): Promise<Query> => {
      const r = await admin<{ queries: Query[] }>(`/api/runs/${encodeURIComponent(run)}/queries?status=leased&limit=10`);
      const q = r.queries.find((x) => x.id === id);
      if (!q) throw new Error(`query ${id} is not leased in ${run}`);
      return q;
    };

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const onScreen = async (previous: string): Promise<string> => {
      const main = page.locator(`main.digits-page[data-busy="false"][data-phase="labeling"]:not([data-query-id=${JSON.stringify(previous)}])`);
      await main.waitFor({ timeout: 15_000 });
      return (await main.getAttribute('data-query-id')) ?? '';
    };

    // 2. generate: 10 × 👍 on class 1, 10 × 👎 on class 7
    await page.goto(gen!);
    let qid = await onScreen('');
    await screenshot(page, 'digits-01-generate');
    const thumbs: Array<{ id: string; value: 0 | 1; payload: GeneratePagePayload }> = [];
    for (let i = 0; i < 20; i++) {
      const cls = i < 10 ? 1 : 7;
      if ((await page.locator('main.digits-page').getAttribute('data-class')) !== String(cls)) {
        await page.keyboard.press(String(cls));
        await page.locator(`main.digits-page[data-class="${cls}"]`).waitFor();
        qid = await onScreen(qid); // the new class's query, not the previous class's still on screen
      }
      const q = await leasedQuery(generateRunId(runId, cls), qid);
      const payload = q.samples[0]!.payload as GeneratePagePayload;
      expect(payload.cls).toBe(cls);
      expect(await page.locator('[data-testid="asked"]').innerText()).toContain(String(cls));
      const value = cls === 1 ? 1 : 0;
      await page.keyboard.press(value === 1 ? 'ArrowUp' : 'ArrowDown');
      thumbs.push({ id: qid, value, payload });
      qid = await onScreen(qid);
      if (i === 9) {
        // the class's rate and top options as the page shows them after 10 thumbs up
        expect(await page.locator('[data-testid="rate-class"]').innerText()).toBe('1.00 (10 of 10)');
        await screenshot(page, 'digits-02-generate-after-10-thumbs-up');
      }
    }
    expect(await page.locator('[data-testid="rate-all"]').innerText()).toBe('0.50 (10 of 20)');
    expect(await page.locator('[data-testid="rate-class"]').innerText()).toBe('0.00 (0 of 10)');
    await screenshot(page, 'digits-03-generate-after-thumbs-down');

    // every thumb reached the model within a second of the key and moved its option's probability the right way
    await expect.poll(() => applied.length, { timeout: 5_000 }).toBe(20);
    for (const t of thumbs) {
      const a = applied.find((x) => x.queryId === t.id)!;
      expect(a, t.id).toBeDefined();
      expect(a.annotator).toBe('labeler');
      if (t.value === 1) expect(a.probs[t.payload.option]!).toBeGreaterThan(t.payload.prob);
      else expect(a.probs[t.payload.option]!).toBeLessThan(t.payload.prob);
    }

    // 3. classify: 20 answers with the true label
    // the run list links both pages and hides the per-class generate streams
    await page.click('a.brand');
    await page.locator(`[data-testid="generate-${runId}"]`).waitFor();
    expect(await page.locator(`[data-testid^="label-${runId}.gen-"]`).count()).toBe(0);
    await screenshot(page, 'digits-04-runs');
    await page.click('.digits-links >> text=Classify page');
    qid = await onScreen(qid); // a classify query, not the generate page's last one
    await screenshot(page, 'digits-05-classify');
    const answers: Array<{ id: string; truth: number; payload: ClassifyPagePayload }> = [];
    for (let i = 0; i < 20; i++) {
      const q = await leasedQuery(runId, qid);
      const payload = q.samples[0]!.payload as ClassifyPagePayload;
      const truth = splits.pool.labels[payload.index]!;
      expect(await page.locator('[data-testid="prediction"]').innerText()).toContain(String(payload.predicted));
      if (truth === payload.predicted) await page.keyboard.press('Enter');
      else if (i % 2 === 0) {
        await page.keyboard.press('x');
        await page.locator('.labels.picking').waitFor();
        if (answers.length < 2) await screenshot(page, 'digits-06-classify-picking');
        await page.keyboard.press(String(truth));
      } else await page.keyboard.press(String(truth));
      answers.push({ id: qid, truth, payload });
      if (i < 19) qid = await onScreen(qid);
    }
    const result = await run;
    expect(errors).toEqual([]);

    // each correction moved the classifier's p(true label | that image): up for most of them (the update is one
    // replay + rehearsal minibatch step, so a single one may dip), and up on average
    const gains: number[] = [];
    for (const a of answers) {
      const got = applied.find((x) => x.queryId === a.id)!;
      expect(got, a.id).toBeDefined();
      expect(got.judgement).toMatchObject({ kind: 'correction', label: a.truth, correct: a.truth === a.payload.predicted });
      if (a.truth !== a.payload.predicted) gains.push(got.probs[a.truth]! - a.payload.probs[a.truth]!);
    }
    expect(gains.length).toBeGreaterThan(0);
    expect(gains.filter((g) => g > 0).length).toBeGreaterThanOrEqual(0.7 * gains.length);
    expect(gains.reduce((x, y) => x + y, 0) / gains.length).toBeGreaterThan(0);

    // 4. stored like every other judgement; the run is done with a checkpoint and a report
    expect(result.summary.labels).toBe(40);
    expect(result.summary.thumbs_up_rate).toBe(0.5);
    const store = await openStore(join(out, 'feedback.sqlite'));
    try {
      const cls = await store.listJudgements(runId);
      const ups = await store.listJudgements(generateRunId(runId, 1));
      const downs = await store.listJudgements(generateRunId(runId, 7));
      expect(cls).toHaveLength(20);
      expect(ups.map((j) => j.judgement)).toEqual(thumbs.slice(0, 10).map((t) => ({ kind: 'rating', sampleId: `${t.id}:s`, value: 1 })));
      expect(downs).toHaveLength(10);
      expect(new Set([...cls, ...ups, ...downs].map((j) => j.annotator))).toEqual(new Set(['labeler']));
      expect((await store.getRun(runId))!.status).toBe('done');
    } finally {
      await store.close();
    }
    expect(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).state.labels).toBe(40);
    await (page as Page).close();
  }, 120_000);
});
