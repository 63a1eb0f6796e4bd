/**
 * End to end: a person steers the digits generator and corrects the classifier in the real web app (Debian's
 * Chromium through playwright-core) while `rlhf run digits --judge human` learns from every judgement.
 *
 *   1. a fresh build of web/, small models pretrained on a Fashion-MNIST subset (a synthetic IDX set when the
 *      Debian package is absent), and the digits task run by the one run driver with people in the loop as the CLI
 *      wires it (SQLite store in the run directory, in-process server, the printed log-in link); 20 steps in
 *      iterations of 5 steps = 10 queries (rating, correction, …), the CLI's default with people;
 *   2. the labeling page (/label/<run>, the digits renderer): 20 ratings with the keyboard — 👍 (↑) for classes 0–4,
 *      👎 (↓) for classes 5–9 — and 20 answers (Enter when the prediction is right, else x + the true label, or the
 *      digit key directly);
 *   3. every thumb reached the policy in order (its baselines moved up for the 👍 classes, down for the 👎 ones), every
 *      answer reached the classifier (stored for replay; p(true label | image) rose for most corrected images, and on
 *      average, within the iteration that learned from them);
 *   4. all 40 judgements are in the store under the annotator's name, the run is done with a checkpoint.
 * Screenshots: test-output/e2e/digits-*.png. Skips only when /usr/bin/chromium is absent.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Query } from '../../src/feedback/types.js';
import type { DigitsRun } from '../../src/domains/digits/run.js';
import { digitsTask } from '../../src/domains/digits/run.js';
import { resolveDigitsConfig } from '../../src/domains/digits/config.js';
import { DEFAULT_DATA_DIR } from '../../src/domains/digits/data.js';
import { initDigitsTensors } from '../../src/domains/digits/kernels.js';
import { loadSplits, saveModels, type DigitsSplits } from '../../src/domains/digits/models.js';
import type { DigitsClassificationPayload, DigitsGenerationPayload } from '../../src/domains/digits/payload.js';
import { pretrainDigits, resolvePretrainConfig } from '../../src/domains/digits/pretrain.js';
import { writeSynthIdxDir } from '../../src/domains/digits/testing.js';
import { runTask } from '../../src/loop/driver.js';
import { resolveHumanJudgeConfig } from '../../src/loop/people/gatherer.js';
import { peopleInTheLoop } from '../../src/loop/people/session.js';
import { openStore } from '../../src/store/index.js';
import { CHROMIUM, buildWeb, hasChromium, launchChromium, nextQuery, screenshot, tempDir } from './harness.js';

const realData = existsSync(join(DEFAULT_DATA_DIR, 'train-images-idx3-ubyte.gz'));

describe('digits on the labeling page in the browser (e2e)', () => {
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

  it('20 thumbs and 20 answers on the labeling page are stored and reach the models', async () => {
    const config = resolveDigitsConfig({ steps: 20, batch: 5, pretrained, evalEvery: 5, gridPerClass: 4, policy: { options: 8 } });
    const lines: string[] = [];
    // the run, and what an answer about a prediction did to p(true label | image) within its iteration
    let digits: DigitsRun | undefined;
    const task = digitsTask({ quiet: true });
    const watched: typeof task = { ...task, create: async (...a) => (digits = await task.create(...a)) };
    const answers: Array<{ id: string; iteration: number; truth: number; payload: DigitsClassificationPayload }> = [];
    const gains: number[] = [];
    const run = runTask(watched, config, {
      out,
      report: false,
      people: peopleInTheLoop(
        { config: resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 10, timeoutSeconds: 120, pollMs: 50 }), port: 0, portGiven: true, annotator: 'labeler', staticDir },
        { domain: 'digits', config: {}, log: (l) => lines.push(l) },
      ),
      onIteration: (e) => {
        for (const a of answers.filter((x) => x.iteration === e.iteration && x.truth !== x.payload.predicted))
          gains.push(digits!.session.learner.probs(a.payload.index)[a.truth]! - a.payload.probs[a.truth]!);
      },
    });
    let failure: Error | undefined;
    run.catch((e: Error) => (failure = e));
    await expect.poll(() => failure ?? lines.some((l) => l.includes('label as "labeler"')), { timeout: 30_000 }).toBe(true);
    const text = lines.join('\n');
    const link = /label as "labeler":\s+(\S+)/.exec(text)?.[1];
    const adminToken = /admin token \(shown once\): (rlhf_\S+)/.exec(text)?.[1];
    expect(link, text).toMatch(new RegExp(`/label/${runId}#token=rlhf_`));
    expect(adminToken).toBeDefined();
    const base = new URL(link!).origin;
    const leasedQuery = async (id: string): Promise<Query> => {
      const r = (await (await fetch(`${base}/api/runs/${runId}/queries?status=leased&limit=10`, { headers: { Authorization: `Bearer ${adminToken}` } })).json()) as { queries: Query[] };
      const q = r.queries.find((x) => x.id === id);
      if (!q) throw new Error(`query ${id} is not leased in ${runId}`);
      return q;
    };

    // 2. the labeling page: 40 queries, in the loop's order (per step: the image to rate, then the prediction)
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(link!);
    const thumbs: Array<{ cls: number; value: 0 | 1 }> = [];
    let qid = '';
    for (let i = 0; i < 40; i++) {
      qid = await nextQuery(page, qid);
      const q = await leasedQuery(qid);
      if (q.kind === 'rating') {
        const p = q.samples[0]!.payload as DigitsGenerationPayload;
        expect(await page.locator('section.rating figcaption').innerText()).toContain(`asked for: ${p.cls}`);
        if (thumbs.length === 0) await screenshot(page, 'digits-01-rating');
        const value = p.cls < 5 ? 1 : 0;
        await page.keyboard.press(value === 1 ? 'ArrowUp' : 'ArrowDown');
        thumbs.push({ cls: p.cls, value });
      } else {
        expect(q.kind).toBe('correction');
        const p = q.samples[0]!.payload as DigitsClassificationPayload;
        const truth = splits.pool.labels[p.index]!;
        expect(await page.locator('[data-testid="prediction"]').innerText()).toContain(String(p.predicted));
        if (answers.length === 0) await screenshot(page, 'digits-02-correction');
        if (truth === p.predicted) await page.keyboard.press('Enter');
        else if (answers.length % 2 === 0) {
          await page.keyboard.press('x');
          await page.locator('.labels.picking').waitFor();
          await page.keyboard.press(String(truth));
        } else await page.keyboard.press(String(truth));
        answers.push({ id: qid, iteration: q.iteration, truth, payload: p });
      }
      expect(q.kind).toBe(i % 2 === 0 ? 'rating' : 'correction');
    }
    const result = await run;
    expect(failure).toBeUndefined();
    await page.locator('main.label-page[data-phase="finished"], main.label-page[data-phase="offline"], main.label-page[data-phase="waiting"]').waitFor();
    await screenshot(page, 'digits-03-after');
    expect(errors).toEqual([]);

    // 3. the models learned from exactly these judgements
    const d = digits!;
    expect(d.learner.history.thumbs).toEqual(thumbs.map((t) => t.value));
    const b0 = config.policy.baselineInit;
    for (const c of new Set(thumbs.map((t) => t.cls))) {
      const b = d.session.policy.baseline[c]!;
      if (c < 5) expect(b, `class ${c}: only 👍`).toBeGreaterThan(b0);
      else expect(b, `class ${c}: only 👎`).toBeLessThan(b0);
      expect(d.session.policy.counts[c]).toBe(thumbs.filter((t) => t.cls === c).length);
    }
    expect(d.session.learner.answers).toEqual(answers.map((a) => ({ index: a.payload.index, cls: a.truth, kind: 'label' })));
    // a correction is one replay + rehearsal minibatch step among several: most raise p(true label), and on average
    expect(gains.length).toBeGreaterThan(0);
    expect(gains.filter((g) => g > 0).length).toBeGreaterThanOrEqual(0.7 * gains.length);
    expect(gains.reduce((x, y) => x + y, 0) / gains.length).toBeGreaterThan(0);

    // 4. stored like every other judgement; the run is done with a checkpoint
    const s = result.summary!;
    expect(s).toMatchObject({ judge: 'human', labels: 40, steps: 20, corrections: gains.length });
    expect(s.thumbs_up_rate).toBeCloseTo(thumbs.filter((t) => t.value === 1).length / 20, 12);
    const store = await openStore(join(out, 'feedback.sqlite'));
    try {
      const recs = await store.listJudgements(runId);
      expect(recs).toHaveLength(40);
      expect(new Set(recs.map((r) => r.annotator))).toEqual(new Set(['labeler']));
      expect(recs.filter((r) => r.judgement.kind === 'rating').map((r) => (r.judgement as { value: number }).value)).toEqual(thumbs.map((t) => t.value));
      expect((await store.getRun(runId))!.status).toBe('done');
    } finally {
      await store.close();
    }
    expect(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).iteration).toBe(4);
    await page.close();
  }, 180_000);
});
