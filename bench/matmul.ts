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
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tf, initTensors } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
import { enableNativeBlas, disableNativeBlas, nativeBlasStatus, setNativeBlasThreads } from '../src/core/nativeBlas.js';
import { createProgress } from '../src/loop/progress.js';
import { TensorAdam } from '../src/optim/tensorAdam.js';

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
  const opt = new TensorAdam([w1, b1, w2, b2], { lr: 1e-3 });
  const loss = (): tf.Scalar => {
    const h = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' }); // [B, 400]
    const out = tf.fused.matMul({ a: h, b: w2, bias: b2 }); // [B, 32]
    return tf.losses.meanSquaredError(y, out) as tf.Scalar; // mean (out − y)²
  };
  // forward 2·B·(784·400 + 400·32); backward: dW1, dW2, dX of layer 2 (layer 1's dX is not needed but tfjs computes it)
  const fwd = 2 * B * (dims[0]! * dims[1]! + dims[1]! * dims[2]!);
  return {
    step: () => {
      opt.minimize(loss, true); // reads the loss back, as the peer's loss.item()
    },
    dispose: () => {
      tf.dispose([x, y, w1, b1, w2, b2]);
    },
    flops: 3 * fwd,
  };
}

/**
 * The PyTorch + OpenBLAS peer (2 threads) as a persistent child process: it builds the same operands once, then
 * times one block on request, so its blocks interleave with ours and see the same machine load.
 */
class TorchPeer {
  private lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly blas: string) {}

  static async start(list: Shape[], minMs: number): Promise<TorchPeer> {
    const script = `
import json, sys, time, torch
torch.set_num_threads(2)
cfg = json.loads(sys.argv[1])
def block(f, min_ms):
    f(); f()
    n = 0; t0 = time.perf_counter(); t = t0
    while n < 3 or (t - t0) * 1e3 < min_ms:
        f(); n += 1; t = time.perf_counter()
    return (t - t0) * 1e3 / n
tensors = []
for s in cfg["shapes"]:
    a = torch.randn(*s["a"]); b = torch.randn(*s["b"])
    if s["transposeA"]: a = a.transpose(-1, -2)   # a view: BLAS gets a transposed operand, as tfjs's transposeA
    if s["transposeB"]: b = b.transpose(-1, -2)
    tensors.append((a, b))
torch.manual_seed(0)
x = torch.randn(256, 784); y = torch.randn(256, 32)
model = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.ReLU(), torch.nn.Linear(400, 32))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
def step():
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward(); opt.step(); loss.item()
blas = " ".join(l.strip() for l in torch.__config__.show().splitlines() if "BLAS" in l)[:300]
print(json.dumps({"ready": True, "blas": blas}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "mm":
        a, b = tensors[req["i"]]
        ms = block(lambda: torch.matmul(a, b), req["minMs"])
    else:
        ms = block(step, req["minMs"])
    print(json.dumps({"ms": ms}), flush=True)
`;
    const child = spawn(TORCH_PYTHON, ['-c', script, JSON.stringify({ shapes: list, minMs })], {
      env: { ...process.env, LD_LIBRARY_PATH: OPENBLAS_DIR },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const peer = new TorchPeer(child, '');
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (peer.waiting) {
        const w = peer.waiting;
        peer.waiting = undefined;
        w(line);
      } else peer.lines.push(line);
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${TORCH_PYTHON} exited (${code}): ${stderr.split('\n').slice(-3).join(' ')}`))));
    exited.catch(() => {});
    const first = await Promise.race([peer.next(), exited]);
    const ready = JSON.parse(first) as { ready: boolean; blas: string };
    return Object.assign(peer, { blas: ready.blas });
  }

  private next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** ms per call of one block: op 'mm' times shape i, op 'mlp' the MLP step. */
  async time(op: 'mm' | 'mlp', i: number, minMs: number): Promise<number> {
    this.child.stdin.write(JSON.stringify({ op, i, minMs }) + '\n');
    return (JSON.parse(await this.next()) as { ms: number }).ms;
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/**
 * Times `body` with the original wasm kernels, then with the native ones, then (optionally) the torch peer's
 * block — alternating, `repeats` times — and returns the medians.
 */
async function compare(
  body: () => void, opts: Options, fl: number, onRep: () => void, peer?: () => Promise<number>,
): Promise<{ wasm: Timing; native: Timing; native1: Timing; torch?: Timing }> {
  const w: number[] = [];
  const n: number[] = [];
  const n1: number[] = [];
  const t: number[] = [];
  const threads = nativeBlasStatus().threads;
  for (let r = 0; r < opts.repeats; r++) {
    disableNativeBlas();
    w.push(timeBlock(body, opts.minMs));
    enableNativeBlas({ minFlops: 0 });
    n.push(timeBlock(body, opts.minMs));
    setNativeBlasThreads(1); // the same with one OpenBLAS thread: what a data-parallel worker would get
    n1.push(timeBlock(body, opts.minMs));
    setNativeBlasThreads(threads);
    if (peer) t.push(await peer());
    onRep();
  }
  return { wasm: timing(w, fl), native: timing(n, fl), native1: timing(n1, fl), torch: peer ? timing(t, fl) : undefined };
}

/** Crossover: µs per call of small square products, plain and with transposeB, wasm vs native. */
async function crossover(opts: Options, rng: Rng): Promise<Array<{ n: number; transposeB: boolean; wasmUs: number; nativeUs: number }>> {
  const rows: Array<{ n: number; transposeB: boolean; wasmUs: number; nativeUs: number }> = [];
  for (const transposeB of [false, true])
    for (const n of [4, 8, 16, 32, 64, 128]) {
      const a = tf.tensor(rng.normalArray(n * n, 1), [n, n]);
      const b = tf.tensor(rng.normalArray(n * n, 1), [n, n]);
      const f = (): void => tf.matMul(a, b, false, transposeB).dispose();
      const t = await compare(f, { ...opts, minMs: Math.min(opts.minMs, 60) }, 2 * n ** 3, () => {});
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
  let peer: TorchPeer | undefined;
  let peerError = opts.torch ? '' : 'skipped (--no-torch)';
  if (opts.torch) {
    try {
      peer = await TorchPeer.start(list, opts.minMs);
    } catch (e) {
      peerError = e instanceof Error ? e.message : String(e);
    }
  }
  const total = list.length * opts.repeats + opts.repeats + 1;
  const progress = createProgress('bench matmul', total, { quiet: opts.quiet });
  let done = 0;
  const tick = (): void => progress.update(++done);

  try {
    // 1) single products: wasm block, native block, torch block, × repeats
    const ours: Array<{ wasm: Timing; native: Timing; native1: Timing; torch?: Timing }> = [];
    for (const [i, s] of list.entries()) {
      const a = tf.tensor(rng.normalArray(s.a.reduce((p, d) => p * d, 1), 1), s.a);
      const b = tf.tensor(rng.normalArray(s.b.reduce((p, d) => p * d, 1), 1), s.b);
      const torchBlock = peer ? (): Promise<number> => peer!.time('mm', i, opts.minMs) : undefined;
      ours.push(await compare(() => tf.matMul(a, b, s.transposeA, s.transposeB).dispose(), opts, flops(s), tick, torchBlock));
      tf.dispose([a, b]);
    }

    // 2) a full training step (forward, backward, Adam) of the 784-400-32 MLP at batch 256
    const live = tf.memory().numTensors;
    const mlp = mlpStep(rng);
    const mlpMinMs = Math.max(opts.minMs, 300);
    const mlpT = await compare(mlp.step, { ...opts, minMs: mlpMinMs }, mlp.flops, tick, peer ? () => peer!.time('mlp', 0, mlpMinMs) : undefined);
    mlp.dispose();
    if (tf.memory().numTensors !== live) throw new Error(`bench matmul: the MLP step leaked ${tf.memory().numTensors - live} tensors`);

    // 3) the crossover behind nativeBlas's minFlops
    const cross = await crossover(opts, rng);
    tick();
    progress.stop();
    const load1 = loadavg();

    // report
    const rows = list.map((s, i) => {
      const o = ours[i]!;
      return {
        shape: s.name,
        a: s.a,
        b: s.b,
        transposeA: s.transposeA,
        transposeB: s.transposeB,
        flops: flops(s),
        wasm: o.wasm,
        native: o.native,
        native1Thread: o.native1,
        torch: o.torch,
        nativeSpeedup: o.wasm.ms / o.native.ms,
        nativeVsTorch: o.torch ? o.native.ms / o.torch.ms : undefined,
      };
    });
    console.log(`\nmatmul GFLOP/s (median of ${opts.repeats} interleaved ≥${opts.minMs} ms blocks). BLAS: ${status.blas}, ${status.threads} threads`);
    console.log(`| product | wasm | native | native, 1 thread | torch+OpenBLAS | native ÷ wasm speed | native time ÷ torch time |`);
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows)
      console.log(`| ${r.shape} | ${f1(r.wasm.gflops)} | ${f1(r.native.gflops)} | ${f1(r.native1Thread.gflops)} | ${r.torch ? f1(r.torch.gflops) : '–'} | ${r.nativeSpeedup.toFixed(1)}× | ${r.nativeVsTorch !== undefined ? r.nativeVsTorch.toFixed(2) + '×' : '–'} |`);
    const tMlp = mlpT.torch?.ms;
    console.log(`\nMLP 784-400-32, batch 256, one Adam step (ms, median): wasm ${mlpT.wasm.ms.toFixed(2)} · native ${mlpT.native.ms.toFixed(2)} (1 thread ${mlpT.native1.ms.toFixed(2)}) · torch ${tMlp !== undefined ? tMlp.toFixed(2) : '–'}` +
      ` → native ÷ wasm speed ${(mlpT.wasm.ms / mlpT.native.ms).toFixed(1)}×${tMlp !== undefined ? `, native time ÷ torch time ${(mlpT.native.ms / tMlp).toFixed(2)}×` : ''}`);
    console.log('\ncrossover (µs per call, square n×n; median):');
    console.log('| n | transposeB | wasm µs | native µs |');
    console.log('| ---: | --- | ---: | ---: |');
    for (const c of cross) console.log(`| ${c.n} | ${c.transposeB} | ${f1(c.wasmUs)} | ${f1(c.nativeUs)} |`);
    if (peerError) console.log(`\ntorch peer: ${peerError}`);
    console.log(`\nload average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${load1.map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores, shared)`);

    const out = {
      date: new Date().toISOString(),
      options: opts,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavgStart: load0, loadavgEnd: load1, node: process.version },
      native: { blas: status.blas, threads: status.threads, openblasNumThreads: process.env.OPENBLAS_NUM_THREADS ?? null },
      torch: peer ? { blas: peer.blas, python: TORCH_PYTHON, ldLibraryPath: OPENBLAS_DIR } : { error: peerError },
      matmul: rows,
      mlpStep: {
        model: '784-400-32 relu MLP, MSE, Adam, batch 256',
        wasm: mlpT.wasm,
        native: mlpT.native,
        native1Thread: mlpT.native1,
        torch: mlpT.torch,
        nativeSpeedup: mlpT.wasm.ms / mlpT.native.ms,
        nativeVsTorch: tMlp !== undefined ? mlpT.native.ms / tMlp : undefined,
      },
      crossover: cross,
    };
    const dir = join(HERE, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'matmul.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(`\nwrote ${join(dir, 'matmul.json')}`);
  } finally {
    peer?.stop();
    disableNativeBlas();
    enableNativeBlas();
  }
}

// direct use: npx tsx bench/matmul.ts [options]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
