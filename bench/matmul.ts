/**
 * Matmul throughput: tfjs-wasm (one thread) vs the native BLAS kernels (src/core/nativeBlas.ts, OpenBLAS) vs
 * PyTorch + OpenBLAS (the peers' yardstick), in the same run; plus a full training step of a 784-400-32 MLP.
 *
 *   npm run bench -- matmul [--repeats 5] [--min-ms 200] [--no-torch] [--quick] [--quiet]
 *   npx tsx bench/matmul.ts …   (same, without the dispatcher)
 *
 * Each measurement is a block of back-to-back calls lasting ≥ min-ms (after 2 warm-up calls); wasm and native
 * blocks alternate, `repeats` times, and we report the median. Writes bench/results/matmul.json.
 * The machine is shared: the load average at start and end is recorded beside the numbers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tf, initTensors } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
import { enableNativeBlas, disableNativeBlas, nativeBlasStatus } from '../src/core/nativeBlas.js';
import { createProgress } from '../src/loop/progress.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TORCH_PYTHON = '/usr/bin/python3';
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

/** One product: a [batch…, M, K] × b [batch…, K, N] (transposes swap the stored last two dims). */
interface Shape {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

interface Timing {
  /** median milliseconds per call over the repeats */
  ms: number;
  gflops: number;
  /** every repeat's ms per call */
  samples: number[];
}

interface Options {
  repeats: number;
  minMs: number;
  torch: boolean;
  quick: boolean;
  quiet: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = { repeats: 5, minMs: 200, torch: true, quick: false, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const num = (): number => {
      const v = Number(args[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`bench matmul: ${a} needs a positive number, got ${args[i]}`);
      return v;
    };
    if (a === '--repeats') o.repeats = Math.round(num());
    else if (a === '--min-ms') o.minMs = num();
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--quick') o.quick = true;
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`bench matmul: unknown option ${a} (options: --repeats N, --min-ms MS, --no-torch, --quick, --quiet)`);
  }
  if (o.quick) {
    o.repeats = Math.min(o.repeats, 3);
    o.minMs = Math.min(o.minMs, 80);
  }
  return o;
}

const mm = (name: string, a: number[], b: number[], transposeA = false, transposeB = false): Shape => ({ name, a, b, transposeA, transposeB });

/** The shapes the brief asks for, the VAE's (batch 256) with their gradient products, and GPT-2's. */
function shapes(quick: boolean): Shape[] {
  const list = [
    mm('256²', [256, 256], [256, 256]),
    mm('512²', [512, 512], [512, 512]),
    mm('512² Aᵀ (dW of a layer)', [512, 512], [512, 512], true, false),
    mm('512² Bᵀ (dX of a layer)', [512, 512], [512, 512], false, true),
    mm('1024²', [1024, 1024], [1024, 1024]),
    mm('768×768 · 768×3072 (GPT-2 MLP, 768 tokens)', [768, 768], [768, 3072]),
    mm('[64,784]·[784,400]', [64, 784], [784, 400]),
    mm('VAE enc [256,794]·[794,400]', [256, 794], [794, 400]),
    mm('VAE enc dW [256,794]ᵀ·[256,400]', [256, 794], [256, 400], true, false),
    mm('VAE enc dX [256,400]·[794,400]ᵀ', [256, 400], [794, 400], false, true),
    mm('VAE dec [256,400]·[400,784]', [256, 400], [400, 784]),
    mm('GPT-2 c_attn, 16 tokens [16,768]·[768,2304]', [16, 768], [768, 2304]),
    mm('GPT-2 attention [192,48,64]·[192,48,64]ᵀ', [192, 48, 64], [192, 48, 64], false, true),
  ];
  return quick ? list.filter((s) => !s.name.startsWith('1024') && !s.name.startsWith('768×')) : list;
}

function flops(s: Shape): number {
  const ra = s.a.length;
  const M = s.transposeA ? s.a[ra - 1]! : s.a[ra - 2]!;
  const K = s.transposeA ? s.a[ra - 2]! : s.a[ra - 1]!;
  const rb = s.b.length;
  const N = s.transposeB ? s.b[rb - 2]! : s.b[rb - 1]!;
  const batch = Math.max(s.a.slice(0, -2).reduce((p, d) => p * d, 1), s.b.slice(0, -2).reduce((p, d) => p * d, 1));
  return 2 * batch * M * N * K; // one multiply + one add per term
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** ms per call of f: 2 warm-up calls, then calls until minMs has passed (at least 3). */
function timeBlock(f: () => void, minMs: number): number {
  f();
  f();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (n < 3 || t - t0 < minMs) {
    f();
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

const timing = (samples: number[], fl: number): Timing => {
  const ms = median(samples);
  return { ms, gflops: fl / (ms * 1e6), samples };
};

/** Runs `body` once with the original wasm kernels and once with the native ones, alternating, `repeats` times. */
function wasmVsNative(body: () => void, opts: Options, fl: number, onRep: () => void): { wasm: Timing; native: Timing } {
  const w: number[] = [];
  const n: number[] = [];
  for (let r = 0; r < opts.repeats; r++) {
    disableNativeBlas();
    w.push(timeBlock(body, opts.minMs));
    enableNativeBlas({ minFlops: 0 });
    n.push(timeBlock(body, opts.minMs));
    onRep();
  }
  return { wasm: timing(w, fl), native: timing(n, fl) };
}

/** The MLP of the brief: x [256, 784] → relu(x W1 + b1) [256, 400] → h W2 + b2 [256, 32], MSE to a target, Adam. */
function mlpStep(rng: Rng): { step: () => void; dispose: () => void; flops: number } {
  const B = 256;
  const dims = [784, 400, 32];
  const x = tf.tensor(rng.normalArray(B * dims[0]!, 1), [B, dims[0]!]);
  const y = tf.tensor(rng.normalArray(B * dims[2]!, 1), [B, dims[2]!]);
  const param = (init: tf.Tensor): tf.Variable => {
    const v = tf.variable(init);
    init.dispose(); // the variable holds its own reference
    return v;
  };
  const w1 = param(tf.tensor(rng.normalArray(dims[0]! * dims[1]!, Math.sqrt(2 / dims[0]!)), [dims[0]!, dims[1]!]));
  const b1 = param(tf.zeros([dims[1]!]));
  const w2 = param(tf.tensor(rng.normalArray(dims[1]! * dims[2]!, Math.sqrt(1 / dims[1]!)), [dims[1]!, dims[2]!]));
  const b2 = param(tf.zeros([dims[2]!]));
  const opt = tf.train.adam(1e-3);
  const loss = (): tf.Scalar => {
    const h = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' }); // [B, 400]
    const out = tf.fused.matMul({ a: h, b: w2, bias: b2 }); // [B, 32]
    return tf.losses.meanSquaredError(y, out) as tf.Scalar; // mean (out − y)²
  };
  // forward 2·B·(784·400 + 400·32); backward: dW1, dW2, dX of layer 2 (layer 1's dX is not needed but tfjs computes it)
  const fwd = 2 * B * (dims[0]! * dims[1]! + dims[1]! * dims[2]!);
  return {
    step: () => {
      const l = opt.minimize(loss, true);
      l?.dataSync();
      l?.dispose();
    },
    dispose: () => {
      opt.dispose();
      tf.dispose([x, y, w1, b1, w2, b2]);
    },
    flops: 3 * fwd,
  };
}

/** The same shapes and MLP step in PyTorch with OpenBLAS (2 threads), in a child process. */
function torchPeer(list: Shape[], opts: Options): { matmul: Timing[]; mlpStepMs: number; mlpSamples: number[]; blas: string } | { error: string } {
  const script = `
import json, sys, time, statistics, torch
torch.set_num_threads(2)
cfg = json.loads(sys.argv[1])
def block(f, min_ms):
    f(); f()
    n = 0; t0 = time.perf_counter(); t = t0
    while n < 3 or (t - t0) * 1e3 < min_ms:
        f(); n += 1; t = time.perf_counter()
    return (t - t0) * 1e3 / n
out = {"matmul": [], "blas": ""}
cfgs = torch.__config__.show()
out["blas"] = " ".join(l.strip() for l in cfgs.splitlines() if "BLAS" in l)[:300]
tensors = []
for s in cfg["shapes"]:
    a = torch.randn(*s["a"]); b = torch.randn(*s["b"])
    if s["transposeA"]: a = a.transpose(-1, -2)   # a view: BLAS sees a transposed operand, as tfjs's transposeA
    if s["transposeB"]: b = b.transpose(-1, -2)
    tensors.append((a, b))
samples = [[] for _ in tensors]
for r in range(cfg["repeats"]):
    for i, (a, b) in enumerate(tensors):
        samples[i].append(block(lambda: torch.matmul(a, b), cfg["minMs"]))
out["matmul"] = samples
torch.manual_seed(0)
x = torch.randn(256, 784); y = torch.randn(256, 32)
model = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.ReLU(), torch.nn.Linear(400, 32))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
def step():
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward(); opt.step(); loss.item()
out["mlp"] = [block(step, cfg["minMs"]) for _ in range(cfg["repeats"])]
print(json.dumps(out))
`;
  const env = { ...process.env, LD_LIBRARY_PATH: OPENBLAS_DIR };
  const r = spawnSync(TORCH_PYTHON, ['-c', script, JSON.stringify({ shapes: list, repeats: opts.repeats, minMs: opts.minMs })], {
    env,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) return { error: `${TORCH_PYTHON} failed (${r.status}): ${(r.stderr || String(r.error)).split('\n').slice(-3).join(' ')}` };
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop()!) as { matmul: number[][]; mlp: number[]; blas: string };
  return {
    matmul: parsed.matmul.map((samples, i) => timing(samples, flops(list[i]!))),
    mlpStepMs: median(parsed.mlp),
    mlpSamples: parsed.mlp,
    blas: parsed.blas,
  };
}

/** Crossover: µs per call of small square products, plain and with transposeB, wasm vs native. */
function crossover(opts: Options, rng: Rng): Array<{ n: number; transposeB: boolean; wasmUs: number; nativeUs: number }> {
  const rows: Array<{ n: number; transposeB: boolean; wasmUs: number; nativeUs: number }> = [];
  for (const transposeB of [false, true])
    for (const n of [4, 8, 16, 32, 64, 128]) {
      const a = tf.tensor(rng.normalArray(n * n, 1), [n, n]);
      const b = tf.tensor(rng.normalArray(n * n, 1), [n, n]);
      const f = (): void => tf.matMul(a, b, false, transposeB).dispose();
      const t = wasmVsNative(f, { ...opts, minMs: Math.min(opts.minMs, 60) }, 2 * n ** 3, () => {});
      rows.push({ n, transposeB, wasmUs: t.wasm.ms * 1e3, nativeUs: t.native.ms * 1e3 });
      tf.dispose([a, b]);
    }
  return rows;
}

const f1 = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export async function run(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const backend = await initTensors('wasm');
  if (backend !== 'wasm') throw new Error(`bench matmul needs the wasm backend, got ${backend}`);
  if (!enableNativeBlas({ minFlops: 0 })) {
    throw new Error(`bench matmul: the native BLAS addon is not active (${nativeBlasStatus().reason}); build it with \`npm run build:native\``);
  }
  const status = nativeBlasStatus();
  const load0 = loadavg();
  const rng = new Rng(7);
  const list = shapes(opts.quick);
  const total = list.length * opts.repeats + opts.repeats + 1;
  const progress = createProgress('bench matmul', total, { quiet: opts.quiet });
  let done = 0;
  const tick = (): void => progress.update(++done);

  // 1) single products
  const ours: Array<{ wasm: Timing; native: Timing }> = [];
  for (const s of list) {
    const a = tf.tensor(rng.normalArray(s.a.reduce((p, d) => p * d, 1), 1), s.a);
    const b = tf.tensor(rng.normalArray(s.b.reduce((p, d) => p * d, 1), 1), s.b);
    ours.push(wasmVsNative(() => tf.matMul(a, b, s.transposeA, s.transposeB).dispose(), opts, flops(s), tick));
    tf.dispose([a, b]);
  }

  // 2) a full training step (forward, backward, Adam) of the 784-400-32 MLP at batch 256
  const live = tf.memory().numTensors;
  const mlp = mlpStep(rng);
  const mlpT = wasmVsNative(mlp.step, { ...opts, minMs: Math.max(opts.minMs, 300) }, mlp.flops, tick);
  mlp.dispose();
  if (tf.memory().numTensors !== live) throw new Error(`bench matmul: the MLP step leaked ${tf.memory().numTensors - live} tensors`);

  // 3) the crossover that sets nativeBlas's minFlops
  const cross = crossover(opts, rng);
  tick();
  progress.stop();

  // 4) the PyTorch peer, same shapes, same process tree, right after
  const torch = opts.torch ? torchPeer(list, opts) : { error: 'skipped (--no-torch)' };
  const load1 = loadavg();
  disableNativeBlas();
  enableNativeBlas();

  // report
  const rows = list.map((s, i) => {
    const o = ours[i]!;
    const t = 'matmul' in torch ? torch.matmul[i]! : undefined;
    return {
      shape: s.name,
      a: s.a,
      b: s.b,
      transposeA: s.transposeA,
      transposeB: s.transposeB,
      flops: flops(s),
      wasm: o.wasm,
      native: o.native,
      torch: t,
      nativeSpeedup: o.wasm.ms / o.native.ms,
      nativeVsTorch: t ? o.native.ms / t.ms : undefined,
    };
  });
  console.log(`\nmatmul GFLOP/s (median of ${opts.repeats}; ≥${opts.minMs} ms blocks). BLAS: ${status.blas}, ${status.threads} threads`);
  console.log('| product | wasm | native | torch+OpenBLAS | native ÷ wasm speed | native time ÷ torch time |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(`| ${r.shape} | ${f1(r.wasm.gflops)} | ${f1(r.native.gflops)} | ${r.torch ? f1(r.torch.gflops) : '–'} | ${r.nativeSpeedup.toFixed(1)}× | ${r.nativeVsTorch !== undefined ? r.nativeVsTorch.toFixed(2) + '×' : '–'} |`);
  const tMlp = 'mlpStepMs' in torch ? torch.mlpStepMs : undefined;
  console.log(`\nMLP 784-400-32, batch 256, one Adam step (ms, median): wasm ${mlpT.wasm.ms.toFixed(2)} · native ${mlpT.native.ms.toFixed(2)} · torch ${tMlp !== undefined ? tMlp.toFixed(2) : '–'}` +
    ` → native ÷ wasm speed ${(mlpT.wasm.ms / mlpT.native.ms).toFixed(1)}×${tMlp !== undefined ? `, native time ÷ torch time ${(mlpT.native.ms / tMlp).toFixed(2)}×` : ''}`);
  console.log('\ncrossover (µs per call, square n×n; median):');
  console.log('| n | transposeB | wasm µs | native µs |');
  console.log('| ---: | --- | ---: | ---: |');
  for (const c of cross) console.log(`| ${c.n} | ${c.transposeB} | ${f1(c.wasmUs)} | ${f1(c.nativeUs)} |`);
  if ('error' in torch) console.log(`\ntorch peer: ${torch.error}`);
  console.log(`\nload average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${load1.map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores, shared)`);

  const out = {
    date: new Date().toISOString(),
    options: opts,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavgStart: load0, loadavgEnd: load1, node: process.version },
    native: { blas: status.blas, threads: status.threads, openblasNumThreads: process.env.OPENBLAS_NUM_THREADS ?? null },
    torch: 'blas' in torch ? { blas: torch.blas, python: TORCH_PYTHON, ldLibraryPath: OPENBLAS_DIR } : { error: torch.error },
    matmul: rows,
    mlpStep: {
      model: '784-400-32 relu MLP, MSE, Adam, batch 256',
      wasm: mlpT.wasm,
      native: mlpT.native,
      torch: tMlp !== undefined && 'mlpSamples' in torch ? { ms: tMlp, samples: torch.mlpSamples } : undefined,
      nativeSpeedup: mlpT.wasm.ms / mlpT.native.ms,
      nativeVsTorch: tMlp !== undefined ? mlpT.native.ms / tMlp : undefined,
    },
    crossover: cross,
  };
  const dir = join(HERE, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'matmul.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${join(dir, 'matmul.json')}`);
}

// direct use: npx tsx bench/matmul.ts [options]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
