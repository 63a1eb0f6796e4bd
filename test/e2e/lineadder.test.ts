/**
 * End to end: a person labels a line run and an adder run in the real web app (Debian's Chromium through
 * playwright-core) while the loop waits for them.
 *
 *   1. a fresh build of web/; `rlhf run line --judge human …` and `rlhf run adder --judge human …` with tiny settings,
 *      wired as the command wires them (the domain's DomainCommand spec over runTask + peopleInTheLoop: SQLite store in
 *      the run directory, in-process server on a free port, the printed log-in link), the server serving that build;
 *   2. the annotator opens the printed link and labels every query (4 per run) with the keyboard — line: the walk that
 *      ends further right (↓ on a tie); adder: the answer closer to a + b;
 *   3. the judgements are in the store under the annotator's name with the keys pressed, the run is marked done and
 *      wrote its summary, which counts those labels.
 * Screenshots: test-output/e2e/lineadder-*.png. Skips only when /usr/bin/chromium is absent.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { commandFlags } from '../../src/cli/args.js';
import { commandSets, type DomainCommand } from '../../src/cli/runCommand.js';
import { RUN_OPTIONS } from '../../src/core/config/runOptions.js';
import type { Preference } from '../../src/feedback/types.js';
import { adderCommandSpec } from '../../src/domains/adder/cli.js';
import { lineCommandSpec } from '../../src/domains/line/cli.js';
import { runTask } from '../../src/loop/driver.js';
import { humanJudgeFromFlags } from '../../src/loop/people/flags.js';
import { peopleInTheLoop } from '../../src/loop/people/session.js';
import { openStore } from '../../src/store/index.js';
import { CHROMIUM, buildWeb, hasChromium, launchChromium, nextQuery, screenshot, tempDir } from './harness.js';

const KEY: Record<Exclude<Preference, 'skip'>, string> = { left: 'ArrowLeft', right: 'ArrowRight', tie: 'ArrowDown' };

/** `rlhf run <domain> ARGV` as runDomainCommand wires it, with the server serving `staticDir`; the log lines go to `lines`. */
function runAsCommand<C, S extends object>(spec: DomainCommand<C, S>, argv: string[], staticDir: string, lines: string[]) {
  const values = commandFlags(argv, commandSets(spec), '')!;
  const human = { ...humanJudgeFromFlags(values)!, staticDir };
  const config = spec.configFromFlags(values, human);
  const run = RUN_OPTIONS.resolveFlags(values);
  const task = spec.task(run);
  return runTask(task, config, {
    out: run.out!,
    quiet: true,
    report: false,
    people: peopleInTheLoop(human, { domain: task.name, config: task.configJson(config), log: (l) => lines.push(l) }),
  });
}

/** Opens the printed log-in link, labels `count` queries by `choose` (reading the page), returns query id → key pressed. */
async function label(page: Page, lines: string[], count: number, choose: (page: Page) => Promise<Exclude<Preference, 'skip'>>): Promise<Map<string, Preference>> {
  await expect.poll(() => lines.some((l) => l.includes('label as')), { timeout: 20_000 }).toBe(true);
  const link = /label as "labeler":\s+(\S+#token=rlhf_\S+)/.exec(lines.join('\n'))?.[1];
  expect(link, lines.join('\n')).toBeDefined();
  await page.goto(link!);
  const pressed = new Map<string, Preference>();
  let id = '';
  for (let i = 0; i < count; i++) {
    id = await nextQuery(page, id);
    const preferred = await choose(page);
    pressed.set(id, preferred);
    await page.keyboard.press(KEY[preferred]);
  }
  await page.locator('[data-testid="status"]', { hasText: 'Saved' }).waitFor();
  return pressed;
}

/** The stored judgements of a finished run: by the annotator, with the keys pressed; the run marked done. */
async function expectStored(out: string, runId: string, pressed: Map<string, Preference>): Promise<void> {
  const store = await openStore(join(out, 'feedback.sqlite'));
  try {
    const js = await store.listJudgements(runId);
    expect(js.map((j) => [j.queryId, j.annotator, j.judgement.kind === 'comparison' ? j.judgement.preferred : j.judgement.kind]).sort()).toEqual(
      [...pressed].map(([q, p]) => [q, 'labeler', p]).sort(),
    );
    expect((await store.getRun(runId))!.status).toBe('done');
  } finally {
    await store.close();
  }
}

describe('line and adder labeled in the browser (e2e)', () => {
  if (!hasChromium) {
    console.warn(`test/e2e: skipping the line/adder browser test: ${CHROMIUM} is not installed (apt-get install chromium)`);
    it.skip(`skipped: ${CHROMIUM} is not installed (apt-get install chromium) — the browser test needs Debian's Chromium`, () => {});
    return;
  }

  const dir = tempDir('rlhf-e2e-lineadder-');
  const staticDir = join(dir, 'dist');
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    await buildWeb(staticDir);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rlhf run line --judge human: 4 walks compared with the keyboard, stored, the run finished', async () => {
    const out = join(dir, 'line-e2e');
    const lines: string[] = [];
    const argv = ['--judge', 'human', '--port', '0', '--out', out, '--size', '6', '--episodes', '4', '--episodes-per-iteration', '2', '--labels-per-iteration', '2', '--judge-timeout', '60', '--seed', '2'];
    const run = runAsCommand(lineCommandSpec, argv, staticDir, lines);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    let shot = 0;
    const pressed = await label(page, lines, 4, async (p) => {
      expect(await p.locator('.question').innerText()).toBe('Which walk is better?');
      if (shot++ === 0) await screenshot(p, 'lineadder-01-line');
      const [l, r] = (await p.locator('main.label-page svg[data-end]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-end'))))) as [number, number];
      return l > r ? 'left' : l < r ? 'right' : 'tie';
    });
    const res = await run;
    expect(errors).toEqual([]);
    expect(res.summary).toMatchObject({ labels: 4, teacher: 'human', iterations: 2 });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ labels: 4 });
    await expectStored(out, 'line-e2e', pressed);
    await page.close();
  }, 60_000);

  it('rlhf run adder --judge human: 4 answers compared with the keyboard, stored, the run finished', async () => {
    const out = join(dir, 'adder-e2e');
    const lines: string[] = [];
    const argv = ['--judge', 'human', '--port', '0', '--out', out, '--epochs', '2', '--labels-per-iteration', '2', '--eval-pairs', '20', '--judge-timeout', '60', '--seed', '2'];
    const run = runAsCommand(adderCommandSpec, argv, staticDir, lines);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    let shot = 0;
    const pressed = await label(page, lines, 4, async (p) => {
      expect(await p.locator('.question').innerText()).toBe('Which answer is better?');
      if (shot++ === 0) await screenshot(p, 'lineadder-02-adder');
      const [l, r] = await p.locator('main.label-page figure[data-x]').evaluateAll((els) => els.map((e) => Math.abs(Number(e.getAttribute('data-a')) + Number(e.getAttribute('data-b')) - Number(e.getAttribute('data-x')))));
      return l! < r! ? 'left' : l! > r! ? 'right' : 'tie';
    });
    const res = await run;
    expect(errors).toEqual([]);
    expect(res.summary).toMatchObject({ labels: 4, teacher: 'human', epochs: 2 });
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    await expectStored(out, 'adder-e2e', pressed);
    await page.close();
  }, 60_000);
});
