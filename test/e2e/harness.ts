/**
 * What the browser tests share: a fresh build of the web app, Debian's Chromium driven by playwright-core with a
 * throwaway profile, and small helpers to read the labeling page.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const REPO = resolve(import.meta.dirname, '../..');
/** Screenshots go here (gitignored). */
export const SHOTS = join(REPO, 'test-output', 'e2e');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Builds the web app into `outDir` (a fresh build: the test never runs against a stale web/dist). */
export async function buildWeb(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: join(REPO, 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  if (!existsSync(join(outDir, 'index.html'))) throw new Error(`vite build wrote no index.html to ${outDir}`);
}

/** Chromium with a fresh profile (--user-data-dir), closed and removed by the returned close(). */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = tempDir('rlhf-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The id of the query on screen ('' when none), once no request is in flight. */
export async function currentQueryId(page: Page): Promise<string> {
  const main = page.locator('main.label-page[data-busy="false"]');
  await main.waitFor();
  return (await main.getAttribute('data-query-id')) ?? '';
}

/** Waits until a query other than `previous` is on screen and returns its id. */
export async function nextQuery(page: Page, previous: string, timeoutMs = 30_000): Promise<string> {
  const main = page.locator(`main.label-page[data-busy="false"][data-phase="labeling"]:not([data-query-id=${JSON.stringify(previous)}])`);
  await main.waitFor({ timeout: timeoutMs });
  return (await main.getAttribute('data-query-id')) ?? '';
}
