/**
 * The playground: the seed-001 gridworld run in headless Chromium vs the same run in Node vs the PyTorch peer.
 *
 *   npm run bench -- playground [--repeats 3] [--iterations 200] [--no-peer] [--quiet]
 *
 * Configuration: the peer's (5×5, start (0,0), goal (4,4), horizon 30, batch 100, 200 iterations, 50 Adam steps at
 * 1e-2, noisy teacher β = 1, no exploration bonus = the seed's method), seed 1, in all three:
 *   browser  the static build (npm run build:playground, into a temporary folder) served by `rlhf playground`'s static
 *            server, opened as playground.html?domain=gridworld&judge=simulated&seed=1&explore-bonus=0&autorun=1 in a
 *            fresh browser context each repeat (an empty IndexedDB); we read summary.json's `seconds` from the page
 *            (the driver's loop: plan, sample, judge, fit, measure, and the run's state kept in IndexedDB after every
 *            iteration) — cold: the page's first run — and, after it, a second run in the same page (warm JIT);
 *   node     runGridworld in-process, no run directory: the first run of a fresh process (cold: `node --import tsx`)
 *            and, after a warm-up, in-process runs (warm), as bench/gridworld.ts measures;
 *   peer     /usr/bin/python3 ../shared/peers/gridworld.py --grid 5 --seeds 1: its own `wall_s` (the loop) and the
 *            whole process.
 * Targets: browser ≤ 2× node, browser ≤ 0.2× peer (loop to loop, medians; cold to cold and warm to warm beside).
 * Writes bench/results/playground.json with the load average (the machine is shared).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveGridworldConfig, runGridworld, type GridworldConfigInput, type GridworldSummary } from '../src/domains/gridworld/index.js';
import { buildPlayground, servePlayground } from '../src/cli/playground.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const PEER = [resolve(ROOT, '../shared/peers/gridworld.py'), '/work/shared/peers/gridworld.py'].find((p) => existsSync(p)) ?? resolve(ROOT, '../shared/peers/gridworld.py');
const PYTHON = '/usr/bin/python3';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

function parseArgs(args: string[]) {
  const o = { repeats: 3, iterations: 200, peer: true, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--repeats') o.repeats = Math.max(1, Number(args[++i]));
    else if (a === '--iterations') o.iterations = Math.max(1, Number(args[++i]));
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`bench playground: unknown option ${a}`);
  }
  return o;
}

/** The seed-001 configuration (the peer's), as URL parameters and as a config input. */
function seedMethod(iterations: number): { params: string; input: GridworldConfigInput } {
  return { params: `domain=gridworld&judge=simulated&seed=1&iterations=${iterations}&explore-bonus=0`, input: { size: 5, seed: 1, iterations, exploreBonus: 0 } };
}

/** One run in a fresh process (cold JIT): the loop's seconds as runGridworld reports them. */
function nodeCold(iterations: number): number {
  const code = `import { resolveGridworldConfig, runGridworld } from ${JSON.stringify(join(ROOT, 'src/domains/gridworld/index.ts'))};
const t0 = performance.now();
const r = await runGridworld(resolveGridworldConfig(${JSON.stringify(seedMethod(iterations).input)}), { quiet: true });
console.log(JSON.stringify({ loop: (performance.now() - t0) / 1000, goal: r.summary.goal_rate }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node run failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { loop: number }).loop;
}

async function nodeWarm(iterations: number): Promise<{ loop: number; summary: GridworldSummary }> {
  const t0 = performance.now();
  const r = await runGridworld(resolveGridworldConfig(seedMethod(iterations).input), { quiet: true });
  return { loop: (performance.now() - t0) / 1000, summary: r.summary! };
}

function runPeer(iterations: number): { loop: number; proc: number; goal: number; pearson: number } {
  const t0 = performance.now();
  const r = spawnSync(PYTHON, [PEER, '--grid', '5', '--seeds', '1', '--iterations', String(iterations)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const proc = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`peer failed (${r.status}): ${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { wall_s: number; goal_end_fraction: Record<string, number>; pearson_learned_vs_true: number };
  return { loop: res.wall_s, proc, goal: res.goal_end_fraction[String(iterations)] ?? Number.NaN, pearson: res.pearson_learned_vs_true };
}

export async function run(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const log = (s: string) => {
    if (!o.quiet) console.log(s);
  };
  if (!existsSync(CHROMIUM)) throw new Error(`bench playground: ${CHROMIUM} is not installed (apt-get install chromium)`);
  const loadStart = loadavg();
  const peerOk = o.peer && existsSync(PEER) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (o.peer && !peerOk) log(`peer unavailable (${PYTHON} with torch and ${PEER} needed): browser and node only`);

  // the static build, served
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-bench-playground-'));
  log('building the playground…');
  await buildPlayground(join(dir, 'dist'));
  const served = await servePlayground({ dir: join(dir, 'dist'), host: '127.0.0.1', port: 0 });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const { params } = seedMethod(o.iterations);

  const browserCold: number[] = [];
  const browserWarm: number[] = [];
  const browserPage: number[] = [];
  const nodeColdS: number[] = [];
  const nodeWarmS: number[] = [];
  const peerLoop: number[] = [];
  const peerProc: number[] = [];
  let browserSummary: GridworldSummary | undefined;
  let nodeSummary: GridworldSummary | undefined;
  let peerFinal: { goal: number; pearson: number } | undefined;
  let backend = '';
  try {
    await nodeWarm(5); // warm-up for the in-process runs
    for (let k = 0; k < o.repeats; k++) {
      // browser: a fresh context (empty IndexedDB), the page's first run, then a second one in the same page
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`${served.url}?${params}&autorun=1`);
      const summaryEl = page.locator('[data-testid="summary"]');
      await summaryEl.waitFor({ timeout: 300_000 });
      browserPage.push((performance.now() - t0) / 1000);
      const first = JSON.parse((await summaryEl.textContent())!) as GridworldSummary;
      const firstRun = await page.locator('[data-testid="run-id"]').textContent();
      browserCold.push(first.seconds);
      browserSummary = first;
      backend = ((await page.locator('[data-testid="backend"]').textContent()) ?? '').trim();
      await page.locator('[data-testid="new-run"]').click();
      await page.locator('[data-testid="start"]').click();
      await page.waitForFunction(`document.querySelector('[data-testid="run-id"]')?.textContent !== ${JSON.stringify(firstRun)} && document.querySelector('[data-testid="summary"]') !== null`, undefined, { timeout: 300_000 });
      browserWarm.push((JSON.parse((await summaryEl.textContent())!) as GridworldSummary).seconds);
      await context.close();
      // node
      nodeColdS.push(nodeCold(o.iterations));
      const w = await nodeWarm(o.iterations);
      nodeWarmS.push(w.loop);
      nodeSummary = w.summary;
      // peer
      if (peerOk) {
        const p = runPeer(o.iterations);
        peerLoop.push(p.loop);
        peerProc.push(p.proc);
        peerFinal = { goal: p.goal, pearson: p.pearson };
      }
      log(`repeat ${k + 1}: browser ${f3(browserCold[k]!)} s (warm ${f3(browserWarm[k]!)} s, page ${f3(browserPage[k]!)} s) · node ${f3(nodeColdS[k]!)} s (warm ${f3(nodeWarmS[k]!)} s)${peerOk ? ` · peer ${f3(peerLoop[k]!)} s (process ${f3(peerProc[k]!)} s)` : ''}`);
    }
  } finally {
    await browser.close();
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const m = {
    browser_cold: median(browserCold),
    browser_warm: median(browserWarm),
    browser_page: median(browserPage),
    node_cold: median(nodeColdS),
    node_warm: median(nodeWarmS),
    peer_loop: median(peerLoop),
    peer_process: median(peerProc),
  };
  const ratios = {
    browser_vs_node_cold: m.browser_cold / m.node_cold,
    browser_vs_node_warm: m.browser_warm / m.node_warm,
    browser_vs_peer_loop: m.browser_cold / m.peer_loop,
    browser_page_vs_peer_process: m.browser_page / m.peer_process,
  };
  log('');
  log(table([
    ['run', 'loop s (median)', 'goal_rate', 'reward_corr'],
    ['browser, first run of the page (cold)', f3(m.browser_cold), f3(browserSummary?.goal_rate ?? Number.NaN), f3(browserSummary?.reward_correlation ?? Number.NaN)],
    ['browser, second run (warm)', f3(m.browser_warm), '', ''],
    ['browser, page load → summary', f3(m.browser_page), '', ''],
    ['node, fresh process (cold)', f3(m.node_cold), '', ''],
    ['node, in-process (warm)', f3(m.node_warm), f3(nodeSummary?.goal_rate ?? Number.NaN), f3(nodeSummary?.reward_correlation ?? Number.NaN)],
    ...(peerOk ? [['peer (PyTorch), loop / process', `${f3(m.peer_loop)} / ${f3(m.peer_process)}`, f3(peerFinal!.goal), f3(peerFinal!.pearson)]] : []),
  ]));
  log(`\nbackend: ${backend}`);
  log(`ratios: browser/node ${f3(ratios.browser_vs_node_cold)}× cold, ${f3(ratios.browser_vs_node_warm)}× warm (target ≤ 2)${peerOk ? `; browser/peer ${f3(ratios.browser_vs_peer_loop)}× loop, page/process ${f3(ratios.browser_page_vs_peer_process)}× (target ≤ 0.2)` : ''}`);
  const loadEnd = loadavg();
  log(`load average ${loadStart.map((x) => x.toFixed(2)).join(' ')} → ${loadEnd.map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores)`);
  const result = {
    benchmark: 'playground',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg_start: loadStart, loadavg_end: loadEnd, node: process.version },
    config: { grid: 5, start: [0, 0], goal: [4, 4], horizon: 30, batch: 100, iterations: o.iterations, reward_steps: 50, lr: 0.01, teacher: 'noisy (β = 1)', explore_bonus: 0, seed: 1 },
    backend,
    repeats: o.repeats,
    seconds: { browser_cold: browserCold, browser_warm: browserWarm, browser_page: browserPage, node_cold: nodeColdS, node_warm: nodeWarmS, peer_loop: peerOk ? peerLoop : null, peer_process: peerOk ? peerProc : null },
    medians: m,
    ratios,
    targets: { browser_vs_node: 2, browser_vs_peer: 0.2 },
    final: { browser: browserSummary, node: nodeSummary, peer: peerFinal ?? null },
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'playground.json'), `${JSON.stringify(result, null, 2)}\n`);
  log('wrote bench/results/playground.json');
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r, i) => r.map((c, j) => c.padEnd(w[j]!)).join('  ') + (i === 0 ? `\n${w.map((n) => '-'.repeat(n)).join('  ')}` : '')).join('\n');
}
