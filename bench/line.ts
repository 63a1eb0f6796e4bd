/**
 * Line RLHF: rlhfkit vs the PyTorch peer (seed 004, /work/shared/peers/line.py) in the same run.
 *
 *   npm run bench -- line [--seeds 5] [--episodes 200] [--no-peer] [--full-seed] [--quiet]
 *
 * 1. the seed's method, same configuration on both sides (size 10, `episodes` episodes, step cap 50 — the peer's
 *    MAX_TRAIN_STEPS — MSE on the sparse reward, lr 1e-3, no baseline): our `--preset seed --max-steps 50` vs the
 *    peer's own run(10, episodes, seed) function. Wall time of the training loop (the peer's `wall_s` spans the same
 *    loop), success within 50 steps after training.
 * 2. our default loop (comparisons through the Oracle teacher, Bradley–Terry ensemble, REINFORCE with a baseline):
 *    success, labels, episodes and labels to the 0.95 target, seconds.
 * 3. the per-update cost of the two MLPs (reward [3→32→1] on the 20 (state, action) rows, policy [1→32→2] on the
 *    10 states) in plain typed arrays vs tfjs (wasm), forward + backward + Adam: why the line runs on typed arrays.
 * 4. --full-seed: the seed's own budget (500 episodes, cap 1000) for seed 0 on both sides (the peer takes minutes).
 * Writes bench/results/line.json. The machine is shared by several helpers: the load average is recorded, and
 * wall-time ratios are noisy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/rng.js';
import { resolveLineConfig, type LineOverrides } from '../src/domains/line/config.js';
import { runLine } from '../src/domains/line/run.js';
import type { LineSummary } from '../src/domains/line/summary.js';
import { Adam } from '../src/optim/adam.js';
import { Mlp } from '../src/reward/mlp.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PEER_DIR = process.env.RLHF_PEERS ?? '/work/shared/peers';
const PYTHON = '/usr/bin/python3';
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

interface PeerRun {
  wall_s: number;
  success50_sampled_after: number;
  success50_greedy_after: number;
  total_train_steps: number;
  capped_episodes: number;
}

function peerAvailable(): boolean {
  return existsSync(join(PEER_DIR, 'line.py')) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

/** Calls the peer's own run(size, episodes, seed) (its __main__ sweeps every configuration and takes ~15 min). */
function runPeer(size: number, episodes: number, seed: number, cap: number): PeerRun {
  const code = `import sys, json; sys.path.insert(0, ${JSON.stringify(PEER_DIR)}); import line; print("RESULT " + json.dumps(line.run(${size}, ${episodes}, ${seed})))`;
  const r = spawnSync(PYTHON, ['-c', code], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, MAX_TRAIN_STEPS: String(cap), LD_LIBRARY_PATH: OPENBLAS_DIR, OPENBLAS_NUM_THREADS: '2' },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`bench line: the peer failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as PeerRun;
}

async function ours(o: LineOverrides): Promise<LineSummary> {
  const res = await runLine(resolveLineConfig(o), { quiet: true });
  return res.summary!;
}

/** µs per update of an MLP: forward + backward + Adam, typed arrays. */
function typedStep(sizes: number[], rows: number, steps: number): number {
  const rng = new Rng(0);
  const m = new Mlp({ sizes }, rng);
  const opt = new Adam(m.numParams, { lr: 1e-3, precision: 'float32' });
  const x = Float64Array.from(rng.normalArray(rows * sizes[0]!));
  const dy = Float64Array.from(rng.normalArray(rows * sizes[sizes.length - 1]!));
  for (let i = 0; i < 50; i++) {
    m.forward(x, rows);
    m.zeroGrad();
    m.backward(dy);
    opt.step(m.flatParams, m.flatGrads);
  }
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    m.forward(x, rows);
    m.zeroGrad();
    m.backward(dy);
    opt.step(m.flatParams, m.flatGrads);
  }
  return ((performance.now() - t0) * 1000) / steps;
}

/** µs per update of the same MLP through tfjs (wasm): optimizer.minimize on a linear loss Σ y·dy. */
async function tfjsStep(sizes: number[], rows: number, steps: number): Promise<{ us: number; backend: string }> {
  const { initTensors, tf } = await import('../src/core/tensor.js');
  const { TensorAdam } = await import('../src/optim/tensorAdam.js');
  const backend = await initTensors('wasm');
  const rng = new Rng(0);
  const vars: import('@tensorflow/tfjs').Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    vars.push(tf.variable(tf.tensor2d(rng.normalArray(sizes[l]! * sizes[l + 1]!, 0.1), [sizes[l]!, sizes[l + 1]!])));
    vars.push(tf.variable(tf.zeros([sizes[l + 1]!])));
  }
  const x = tf.tensor2d(rng.normalArray(rows * sizes[0]!), [rows, sizes[0]!]);
  const dy = tf.tensor2d(rng.normalArray(rows * sizes[sizes.length - 1]!), [rows, sizes[sizes.length - 1]!]);
  const opt = new TensorAdam(vars, { lr: 1e-3 });
  const step = () =>
    opt.minimize(() => {
      let h: import('@tensorflow/tfjs').Tensor = x;
      for (let l = 0; l < vars.length; l += 2) {
        h = tf.add(tf.matMul(h as import('@tensorflow/tfjs').Tensor2D, vars[l] as import('@tensorflow/tfjs').Tensor2D), vars[l + 1]!); // [rows, out]
        if (l + 2 < vars.length) h = tf.relu(h);
      }
      return tf.sum(tf.mul(h, dy)) as import('@tensorflow/tfjs').Scalar;
    });
  for (let i = 0; i < 50; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const us = ((performance.now() - t0) * 1000) / steps;
  tf.dispose([x, dy, ...vars]);
  return { us, backend };
}

export async function run(args: string[]): Promise<void> {
  const o = { seeds: 5, episodes: 200, peer: true, fullSeed: false, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--seeds') o.seeds = Math.max(1, Number(args[++i]));
    else if (a === '--episodes') o.episodes = Math.max(1, Number(args[++i]));
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--full-seed') o.fullSeed = true;
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`bench line: unknown option ${a}`);
  }
  const log = (s: string) => {
    if (!o.quiet) console.error(s);
  };
  const load0 = loadavg();
  const havePeer = o.peer && peerAvailable();
  if (o.peer && !havePeer) log('bench line: /usr/bin/python3 with torch or the peer line.py is missing: peer columns skipped');

  // 1. the seed's method on both sides, same episodes and step cap
  const seedRows: Array<{ seed: number; ours: LineSummary; peer: PeerRun | null }> = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    log(`seed method, seed ${seed}…`);
    const peer = havePeer ? runPeer(10, o.episodes, seed, 50) : null;
    const mine = await ours({ preset: 'seed', size: 10, episodes: o.episodes, maxSteps: 50, seed });
    seedRows.push({ seed, ours: mine, peer });
  }
  // 2. our loop
  const oursRows: LineSummary[] = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    log(`rlhfkit default, seed ${seed}…`);
    oursRows.push(await ours({ size: 10, episodes: o.episodes, seed }));
  }
  // 3. MLP update cost, typed arrays vs tfjs
  log('MLP update cost…');
  const mlp = [] as Array<{ net: string; rows: number; typed_us: number; tfjs_us: number; backend: string }>;
  for (const [net, sizes, rows] of [
    ['reward [3→32→1]', [3, 32, 1], 20],
    ['policy [1→32→2]', [1, 32, 2], 10],
  ] as Array<[string, number[], number]>) {
    const typed = typedStep(sizes, rows, 2000);
    const t = await tfjsStep(sizes, rows, 300);
    mlp.push({ net, rows, typed_us: typed, tfjs_us: t.us, backend: t.backend });
  }
  // 4. the seed's own budget
  let full: { ours: LineSummary; peer: PeerRun | null } | null = null;
  if (o.fullSeed) {
    log('seed method, full budget (500 episodes, cap 1000), seed 0… (the peer takes minutes)');
    full = { ours: await ours({ preset: 'seed', size: 10, episodes: 500, maxSteps: 1000, seed: 0 }), peer: havePeer ? runPeer(10, 500, 0, 1000) : null };
  }

  const peerWall = seedRows.map((r) => r.peer?.wall_s ?? Number.NaN);
  const ourWall = seedRows.map((r) => r.ours.seconds);
  const result = {
    machine: { loadavg_start: load0, loadavg_end: loadavg(), note: 'shared 2-core machine, other helpers running: timings are noisy' },
    config: { size: 10, episodes: o.episodes, step_cap: 50, seeds: o.seeds, peer_blas: 'OpenBLAS (LD_LIBRARY_PATH)' },
    seed_method: {
      rows: seedRows.map((r) => ({
        seed: r.seed,
        ours_seconds: r.ours.seconds,
        ours_success: r.ours.success_rate,
        peer_seconds: r.peer?.wall_s ?? null,
        peer_success_sampled: r.peer?.success50_sampled_after ?? null,
        peer_train_steps: r.peer?.total_train_steps ?? null,
      })),
      median_seconds: { ours: median(ourWall), peer: median(peerWall) },
      wall_ratio_peer_over_ours: median(peerWall) / median(ourWall),
      success: { ours: seedRows.map((r) => r.ours.success_rate), peer: seedRows.map((r) => r.peer?.success50_sampled_after ?? null) },
    },
    rlhfkit_default: {
      rows: oursRows.map((s) => ({ seed: s.seed, success_rate: s.success_rate, labels: s.labels, labels_to_target: s.labels_to_target, episodes_to_target: s.episodes_to_target, seconds: s.seconds })),
      mean_success: mean(oursRows.map((s) => s.success_rate)),
      seeds_at_target: oursRows.filter((s) => s.success_rate >= s.success_target).length,
      median_seconds: median(oursRows.map((s) => s.seconds)),
      median_episodes_to_target: median(oursRows.map((s) => s.episodes_to_target ?? Number.NaN)),
      median_labels_to_target: median(oursRows.map((s) => s.labels_to_target ?? Number.NaN)),
    },
    mlp_update_us: mlp,
    full_seed_budget: full && {
      ours: { success_rate: full.ours.success_rate, seconds: full.ours.seconds, labels: full.ours.labels },
      peer: full.peer && { success_sampled: full.peer.success50_sampled_after, wall_s: full.peer.wall_s, capped_episodes: full.peer.capped_episodes },
    },
  };

  // table
  const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  console.log(`\nline, size 10, ${o.episodes} episodes — the seed's method on both sides (step cap 50)`);
  console.log('seed  ours s   peer s   ours success  peer success');
  for (const r of result.seed_method.rows) console.log(`${String(r.seed).padEnd(5)} ${f(r.ours_seconds, 3).padStart(7)}  ${f(r.peer_seconds, 2).padStart(7)}  ${f(r.ours_success).padStart(12)}  ${f(r.peer_success_sampled).padStart(12)}`);
  console.log(`median wall: ours ${f(result.seed_method.median_seconds.ours)} s, peer ${f(result.seed_method.median_seconds.peer, 2)} s → peer/ours ${f(result.seed_method.wall_ratio_peer_over_ours, 1)}×`);
  console.log(`\nrlhfkit default (comparisons, oracle, ensemble 3, disagreement): success per seed ${oursRows.map((s) => f(s.success_rate)).join(' ')}`);
  console.log(`  seeds at ≥ 0.95: ${result.rlhfkit_default.seeds_at_target}/${o.seeds}; median episodes to target ${f(result.rlhfkit_default.median_episodes_to_target, 0)}, labels to target ${f(result.rlhfkit_default.median_labels_to_target, 0)}; median ${f(result.rlhfkit_default.median_seconds)} s per run`);
  console.log('\nMLP update (forward + backward + Adam), µs:');
  for (const m of mlp) console.log(`  ${m.net.padEnd(18)} rows ${String(m.rows).padStart(3)}: typed arrays ${f(m.typed_us, 1).padStart(7)}  tfjs-${m.backend} ${f(m.tfjs_us, 1).padStart(7)}  (${f(m.tfjs_us / m.typed_us, 1)}×)`);
  if (full) console.log(`\nfull seed budget, seed 0: ours success ${f(full.ours.success_rate)} in ${f(full.ours.seconds)} s; peer ${f(full.peer?.success50_sampled_after)} in ${f(full.peer?.wall_s, 1)} s`);
  console.log(`load average ${load0.map((v) => v.toFixed(1)).join(' ')} → ${loadavg().map((v) => v.toFixed(1)).join(' ')} (shared machine: noisy)`);

  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'line.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench/results/line.json');
}
