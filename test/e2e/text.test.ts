/**
 * End to end: a person compares text continuations in the real web app (Debian's Chromium through playwright-core)
 * while `rlhf run text --judge human` waits for them, and the answers train the text reward model.
 *
 *   1. a fresh build of web/, a tiny GPT pretrained for a few seconds on a small corpus written by the test, and runText
 *      (the run driver) as the CLI wires it with --judge human (SQLite store in the run directory, in-process server,
 *      printed link);
 *   2. the annotator opens the printed link and labels 6 comparisons with the keyboard — prompt + two continuations
 *      side by side; ← left, → right, ↓ tie, space skip — preferring the longer continuation;
 *   3. the 6 judgements are in the store under the annotator's name with the keys pressed, the run finished, and the
 *      reward model was fit on the 5 informative ones (the skip carries no label).
 * Screenshots: test-output/e2e/text-*.png. Skips only when /usr/bin/chromium is absent.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTensors } from '../../src/core/tensor.js';
import type { Preference } from '../../src/feedback/types.js';
import { resolveHumanJudgeConfig } from '../../src/loop/people/gatherer.js';
import { peopleInTheLoop } from '../../src/loop/people/session.js';
import { pretrainText, resolvePretrainTextConfig } from '../../src/domains/text/pretrain.js';
import { textConfigFromArgv } from '../../src/domains/text/rlhf/cli.js';
import { runText, textConfigJson } from '../../src/domains/text/rlhf/task.js';
import { openStore } from '../../src/store/index.js';
import { CHROMIUM, buildWeb, currentQueryId, hasChromium, launchChromium, nextQuery, screenshot, tempDir } from './harness.js';

const OPENINGS = ['A happy', 'A kind', 'A quiet', 'An old', 'A brave', 'A lucky', 'A warm', 'A clever', 'A gentle', 'A bright'];
const NOUNS = ['cat', 'friend', 'river', 'book', 'garden', 'song', 'morning', 'letter', 'road', 'smile'];
const ENDINGS = ['brings joy to the day.', 'will find you soon.', 'is worth the wait.', 'makes the world better.', 'shines after the rain.', 'is a good sign.'];
/** 300 short fortunes with 100 distinct openings (prompts are the first tokens of entries). */
const FORTUNES = Array.from({ length: 300 }, (_, i) => `${OPENINGS[i % 10]} ${NOUNS[Math.floor(i / 10) % 10]} ${ENDINGS[i % 6]}`);

describe('text comparisons in the browser (e2e)', () => {
  if (!hasChromium) {
    console.warn(`test/e2e: skipping the text browser test: ${CHROMIUM} is not installed (apt-get install chromium)`);
    it.skip(`skipped: ${CHROMIUM} is not installed (apt-get install chromium) — the browser test needs Debian's Chromium`, () => {});
    return;
  }

  const dir = tempDir('rlhf-e2e-text-');
  const staticDir = join(dir, 'dist');
  const out = join(dir, 'text-e2e');
  const runId = 'text-e2e';
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    await buildWeb(staticDir);
    browser = await launchChromium();
    await initTensors();
    // a few seconds of `rlhf pretrain text` on the little corpus: continuations people can read
    writeFileSync(join(dir, 'corpus.txt'), FORTUNES.join('\n%\n'));
    pretrainText(
      resolvePretrainTextConfig({ corpus: join(dir, 'corpus.txt'), out: join(dir, 'model'), vocab: 320, layers: 1, width: 48, heads: 2, block: 48, batch: 8, steps: 90, warmup: 10, evalEvery: 0, samples: 1, lr: 1e-2, minLr: 1e-3 }),
      { quiet: true },
    );
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an annotator compares 6 pairs of continuations; the answers are stored under their name and train the reward model', async () => {
    // 1. as `rlhf run text --judge human --labels 6 --batch-size 4 ... --port 0`
    const argv = ['--judge', 'human', '--model', join(dir, 'model'), '--corpus', join(dir, 'corpus.txt'), '--eval-prompts', '2', '--labels', '6', '--iterations', '1', '--batch-size', '4', '--mini-batch-size', '2', '--ppo-epochs', '1', '--response-length', '10', '--reward-epochs', '2', '--prompt-min-tokens', '2', '--prompt-max-tokens', '4', '--temperature', '0.9', '--train-prompts', '24'];
    const config = textConfigFromArgv(argv); // one round: the 6 pairs (≤ --labels-per-iteration, default 10)
    const lines: string[] = [];
    const err = console.error;
    console.error = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
    try {
      const run = runText(config, {
        out,
        quiet: true,
        report: false,
        people: peopleInTheLoop(
          { config: resolveHumanJudgeConfig({ mode: 'human', timeoutSeconds: 60, pollMs: 50, labelsPerIteration: config.feedbackBatch }), port: 0, portGiven: true, annotator: 'labeler', staticDir },
          { domain: 'text', config: textConfigJson(config) },
        ),
      });
      let failure: Error | undefined;
      run.catch((e: Error) => (failure = e));
      await expect.poll(() => failure ?? lines.some((l) => l.includes('label as')), { timeout: 30_000 }).toBe(true);
      const link = /label as "labeler":\s+(\S+#token=rlhf_\S+)/.exec(lines.join('\n'))?.[1];
      expect(link, lines.join('\n')).toContain(`/label/${runId}#token=`);

      // 2. label with the keyboard
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(link!);
      let qid = await nextQuery(page, '');
      expect(await page.locator('.question').innerText()).toBe('Which continuation is better?');
      await screenshot(page, 'text-01-comparison');
      const pressed = new Map<string, Preference>();
      const key: Record<Preference, string> = { left: 'ArrowLeft', right: 'ArrowRight', tie: 'ArrowDown', skip: ' ' };
      for (let i = 0; i < 6; i++) {
        const sides = page.locator('.comparison .side');
        const [left, right] = [await sides.nth(0).locator('.continuation').innerText(), await sides.nth(1).locator('.continuation').innerText()];
        expect(await sides.nth(0).locator('.prompt').innerText()).toBe(await sides.nth(1).locator('.prompt').innerText());
        const preferred: Preference = i === 3 ? 'skip' : left.length > right.length ? 'left' : left.length < right.length ? 'right' : 'tie';
        pressed.set(qid, preferred);
        await page.keyboard.press(key[preferred]);
        if (i < 5) {
          qid = await nextQuery(page, qid);
          if (i === 0) await screenshot(page, 'text-02-second-pair');
        }
      }
      await page.locator('[data-testid="status"]', { hasText: 'Saved' }).waitFor();
      await currentQueryId(page).catch(() => '');
      const res = await run;
      await screenshot(page, 'text-03-after');
      expect(errors).toEqual([]);

      // 3. stored with the right annotator and the keys pressed; the informative ones trained the reward model
      expect(res.summary!.labels).toBe(5);
      expect(res.summary!.reward_model_accuracy === null || typeof res.summary!.reward_model_accuracy === 'number').toBe(true);
      const store = await openStore(join(out, 'feedback.sqlite'));
      try {
        const js = await store.listJudgements(runId);
        expect(js).toHaveLength(6);
        for (const j of js) {
          expect(j.annotator).toBe('labeler');
          expect(j.judgement.kind === 'comparison' && j.judgement.preferred).toBe(pressed.get(j.queryId));
        }
        expect((await store.getRun(runId))!.status).toBe('done');
      } finally {
        await store.close();
      }
      await page.close();
    } finally {
      console.error = err;
    }
  }, 90_000);
});
