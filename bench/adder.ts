/**
 * Adder preference learning: rlhfkit vs the PyTorch peer (seed 002, /work/shared/peers/adder.py) in the same run.
 *
 *   npm run bench -- adder [--seeds 3] [--no-peer] [--no-theta] [--quiet]
 *
 * 1. the seed's RewardNet run on both sides (3→6→6→1 LeakyReLU, Adam 1e-3, 600 epochs × 10 pairs used once,
 *    greedy = 100 plain gradient-ascent steps from x = 20, perturbation exp(−(t−200)/100) + 0.2): our
 *    `--preset seed` vs the peer's rewardnet_bce(600). Training wall time (the peer's train_wall_s), held-out
 *    preference accuracy (the peer: 300 pairs, counted correct when |pref − P̂| ≤ ½; ours: 300 pairs, strict side
 *    of ½ — the same unless P̂ is exactly ½), mean |a + b − x_greedy|.
 * 2. the seed's 2-parameter θ run (linear in the two features) on the peer — theta_experiment(200) — vs our
 *    default (linear model, Bradley–Terry with Adam, rprop ascent): seconds and greedy-action MSE (the peer divides
 *    its MSE by 5, reported as printed and ×5).
 * 3. our default (linear) and `--model mlp` over seeds: accuracy, MSE, labels, seconds against the targets
 *    (accuracy ≥ 0.98, MSE ≤ 0.1).
 * Writes bench/results/adder.json. Shared 2-core machine: the load average is recorded; timings are noisy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveAdderConfig, type AdderOverrides } from '../src/domains/adder/config.js';
import { runAdder } from '../src/domains/adder/run.js';
import type { AdderSummary } from '../src/domains/adder/summary.js';
import { ADDER_TARGETS } from '../src/domains/adder/train.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PEER_DIR = process.env.RLHF_PEERS ?? '/work/shared/peers';
const PYTHON = '/usr/bin/python3';
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function peerAvailable(): boolean {
  return existsSync(join(PEER_DIR, 'adder.py')) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

/** Calls one of the peer's own functions and returns its result dict (its __main__ runs all of them, ~150 s). */
function callPeer<T>(call: string): T {
  const code = `import sys, json; sys.path.insert(0, ${JSON.stringify(PEER_DIR)}); import adder; print("RESULT " + json.dumps(adder.${call}))`;
  const r = spawnSync(PYTHON, ['-c', code], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, LD_LIBRARY_PATH: OPENBLAS_DIR, OPENBLAS_NUM_THREADS: '2' },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`bench adder: the peer's ${call} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as T;
}

async function ours(o: AdderOverrides): Promise<AdderSummary> {
  return (await runAdder(resolveAdderConfig(o), { quiet: true })).summary!;
}

export async function run(args: string[]): Promise<void> {
  const o = { seeds: 3, peer: true, theta: true, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--seeds') o.seeds = Math.max(1, Number(args[++i]));
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--no-theta') o.theta = false;
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`bench adder: unknown option ${a}`);
  }
  const log = (s: string) => {
    if (!o.quiet) console.error(s);
  };
  const load0 = loadavg();
  const havePeer = o.peer && peerAvailable();
  if (o.peer && !havePeer) log('bench adder: /usr/bin/python3 with torch or the peer adder.py is missing: peer columns skipped');

  // 1. the seed's RewardNet run
  log('peer rewardnet_bce(600)… (minutes)');
  const peerBce = havePeer ? callPeer<{ acc_after_300: number; greedy_abs_err_after: number; train_wall_s: number; eval300_wall_s: number }>('rewardnet_bce(600)') : null;
  log('ours --preset seed…');
  const oursSeed: AdderSummary[] = [];
  for (let seed = 0; seed < o.seeds; seed++) oursSeed.push(await ours({ preset: 'seed', seed }));
  // 2. the θ run
  let peerTheta: { mse_after: number; train_wall_s: number; theta: number[] } | null = null;
  if (havePeer && o.theta) {
    log('peer theta_experiment(200)…');
    peerTheta = callPeer('theta_experiment(200)');
  }
  // 3. our defaults
  log('ours default (linear) and --model mlp…');
  const oursLinear: AdderSummary[] = [];
  const oursMlp: AdderSummary[] = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    oursLinear.push(await ours({ seed }));
    oursMlp.push(await ours({ seed, model: 'mlp' }));
  }

  const pick = (rows: AdderSummary[]) => ({
    rows: rows.map((s) => ({ seed: s.seed, preference_accuracy: s.preference_accuracy, random_pair_accuracy: s.random_pair_accuracy, action_mse: s.action_mse, action_mae: s.action_mae, labels: s.labels, seconds: s.seconds })),
    median_accuracy: median(rows.map((s) => s.preference_accuracy)),
    median_mse: median(rows.map((s) => s.action_mse)),
    median_seconds: median(rows.map((s) => s.seconds)),
    seeds_meeting_targets: rows.filter((s) => s.targets_met === 1).length,
  });
  const result = {
    machine: { loadavg_start: load0, loadavg_end: loadavg(), note: 'shared 2-core machine, other helpers running: timings are noisy' },
    targets: ADDER_TARGETS,
    seed_rewardnet: {
      ours: pick(oursSeed),
      peer: peerBce && { preference_accuracy: peerBce.acc_after_300, action_mae: peerBce.greedy_abs_err_after, train_seconds: peerBce.train_wall_s, eval_seconds: peerBce.eval300_wall_s },
      wall_ratio_peer_over_ours: peerBce ? peerBce.train_wall_s / median(oursSeed.map((s) => s.seconds)) : null,
      note: "ours.seconds covers training and the periodic held-out evaluations; the peer's train_wall_s covers training only",
    },
    theta: {
      ours_linear_default: pick(oursLinear),
      peer: peerTheta && { mse_printed: peerTheta.mse_after, mse: peerTheta.mse_after * 5, train_seconds: peerTheta.train_wall_s, theta: peerTheta.theta, epochs: 200, pairs: 4000 },
      wall_ratio_peer_over_ours: peerTheta ? peerTheta.train_wall_s / median(oursLinear.map((s) => s.seconds)) : null,
    },
    ours_mlp: pick(oursMlp),
  };

  const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  console.log('\nadder — the seed RewardNet run (600 epochs × 10 pairs)');
  console.log(`  peer:  accuracy ${f(peerBce?.acc_after_300)}  |a+b−x| ${f(peerBce?.greedy_abs_err_after)}  train ${f(peerBce?.train_wall_s, 1)} s`);
  console.log(`  ours:  accuracy ${f(result.seed_rewardnet.ours.median_accuracy)}  |a+b−x| ${f(median(oursSeed.map((s) => s.action_mae)))}  ${f(result.seed_rewardnet.ours.median_seconds, 2)} s (median of ${o.seeds} seeds)  → peer/ours ${f(result.seed_rewardnet.wall_ratio_peer_over_ours, 1)}×`);
  console.log('\nadder — linear in the two features');
  console.log(`  peer θ run (200 epochs × 20 pairs): MSE ${f(peerTheta ? peerTheta.mse_after * 5 : null, 4)}  train ${f(peerTheta?.train_wall_s, 1)} s`);
  console.log(
    `  ours default (${oursLinear[0]?.epochs} epochs × 10 pairs): accuracy ${f(result.theta.ours_linear_default.median_accuracy)}  MSE ${f(result.theta.ours_linear_default.median_mse, 4)}  ${f(result.theta.ours_linear_default.median_seconds, 2)} s; targets met ${result.theta.ours_linear_default.seeds_meeting_targets}/${o.seeds}  → peer/ours ${f(result.theta.wall_ratio_peer_over_ours, 1)}×`,
  );
  console.log(`\nours --model mlp: accuracy ${oursMlp.map((s) => f(s.preference_accuracy)).join(' ')}, MSE ${oursMlp.map((s) => f(s.action_mse, 4)).join(' ')}, median ${f(result.ours_mlp.median_seconds, 2)} s; targets met ${result.ours_mlp.seeds_meeting_targets}/${o.seeds}`);
  console.log(`load average ${load0.map((v) => v.toFixed(1)).join(' ')} → ${loadavg().map((v) => v.toFixed(1)).join(' ')} (shared machine: noisy)`);
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'adder.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench/results/adder.json');
}
