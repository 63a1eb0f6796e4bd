/**
 * Gridworld RLHF: rlhfkit vs the PyTorch peer (seed 001) in the same run, plus the issue's learning targets.
 *
 *   npm run bench -- gridworld [--repeats 3] [--iterations 200] [--no-peer] [--no-targets] [--peer10] [--quiet]
 *
 * 1. speed, same configuration as the peer (5×5, start (0,0), goal (4,4), horizon 30, batch 100, 200 iterations,
 *    50 Adam steps at 1e-2, Boltzmann β = 1 teacher, no exploration = the seed's method): peer and ours alternate
 *    `repeats` times; we report medians of
 *      loop   the training loop alone, in-process (the peer's own `wall_s` measures the same span)
 *      proc   the whole process: start, imports, loop, checkpoints, summary (`rlhf run gridworld --no-report`, from
 *             source via tsx and compiled; peer: python3 gridworld.py)
 *    and ours with the default exploration bonus and with the tfjs reward fitter (--reward-impl tfjs), in-process.
 * 2. targets: seeds 1..5 of the default config (goal_rate ≥ 0.95, reward_correlation ≥ 0.95); the 10×10 grid
 *    (start corner, goal opposite corner, horizon 30) with the seed's method and with the count-based exploration.
 * Writes bench/results/gridworld.json. The machine is shared: the load average is recorded beside the numbers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveGridworldConfig, runGridworld, type GridworldConfigInput, type GridworldSummary } from '../src/domains/gridworld/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const PEER = '/work/shared/peers/gridworld.py';
const PYTHON = '/usr/bin/python3';

interface PeerResult {
  wall_s: number;
  goal_end_fraction: Record<string, number>;
  pearson_learned_vs_true: number;
  mean_cum_true_reward: Record<string, number>;
  reward_loss: Record<string, number>;
  human_pref_entropy: Record<string, number>;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function parseArgs(args: string[]) {
  const o = { repeats: 3, iterations: 200, peer: true, targets: true, peer10: false, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--repeats') o.repeats = Math.max(1, Number(args[++i]));
    else if (a === '--iterations') o.iterations = Math.max(1, Number(args[++i]));
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--no-targets') o.targets = false;
    else if (a === '--peer10') o.peer10 = true;
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`bench gridworld: unknown option ${a}`);
  }
  return o;
}

function peerAvailable(): boolean {
  if (!existsSync(PEER)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

const TIME = '/usr/bin/time';

/**
 * Runs a command, returning its wall seconds and, when /usr/bin/time exists, its CPU seconds (user + sys): on a shared
 * machine CPU time is the steadier measure of work done.
 */
function timed(cmd: string, args: string[], opts: { cwd?: string } = {}): { wall: number; cpu: number; stdout: string; stderr: string; status: number | null } {
  const useTime = existsSync(TIME);
  const cpuFile = join(tmpdir(), `rlhf-bench-time-${process.pid}.txt`);
  const t0 = performance.now();
  const r = useTime
    ? spawnSync(TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, ...opts })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, ...opts });
  const wall = (performance.now() - t0) / 1000;
  let cpu = Number.NaN;
  if (useTime && existsSync(cpuFile)) {
    const [u, sy] = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    cpu = u! + sy!;
    rmSync(cpuFile, { force: true });
  }
  return { wall, cpu, stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function runPeer(grid: number, seed: number, iterations: number): { proc: number; cpu: number; result: PeerResult } {
  const r = timed(PYTHON, [PEER, '--grid', String(grid), '--seeds', String(seed), '--iterations', String(iterations)]);
  if (r.status !== 0) throw new Error(`peer failed (${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return { proc: r.wall, cpu: r.cpu, result: JSON.parse(line) as PeerResult };
}

/**
 * A compiled CLI to time the whole process the way users run it (`rlhf`, i.e. node on JavaScript): dist/ when it was
 * built (npm run build), else the sources transpiled file by file with esbuild (tsx's transpiler) into
 * node_modules/.cache/rlhf-bench-dist. Returns the path of main.js, or undefined when neither is possible.
 */
async function compiledCli(): Promise<string | undefined> {
  const dist = join(ROOT, 'dist/src/cli/main.js');
  if (existsSync(dist)) return dist;
  try {
    const esbuild = (await import('esbuild' as string)) as { build(o: object): Promise<unknown> };
    const outdir = join(ROOT, 'node_modules/.cache/rlhf-bench-dist/src');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) files.push(join(d, e.name));
      }
    };
    walk(join(ROOT, 'src'));
    await esbuild.build({ entryPoints: files, outdir, outbase: join(ROOT, 'src'), format: 'esm', platform: 'node', logLevel: 'error' });
    return join(outdir, 'cli/main.js');
  } catch {
    return undefined;
  }
}

/** Our whole process: the CLI from source via tsx, or a compiled CLI. */
function runOursProcess(extra: string[], compiled?: string): { proc: number; cpu: number; summary: GridworldSummary } {
  const out = mkdtempSync(join(tmpdir(), 'rlhf-bench-gw-'));
  const cmd = compiled ? [compiled] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  const r = timed(process.execPath, [...cmd, 'run', 'gridworld', '--out', join(out, 'run'), '--quiet', '--json', '--no-report', ...extra], { cwd: ROOT });
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`rlhf failed (${r.status}): ${r.stderr}`);
  return { proc: r.wall, cpu: r.cpu, summary: JSON.parse(r.stdout.trim().split('\n').pop()!) as GridworldSummary };
}

async function runOurs(input: GridworldConfigInput): Promise<{ loop: number; summary: GridworldSummary }> {
  const t0 = performance.now();
  const r = await runGridworld(resolveGridworldConfig(input), { quiet: true });
  return { loop: (performance.now() - t0) / 1000, summary: r.summary! };
}

const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));

export async function run(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const log = (s: string) => {
    if (!o.quiet) console.log(s);
  };
  const loadStart = loadavg();
  const seedMethod: GridworldConfigInput = { size: 5, seed: 1, iterations: o.iterations, exploreBonus: 0 };
  const peerOk = o.peer && peerAvailable();
  const compiled = await compiledCli();
  if (o.peer && !peerOk) log(`peer unavailable (${PYTHON} with torch and ${PEER} needed): ours only`);

  // warm-up (JIT) so the first repeat is not penalised
  await runOurs({ ...seedMethod, iterations: 5 });

  // 1. speed: alternate peer and ours
  const peerWall: number[] = [];
  const peerProc: number[] = [];
  const oursLoop: number[] = [];
  const oursProcTsx: number[] = [];
  const oursProcDist: number[] = [];
  const peerCpu: number[] = [];
  const oursCpuDist: number[] = [];
  const oursCpuLoop: number[] = [];
  let peerResult: PeerResult | undefined;
  let oursSummary: GridworldSummary | undefined;
  for (let k = 0; k < o.repeats; k++) {
    if (peerOk) {
      const p = runPeer(5, 1, o.iterations);
      peerWall.push(p.result.wall_s);
      peerProc.push(p.proc);
      peerCpu.push(p.cpu);
      peerResult = p.result;
      log(`repeat ${k + 1}: peer loop ${p.result.wall_s.toFixed(3)} s, process ${p.proc.toFixed(3)} s`);
    }
    const c0 = process.cpuUsage();
    const ours = await runOurs(seedMethod);
    const c1 = process.cpuUsage(c0);
    oursCpuLoop.push((c1.user + c1.system) / 1e6);
    oursLoop.push(ours.loop);
    oursSummary = ours.summary;
    const pt = runOursProcess(['--explore-bonus', '0', '--iterations', String(o.iterations)]);
    oursProcTsx.push(pt.proc);
    if (compiled) {
      const pc = runOursProcess(['--explore-bonus', '0', '--iterations', String(o.iterations)], compiled);
      oursProcDist.push(pc.proc);
      oursCpuDist.push(pc.cpu);
    }
    log(`repeat ${k + 1}: ours loop ${ours.loop.toFixed(3)} s, process (tsx) ${pt.proc.toFixed(3)} s${compiled ? `, process (compiled) ${oursProcDist[oursProcDist.length - 1]!.toFixed(3)} s` : ''}`);
  }
  const explore = await runOurs({ ...seedMethod, exploreBonus: resolveGridworldConfig().exploreBonus });
  const tfjs = await runOurs({ ...seedMethod, rewardImpl: 'tfjs' });

  const last = String(o.iterations);
  const speedRows: Array<[string, string, string, string, string]> = [
    ['run', 'loop s (median)', 'process s (median)', 'goal_rate', 'reward_corr'],
    ...(peerOk ? [['peer (PyTorch, seed method)', median(peerWall).toFixed(3), median(peerProc).toFixed(3), f3(peerResult!.goal_end_fraction[last]), f3(peerResult!.pearson_learned_vs_true)] as [string, string, string, string, string]] : []),
    ['rlhfkit (seed method, typed arrays)', median(oursLoop).toFixed(3), `${median(oursProcTsx).toFixed(3)} (tsx)${compiled ? ` / ${median(oursProcDist).toFixed(3)} (compiled)` : ''}`, f3(oursSummary!.goal_rate), f3(oursSummary!.reward_correlation)],
    ['rlhfkit (default: + exploration bonus)', explore.loop.toFixed(3), '', f3(explore.summary.goal_rate), f3(explore.summary.reward_correlation)],
    ['rlhfkit (seed method, tfjs reward fit)', tfjs.loop.toFixed(3), '', f3(tfjs.summary.goal_rate), f3(tfjs.summary.reward_correlation)],
  ];
  log('');
  log(table(speedRows));
  const ratios = peerOk
    ? {
        loop: median(oursLoop) / median(peerWall),
        process_tsx: median(oursProcTsx) / median(peerProc),
        ...(compiled ? { process_compiled: median(oursProcDist) / median(peerProc) } : {}),
      }
    : undefined;
  if (ratios) log(`\nratio ours/peer: loop ${ratios.loop.toFixed(4)}×, whole process ${ratios.process_tsx.toFixed(3)}× (tsx)${compiled ? `, ${ratios.process_compiled!.toFixed(3)}× (compiled)` : ''}`);
  const cpu = {
    peer_process_s: median(peerCpu),
    ours_loop_s: median(oursCpuLoop),
    ours_process_compiled_s: compiled ? median(oursCpuDist) : null,
  };
  if (peerOk && Number.isFinite(cpu.peer_process_s))
    log(`CPU seconds (user + sys, medians): peer process ${cpu.peer_process_s.toFixed(2)}, ours loop ${cpu.ours_loop_s.toFixed(3)}${compiled ? `, ours process (compiled) ${cpu.ours_process_compiled_s!.toFixed(3)} → ratio ${(cpu.ours_process_compiled_s! / cpu.peer_process_s).toFixed(3)}×` : ''}`);

  // 2. targets
  const targets: Record<string, unknown> = {};
  if (o.targets) {
    const five: Array<{ seed: number; goal_rate: number; reward_correlation: number | null; seconds: number }> = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = await runOurs({ seed });
      five.push({ seed, goal_rate: r.summary.goal_rate, reward_correlation: r.summary.reward_correlation, seconds: r.loop });
    }
    const ten: Array<{ seed: number; method: string; goal_rate: number; reward_correlation: number | null; first_iteration_goal_rate_half: number | null; seconds: number }> = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const [method, bonus] of [
        ['seed method', 0],
        ['count bonus (default)', resolveGridworldConfig().exploreBonus],
      ] as const) {
        const r = await runOurs({ size: 10, seed, exploreBonus: bonus });
        ten.push({ seed, method, goal_rate: r.summary.goal_rate, reward_correlation: r.summary.reward_correlation, first_iteration_goal_rate_half: r.summary.first_iteration_goal_rate_half, seconds: r.loop });
      }
    }
    targets.default_5x5 = five;
    targets.grid_10x10 = ten;
    log('\ntargets: default config, seeds 1..5 (goal_rate ≥ 0.95, reward_correlation ≥ 0.95)');
    log(table([['seed', 'goal_rate', 'reward_corr', 'loop s'], ...five.map((r) => [String(r.seed), f3(r.goal_rate), f3(r.reward_correlation), r.seconds.toFixed(3)])]));
    log('\ntargets: 10×10, start (0,0), goal (9,9), horizon 30, 200 iterations (solved: goal_rate ≥ 0.9)');
    log(table([['seed', 'method', 'goal_rate', 'reward_corr', 'first it ≥ 0.5', 'loop s'], ...ten.map((r) => [String(r.seed), r.method, f3(r.goal_rate), f3(r.reward_correlation), String(r.first_iteration_goal_rate_half ?? '—'), r.seconds.toFixed(3)])]));
    if (o.peer10 && peerOk) {
      const p = runPeer(10, 1, 200);
      targets.peer_10x10 = { goal_rate: p.result.goal_end_fraction['200'], pearson: p.result.pearson_learned_vs_true, wall_s: p.result.wall_s };
      log(`peer 10×10 seed 1: goal_rate ${f3(p.result.goal_end_fraction['200'])}, pearson ${f3(p.result.pearson_learned_vs_true)}, ${p.result.wall_s.toFixed(2)} s`);
    }
  }

  const result = {
    benchmark: 'gridworld',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg_start: loadStart, loadavg_end: loadavg(), node: process.version },
    note: 'loop = in-process training loop (the peer reports the same span as wall_s); process = whole process incl. start-up and imports. Medians of alternating repeats; the machine is shared, so absolute times are noisy.',
    config: { grid: 5, start: [0, 0], goal: [4, 4], horizon: 30, batch: 100, iterations: o.iterations, reward_steps: 50, lr: 0.01, teacher: 'noisy (β = 1)', explore_bonus: 0 },
    repeats: o.repeats,
    peer: peerOk ? { loop_s: peerWall, process_s: peerProc, median_loop_s: median(peerWall), median_process_s: median(peerProc), final: peerResult } : null,
    ours: {
      loop_s: oursLoop,
      process_tsx_s: oursProcTsx,
      process_compiled_s: compiled ? oursProcDist : null,
      median_loop_s: median(oursLoop),
      median_process_tsx_s: median(oursProcTsx),
      median_process_compiled_s: compiled ? median(oursProcDist) : null,
      final: oursSummary,
      explore_default: { loop_s: explore.loop, final: explore.summary },
      tfjs_reward_fit: { loop_s: tfjs.loop, final: tfjs.summary },
    },
    ratio: ratios ?? null,
    cpu_seconds: cpu,
    targets,
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'gridworld.json'), `${JSON.stringify(result, null, 2)}\n`);
  log(`\nwrote bench/results/gridworld.json (load average ${loadStart.map((x) => x.toFixed(1)).join(' ')} → ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r, i) => r.map((c, j) => c.padEnd(w[j]!)).join('  ') + (i === 0 ? `\n${w.map((n) => '-'.repeat(n)).join('  ')}` : '')).join('\n');
}

// direct: npx tsx bench/gridworld.ts [options]
if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
