/**
 * Digits benchmark: conditional-VAE training, `epochs` epochs on `train` Fashion-MNIST images with batch `batch`
 * (default 3 × 15,000 × 256, the peer's setting), ours vs the PyTorch peer (../shared/peers/digits.py with
 * OpenBLAS) in the same run.
 *
 *   npm run bench -- digits [--epochs 3] [--train 15000] [--batch 256] [--repeats 1] [--no-peer] [--no-wasm] [--profile] [--quiet]
 *
 * Ours runs in two configurations: "native" (tfjs-wasm with matmuls on the native BLAS addon, src/core/nativeBlas.ts,
 * when native/ is built) and "wasm" (tfjs-wasm alone, with the digits domain's transposed-matmul fix). The peer is
 * `/usr/bin/python3 digits.py` with LD_LIBRARY_PATH at OpenBLAS (OPENBLAS_NUM_THREADS=2); we read its
 * "Epoch k: loss=… (T s)" lines and stop it after the last VAE epoch (the rest of the script is not benchmarked).
 * Runs alternate ours/peer `repeats` times; we report medians of the per-run totals and their ratio.
 * The machine is shared: the load average at start and end is recorded beside the numbers.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tf, initTensors } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
import { disableNativeBlas, enableNativeBlas, nativeBlasStatus } from '../src/core/nativeBlas.js';
import { DEFAULT_DATA_DIR, loadIdxDir, oneHot, seededSplit } from '../src/domains/digits/data.js';
import { installFastTransposedMatMul } from '../src/domains/digits/kernels.js';
import { CondVae, DEFAULT_VAE_SHAPE } from '../src/domains/digits/vae.js';
import { trainVae } from '../src/domains/digits/train.js';
import { disposeParams } from '../src/domains/digits/nn.js';
import { TensorAdam } from '../src/optim/tensorAdam.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TORCH_PYTHON = '/usr/bin/python3';
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

interface Options {
  epochs: number;
  train: number;
  batch: number;
  repeats: number;
  peer: boolean;
  wasm: boolean;
  profile: boolean;
  quiet: boolean;
}

function parseOptions(args: string[]): Options {
  const o: Options = { epochs: 3, train: 15000, batch: 256, repeats: 1, peer: true, wasm: true, profile: false, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const int = (): number => {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`bench digits: ${a} needs a positive integer, got ${args[i]}`);
      return v;
    };
    if (a === '--epochs') o.epochs = int();
    else if (a === '--train') o.train = int();
    else if (a === '--batch') o.batch = int();
    else if (a === '--repeats') o.repeats = int();
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--no-wasm') o.wasm = false;
    else if (a === '--profile') o.profile = true;
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`bench digits: unknown option ${a}`);
  }
  return o;
}

interface EpochRun {
  /** seconds per epoch */
  epochs: number[];
  total: number;
  /** CPU seconds (all threads of the process) per epoch: less sensitive than wall time to other jobs on the machine */
  cpu: number[];
  /** loss per epoch (negative ELBO per image) */
  losses: number[];
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Our VAE training, timed per epoch (data loading and init excluded, as the peer's). */
function runOurs(train: ReturnType<typeof loadIdxDir>['train'], o: Options, seed: number): EpochRun {
  const rng = new Rng(seed);
  const vae = new CondVae(DEFAULT_VAE_SHAPE, rng);
  const opt = new TensorAdam(vae.variables, { lr: 1e-3 });
  const epochs: number[] = [];
  const cpu: number[] = [];
  const losses: number[] = [];
  for (let e = 0; e < o.epochs; e++) {
    const t = performance.now();
    const c = process.cpuUsage();
    losses.push(...trainVae(vae, train, { epochs: 1, batch: o.batch, lr: 1e-3, lossEvery: 5 }, rng, opt));
    epochs.push((performance.now() - t) / 1000);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1e6);
  }
  disposeParams(vae.params);
  return { epochs, total: epochs.reduce((a, b) => a + b, 0), cpu, losses };
}

/** Per-kernel milliseconds of one training step (tf.profile), largest first. */
async function profileStep(train: ReturnType<typeof loadIdxDir>['train'], batch: number): Promise<Array<{ kernel: string; ms: number; calls: number }>> {
  const rng = new Rng(1);
  const vae = new CondVae(DEFAULT_VAE_SHAPE, rng);
  const opt = new TensorAdam(vae.variables, { lr: 1e-3 });
  const x = tf.tensor2d(train.images.subarray(0, batch * train.dim), [batch, train.dim]);
  const y = tf.tensor2d(oneHot(train.labels.subarray(0, batch)), [batch, 10]);
  const eps = tf.tensor2d(rng.normalArray(batch * DEFAULT_VAE_SHAPE.zDim), [batch, DEFAULT_VAE_SHAPE.zDim]);
  const step = () => opt.minimize(() => vae.loss(x, y, eps, { exact: false }).loss, false);
  step();
  step();
  const info = await tf.profile(() => {
    step();
  });
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls++;
    by.set(k.name, e);
  }
  tf.dispose([x, y, eps]);
  disposeParams(vae.params);
  return [...by.entries()].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
}

function peerPath(): string {
  const candidates = [process.env.RLHF_PEERS ? join(process.env.RLHF_PEERS, 'digits.py') : '', resolve(HERE, '../../shared/peers/digits.py'), '/work/shared/peers/digits.py'];
  const p = candidates.find((c) => c !== '' && existsSync(c));
  if (!p) throw new Error(`bench digits: the peer digits.py was not found (looked in ${candidates.filter(Boolean).join(', ')}); set RLHF_PEERS or pass --no-peer`);
  return p;
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat; NaN if unreadable. */
function procCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

/** Runs the peer until its last VAE epoch line, then stops it. */
function runPeer(o: Options): Promise<EpochRun> {
  const script = peerPath();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TORCH_PYTHON, ['-u', script], {
      cwd: dirname(script),
      env: { ...process.env, LD_LIBRARY_PATH: OPENBLAS_DIR, OPENBLAS_NUM_THREADS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const epochs: number[] = [];
    const cpu: number[] = [];
    const losses: number[] = [];
    let cpuMark = Number.NaN;
    let stderr = '';
    let finished = false;
    const timer = setTimeout(() => {
      if (!finished) {
        child.kill('SIGKILL');
        reject(new Error('bench digits: the peer did not finish its VAE epochs within 600 s'));
      }
    }, 600_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('Train/Valid shapes')) cpuMark = procCpuSeconds(child.pid);
      const m = /^Epoch (\d+): loss=([\d.]+)\s+\(([\d.]+)s\)/.exec(line);
      if (!m) return;
      const now = procCpuSeconds(child.pid);
      cpu.push(now - cpuMark); // the first epoch also holds the model's construction (milliseconds)
      cpuMark = now;
      losses.push(Number(m[2]));
      epochs.push(Number(m[3]));
      if (epochs.length === 3 && !finished) {
        // the peer trains exactly 3 epochs (train_vae(3, 256)); the rest of its script is not timed here
        finished = true;
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolvePromise({ epochs, total: epochs.reduce((a, b) => a + b, 0), cpu, losses });
      }
    });
    child.on('exit', (code) => {
      if (!finished) {
        finished = true;
        clearTimeout(timer);
        reject(new Error(`bench digits: the peer exited (${code}) before 3 VAE epochs:\n${stderr.slice(-2000)}`));
      }
    });
  });
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  if (o.peer && (o.epochs !== 3 || o.train !== 15000 || o.batch !== 256))
    throw new Error('bench digits: the peer trains 3 epochs on 15000 images with batch 256; use those values or --no-peer');
  const load0 = loadavg();
  await initTensors('wasm'); // registers the native BLAS matmul when native/ is built
  const native = nativeBlasStatus();
  const { train: full } = loadIdxDir(DEFAULT_DATA_DIR);
  const train = seededSplit(full, [o.train], new Rng(123)).parts[0]!;
  const log = (s: string) => {
    if (!o.quiet) process.stderr.write(`${s}\n`);
  };

  const results: Record<string, EpochRun[]> = { native: [], wasm: [], peer: [] };
  let profile: Record<string, Array<{ kernel: string; ms: number; calls: number }>> = {};
  for (let r = 0; r < o.repeats; r++) {
    if (native.enabled) {
      enableNativeBlas();
      log(`run ${r + 1}/${o.repeats}: ours (native BLAS)…`);
      results.native!.push(runOurs(train, o, 7 + r));
    }
    if (o.wasm) {
      disableNativeBlas();
      installFastTransposedMatMul(); // wraps the plain wasm kernels (idempotent)
      log(`run ${r + 1}/${o.repeats}: ours (wasm)…`);
      results.wasm!.push(runOurs(train, o, 7 + r));
      if (native.enabled) enableNativeBlas();
    }
    if (o.peer) {
      log(`run ${r + 1}/${o.repeats}: peer (PyTorch + OpenBLAS)…`);
      results.peer!.push(await runPeer(o));
    }
  }
  if (o.profile) {
    if (native.enabled) profile.native = await profileStep(train, o.batch);
    if (o.wasm) {
      disableNativeBlas();
      profile.wasm = await profileStep(train, o.batch);
      if (native.enabled) enableNativeBlas();
    }
  }
  const load1 = loadavg();

  const summarize = (runs: EpochRun[]) =>
    runs.length === 0
      ? null
      : {
          total_seconds_median: median(runs.map((x) => x.total)),
          epoch_seconds_median: median(runs.flatMap((x) => x.epochs)),
          cpu_seconds_median: median(runs.map((x) => x.cpu.reduce((a, b) => a + b, 0))),
          runs: runs.map((x) => ({
            epoch_seconds: x.epochs.map((v) => +v.toFixed(3)),
            total_seconds: +x.total.toFixed(3),
            cpu_seconds: x.cpu.map((v) => +v.toFixed(2)),
            loss_per_epoch: x.losses.map((v) => +v.toFixed(2)),
          })),
        };
  const ours = { native: summarize(results.native!), wasm: summarize(results.wasm!) };
  const peer = summarize(results.peer!);
  const ratio = (x: { total_seconds_median: number } | null) => (x && peer ? x.total_seconds_median / peer.total_seconds_median : null);
  const cpuRatio = (x: { cpu_seconds_median: number } | null) => (x && peer ? x.cpu_seconds_median / peer.cpu_seconds_median : null);
  const out = {
    task: `conditional VAE (784+10→400→16; 16+10→400→784), ${o.epochs} epochs × ${o.train} images, batch ${o.batch}, Adam 1e-3`,
    ours,
    peer: peer ? { ...peer, command: `LD_LIBRARY_PATH=${OPENBLAS_DIR} OPENBLAS_NUM_THREADS=2 ${TORCH_PYTHON} digits.py (VAE epochs only)` } : null,
    ratio_native_over_peer: ratio(ours.native),
    ratio_wasm_over_peer: ratio(ours.wasm),
    cpu_ratio_native_over_peer: cpuRatio(ours.native),
    cpu_ratio_wasm_over_peer: cpuRatio(ours.wasm),
    target: 'ratio ≤ 1.0 against the OpenBLAS peer',
    native_blas: { enabled: native.enabled, reason: native.reason, threads: native.threads, blas: native.blas },
    profile,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavgStart: load0, loadavgEnd: load1, node: process.version },
    date: new Date().toISOString(),
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', 'digits.json'), `${JSON.stringify(out, null, 2)}\n`);

  const fmt = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
  const rows: Array<string[]> = [
    ['ours, native BLAS', fmt(ours.native?.total_seconds_median), fmt(ours.native?.epoch_seconds_median), fmt(out.ratio_native_over_peer), fmt(ours.native?.cpu_seconds_median, 1), fmt(out.cpu_ratio_native_over_peer), fmt(results.native!.at(-1)?.losses.at(-1), 1)],
    ['ours, wasm only', fmt(ours.wasm?.total_seconds_median), fmt(ours.wasm?.epoch_seconds_median), fmt(out.ratio_wasm_over_peer), fmt(ours.wasm?.cpu_seconds_median, 1), fmt(out.cpu_ratio_wasm_over_peer), fmt(results.wasm!.at(-1)?.losses.at(-1), 1)],
    ['peer, PyTorch + OpenBLAS', fmt(peer?.total_seconds_median), fmt(peer?.epoch_seconds_median), peer ? '1.00' : 'n/a', fmt(peer?.cpu_seconds_median, 1), peer ? '1.00' : 'n/a', fmt(results.peer!.at(-1)?.losses.at(-1), 1)],
  ];
  console.log(`digits VAE training: ${o.epochs} epochs × ${o.train} images, batch ${o.batch}; medians of ${o.repeats} run(s); load ${load0.map((v) => v.toFixed(1)).join(' ')} → ${load1.map((v) => v.toFixed(1)).join(' ')}`);
  console.log('| configuration | total s (wall) | s/epoch | ratio vs peer | CPU s | CPU ratio | epoch-3 loss (sampled) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  for (const [mode, p] of Object.entries(profile)) {
    const total = p.reduce((s, k) => s + k.ms, 0);
    console.log(`\nprofile of one step (${mode}): ${total.toFixed(1)} ms in kernels; top: ${p.slice(0, 8).map((k) => `${k.kernel} ${k.ms.toFixed(1)} ms ×${k.calls}`).join(', ')}`);
  }
  console.log(`\nwrote bench/results/digits.json`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
