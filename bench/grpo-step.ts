/**
 * One GRPO step on a SmolLM2-135M-shaped Llama (30 × 576, 9 heads, 3 KV heads, MLP 1536, V 49152, tied): full fine-tune and LoRA r16, vs the PyTorch peer.
 *
 *   npm run bench -- grpo-step [--mode full|lora|both] [--no-peer] [--profile] [--quick] [--micro 4]
 *
 * The same step as the peer (../shared/peers/llama_grpo_step.py, TRL GRPOTrainer semantics), phase by phase:
 *   generation                 4 random 16-token prompts × 8 completions, 32 new tokens, KV cache, pure sampling
 *   policy_old_logprob_scoring log π_old of the completions, no gradient, chunks of 8
 *   reference_scoring          log π_ref: the initial weights (full: kept as host arrays, uploaded for this pass, since
 *                              tfjs-wasm's heap ends at 4 GB) / adapters off (LoRA)
 *   rewards_advantages         reward = share of even token ids in the completion; A = (r − mean_g)/(std_g + 1e-4)
 *   optimisation               grpoStep (src/policy/grpo.ts): 4 shuffled minibatches of 8, loss "dapo", β 0.04,
 *                              ε 0.2, entropy computed for logging as TRL does, Adam (src/optim TensorAdam, no weight
 *                              decay) at 1e-6 (full) / 1e-5 (LoRA on q, k, v, o, gate, up, down; r 16, α 32), clip 1.0;
 *                              each minibatch goes through as 2 micro-batches of 4 with summed gradients (the same
 *                              update: tfjs-wasm's heap ends at 4 GB, and 8 × 48 tokens' tape reaches it)
 * Random weights N(0, 0.02) and rope θ 10000 as the peer. Each mode runs in its own child process so that its peak
 * RSS (VmHWM) is its own; the peer runs `--mode both` (two child processes too) in the same invocation with
 * LD_LIBRARY_PATH at OpenBLAS and 2 threads. The load average is recorded: the machine is shared. `--quick` shrinks
 * the model to 2 layers (a smoke test, not a benchmark); `--profile` adds tf.profile's kernels of one minibatch
 * forward + backward. Writes bench/results/grpo-step.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, initTensors } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
import { nativeBlasStatus } from '../src/core/nativeBlas.js';
import { resolveLlamaConfig, SMOLLM2_135M } from '../src/models/llama/config.js';
import { Llama } from '../src/models/llama/model.js';
import { generate } from '../src/models/generate.js';
import { causalLmPolicyForward } from '../src/models/policyForward.js';
import { TensorAdam } from '../src/optim/tensorAdam.js';
import { evaluateResponses } from '../src/policy/ppo.js';
import { groupAdvantages, grpoStep, resolveGRPOConfig } from '../src/policy/grpo.js';
import { batchFromGeneration } from '../src/domains/arithmetic/trainer.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** the peer: RLHF_PEERS_DIR, else the first shared/peers/ in a folder above this one (../shared from the checkout) */
function findPeer(): string {
  const name = 'llama_grpo_step.py';
  if (process.env.RLHF_PEERS_DIR) return resolve(process.env.RLHF_PEERS_DIR, name);
  for (let d = resolve(HERE, '..'); ; d = dirname(d)) {
    const p = join(d, '..', 'shared', 'peers', name);
    if (existsSync(p) || dirname(d) === d) return resolve(p);
  }
}
const PEER = findPeer();
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const PROMPTS = 4;
const G = 8;
const PROMPT_LEN = 16;
const NEW = 32;
const MB = 8;
/** rows per forward/backward pass (--micro): each minibatch of 8 as 2 × 4 with summed gradients (the same update, half the tape) */
let MICRO = 4;
const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

type Mode = 'full' | 'lora';
const PHASES = ['generation', 'policy_old_logprob_scoring', 'reference_scoring', 'rewards_advantages', 'optimisation'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  mode: Mode | 'both';
  peer: boolean;
  profile: boolean;
  quick: boolean;
  child: Mode | null;
  micro: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { mode: 'both', peer: true, profile: false, quick: false, child: null, micro: 4 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--mode' || a === '--child') {
      const v = args[++i];
      if (v !== 'full' && v !== 'lora' && (a === '--child' || v !== 'both')) throw new Error(`bench grpo-step: ${a} must be full or lora${a === '--mode' ? ' or both' : ''}, got ${v}`);
      if (a === '--mode') o.mode = v;
      else o.child = v as Mode;
    } else if (a === '--micro') {
      o.micro = Number(args[++i]);
      if (![1, 2, 4, 8].includes(o.micro)) throw new Error('bench grpo-step: --micro must be 1, 2, 4 or 8 (rows per forward/backward pass)');
    } else if (a === '--no-peer') o.peer = false;
    else if (a === '--profile') o.profile = true;
    else if (a === '--quick') o.quick = true;
    else throw new Error(`bench grpo-step: unknown option ${a}`);
  }
  return o;
}

/** Peak resident set of this process (Linux /proc), MB. */
function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The wasm backend's memory (WebAssembly.Memory), MB; NaN on another backend. */
function wasmMemoryMb(): number {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.byteLength / 2 ** 20 : Number.NaN;
}

interface OursResult {
  mode: Mode;
  params_total: number;
  params_trainable: number;
  seconds: Record<Phase | 'total', number>;
  cpu_seconds: Record<Phase | 'total', number>;
  peak_rss_mb: number;
  wasm_heap_peak_mb: number;
  /** size of the wasm memory at the end: it only grows, so this is its high-water mark */
  wasm_memory_mb: number;
  optimisation: Record<string, number>;
  data: { completion_tokens: number; reward_mean: number; advantage_abs_mean: number };
  checks: Record<string, number | boolean>;
  profile?: Array<{ kernel: string; ms: number; share: number; calls: number }>;
  loadavg: { start: number[]; end: number[] };
}

/** Our GRPO step in one mode, phase by phase (run in a child process). */
async function runOurs(mode: Mode, o: Options, log: (s: string) => void): Promise<OursResult> {
  const load0 = loadavg();
  const rng = new Rng(0);
  const config = resolveLlamaConfig({ ...SMOLLM2_135M, num_hidden_layers: o.quick ? 2 : SMOLLM2_135M.num_hidden_layers, rope_theta: 10000, max_position_embeddings: 2048, initializer_range: 0.02 });
  const model = Llama.random(config, rng.fork('init'));
  // the reference: adapters off (LoRA), or the initial weights kept in host memory (full fine-tune). tfjs-wasm's heap
  // ends at 4 GB; policy + gradients + the tape fill most of it, so the frozen copy lives outside it as plain arrays
  // and is uploaded for the reference pass only (the upload is timed as part of reference_scoring)
  let referenceWeights: Map<string, Float32Array> | null = null;
  if (mode === 'lora') model.addLora({ r: 16, alpha: 32, dropout: 0, targetModules: LORA_TARGETS }, rng.fork('lora'));
  else referenceWeights = new Map([...model.paramArrays()].map(([k, v]) => [k, v.data]));
  const vars = model.trainableVariables(mode);
  const trainable = vars.reduce((n, v) => n + v.size, 0);
  log(`ours (${mode}): ${(model.numParams() / 1e6).toFixed(1)} M parameters, ${(trainable / 1e6).toFixed(2)} M trainable`);
  let heapPeak = tf.memory().numBytes;
  const notePeak = (): void => {
    heapPeak = Math.max(heapPeak, tf.memory().numBytes);
  };
  const seconds = {} as Record<Phase | 'total', number>;
  const cpu = {} as Record<Phase | 'total', number>;
  const phase = <T>(name: Phase, f: () => T): T => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = f();
    const c = process.cpuUsage(c0);
    seconds[name] = (performance.now() - t0) / 1000;
    cpu[name] = (c.user + c.system) / 1e6;
    notePeak();
    log(`  ${name}: ${seconds[name].toFixed(2)} s (cpu ${cpu[name].toFixed(2)} s, peak RSS ${peakRssMb().toFixed(0)} MB, wasm memory ${wasmMemoryMb().toFixed(0)} MB)`);
    return r;
  };
  // warm-up: one tiny forward (as the peer)
  tf.tidy(() => model.forward(tf.tensor2d([[1, 2]], undefined, 'int32')).logits.dataSync());
  const prompts = Array.from({ length: PROMPTS }, () => Array.from({ length: PROMPT_LEN }, () => rng.int(config.vocab_size)));
  const rows = prompts.flatMap((p) => Array.from({ length: G }, () => p)); // G copies of each prompt
  const policy = causalLmPolicyForward(model, { adapters: true });
  const t0 = performance.now();
  const c0 = process.cpuUsage();

  // 1) generation
  const gen = phase('generation', () => generate(model, rows, { maxNewTokens: NEW }, rng.fork('sample')));
  const batch = batchFromGeneration(gen);
  const B = batch.batchSize;
  const Tr = batch.responseLength;
  // 2) old log-probs, 3) reference log-probs: no gradient, chunks of 8
  const old = phase('policy_old_logprob_scoring', () => evaluateResponses(policy, batch, MB).logprobs);
  const refLogprobs = phase('reference_scoring', () => {
    const reference = referenceWeights ? Llama.fromArrays(config, referenceWeights) : model;
    try {
      return evaluateResponses(causalLmPolicyForward(reference, { adapters: false }), batch, MB).logprobs;
    } finally {
      if (reference !== model) reference.dispose();
    }
  });
  // 4) rewards: share of even ids among the completion's tokens (the end token included); group advantages
  const { rewards, adv } = phase('rewards_advantages', () => {
    const r = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      let even = 0;
      let n = 0;
      for (let t = 0; t < Tr; t++) {
        const m = batch.responseMask[b * Tr + t]!;
        n += m;
        if (m && batch.responses[b * Tr + t]! % 2 === 0) even++;
      }
      r[b] = even / Math.max(n, 1);
    }
    return { rewards: r, adv: groupAdvantages(r, G, 'group') };
  });
  // 5) optimisation
  const cfg = resolveGRPOConfig({ numGenerations: G, beta: 0.04, epsilon: 0.2, lossType: 'dapo', miniBatchSize: MB, learningRate: mode === 'full' ? 1e-6 : 1e-5, maxGradNorm: 1 });
  const optimizer = new TensorAdam(vars, { lr: cfg.learningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const train = causalLmPolicyForward(model, { adapters: true, entropy: true });
  const stats = phase('optimisation', () => grpoStep({ ...batch, logprobs: old, refLogprobs, advantages: adv.advantages }, { config: cfg, forward: train, optimizer, variables: vars, rng: rng.fork('shuffle'), microBatchSize: MICRO }));
  seconds.total = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  cpu.total = (c.user + c.system) / 1e6;

  // checks: the KV-cache sampler's log-probs equal the scoring forward's; the reference equals the policy before the step
  let maxRefDiff = 0;
  let tokens = 0;
  for (let i = 0; i < B * Tr; i++) {
    if (!batch.responseMask[i]) continue;
    tokens++;
    maxRefDiff = Math.max(maxRefDiff, Math.abs(refLogprobs[i]! - old[i]!));
  }
  const result: OursResult = {
    mode,
    params_total: model.numParams() + (mode === 'lora' ? trainable : 0),
    params_trainable: trainable,
    seconds,
    cpu_seconds: cpu,
    peak_rss_mb: peakRssMb(),
    wasm_heap_peak_mb: heapPeak / 2 ** 20,
    wasm_memory_mb: wasmMemoryMb(),
    optimisation: stats,
    data: { completion_tokens: tokens, reward_mean: rewards.reduce((a, x) => a + x, 0) / B, advantage_abs_mean: adv.advantages.reduce((a, x) => a + Math.abs(x), 0) / B },
    checks: { ref_vs_old_logp_max_abs_diff: maxRefDiff, loss_finite: Number.isFinite(stats['loss/policy']!), tensors_after: tf.memory().numTensors },
    loadavg: { start: load0, end: loadavg() },
  };
  if (o.profile) result.profile = await profileMinibatch(model, batch, vars, log);
  model.dispose();
  return result;
}

/** tf.profile of one micro-batch's (4 rows) loss forward + backward: time per kernel, top 15. */
async function profileMinibatch(model: Llama, batch: ReturnType<typeof batchFromGeneration>, vars: tf.Variable[], log: (s: string) => void): Promise<OursResult['profile']> {
  const Tq = batch.queryLength;
  const Tr = batch.responseLength;
  const L = Tq + Tr;
  const ids = new Int32Array(MICRO * L);
  for (let b = 0; b < MICRO; b++) {
    ids.set(batch.queries.subarray(b * Tq, (b + 1) * Tq), b * L);
    ids.set(batch.responses.subarray(b * Tr, (b + 1) * Tr), b * L + Tq);
  }
  const fwd = causalLmPolicyForward(model, { adapters: true, entropy: true });
  const p = await tf.profile(() => {
    const idsT = tf.tensor2d(ids, [MICRO, L], 'int32');
    const mask = tf.ones([MICRO, L]) as tf.Tensor2D;
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.slice(fwd(idsT, mask, Tr).logprobs, [0, Tq], [MICRO, Tr])) as tf.Scalar, vars);
    tf.dispose([value, idsT, mask, ...Object.values(grads)]);
  });
  const agg = new Map<string, [number, number]>();
  for (const k of p.kernels) {
    const a = agg.get(k.name) ?? [0, 0];
    a[0] += Number(k.kernelTimeMs);
    a[1]++;
    agg.set(k.name, a);
  }
  const total = [...agg.values()].reduce((s, [t]) => s + t, 0);
  log(`  profile of one micro-batch (${MICRO} rows) forward + backward: ${total.toFixed(0)} ms in ${p.kernels.length} kernels`);
  const top = [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15);
  for (const [name, [t, n]] of top) log(`    ${name.padEnd(24)} ${t.toFixed(0).padStart(7)} ms  ${((100 * t) / total).toFixed(1).padStart(5)} %  × ${n}`);
  return top.map(([kernel, [ms, calls]]) => ({ kernel, ms, share: ms / total, calls }));
}

/** Runs a command, passes its stderr through, returns the JSON of its last `FINAL ` line (and /usr/bin/time's figures). */
function runFinal(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, log: (s: string) => void): Promise<{ final: Record<string, unknown> | null; cpu: number | null; rssMb: number | null }> {
  return new Promise((res) => {
    const timed = existsSync('/usr/bin/time');
    const child = timed ? spawn('/usr/bin/time', ['-f', 'RUSAGE %U %S %M', cmd, ...args], { env, cwd }) : spawn(cmd, args, { env, cwd });
    let out = '';
    let err = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // pass whole lines through (a chunk may end mid-line)
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim() && !l.startsWith('RUSAGE')) log(`    ${l}`);
    });
    child.on('close', () => {
      const line = out.split('\n').filter((l) => l.startsWith('FINAL ')).pop();
      const ru = /RUSAGE ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      res({ final: line ? (JSON.parse(line.slice(6)) as Record<string, unknown>) : null, cpu: ru ? Number(ru[1]) + Number(ru[2]) : null, rssMb: ru ? Number(ru[3]) / 1024 : null });
    });
  });
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const log = (s: string): void => console.error(s);
  MICRO = o.micro;
  if (o.child) {
    const backend = await initTensors();
    const r = await runOurs(o.child, o, log);
    console.log(`FINAL ${JSON.stringify({ backend, native: nativeBlasStatus(), ...r })}`);
    return;
  }
  const load0 = loadavg();
  log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} (2 cores, shared)`);
  const modes: Mode[] = o.mode === 'both' ? ['full', 'lora'] : [o.mode];
  const ours: Record<string, OursResult & { backend?: string; native?: unknown; process_cpu_s: number | null }> = {};
  for (const m of modes) {
    log(`ours, ${m} (child process) …`);
    const extra = [...(o.quick ? ['--quick'] : []), ...(o.profile ? ['--profile'] : []), '--micro', String(o.micro)];
    const r = await runFinal(process.execPath, ['--import', 'tsx', join(HERE, 'run.ts'), 'grpo-step', '--child', m, ...extra], process.env, resolve(HERE, '..'), log);
    if (!r.final) throw new Error(`bench grpo-step: the ${m} child printed no FINAL line`);
    ours[m] = { ...(r.final as unknown as OursResult), process_cpu_s: r.cpu };
  }
  let peer: Record<string, unknown> | null = null;
  let peerCpu: number | null = null;
  if (o.peer && !o.quick) {
    if (!existsSync(PEER) || !existsSync('/usr/bin/python3')) log(`peer: ${PEER} or /usr/bin/python3 missing; skipped`);
    else {
      log('peer: llama_grpo_step.py --mode both …');
      const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '2', BLAS_LABEL: 'openblas-pthread' };
      if (existsSync(OPENBLAS_DIR)) env.LD_LIBRARY_PATH = OPENBLAS_DIR;
      const r = await runFinal('/usr/bin/python3', [PEER, '--mode', o.mode], env, dirname(PEER), log);
      peer = r.final;
      peerCpu = r.cpu;
    }
  }
  const load1 = loadavg();

  // the table: phases × (ours full, peer full, ours lora, peer lora)
  const peerOf = (m: Mode): Record<string, unknown> | null => (peer ? ((peer.mode === 'both' ? peer[m] : peer.mode === m ? peer : null) as Record<string, unknown> | null) : null);
  const f = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(2) : '—');
  const cols = modes.flatMap((m) => [`ours ${m}`, `peer ${m}`]);
  const rows = [`| phase, wall s (ours: cpu s) | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const k of [...PHASES, 'total'] as const) {
    const cells = modes.flatMap((m) => [`${f(ours[m]!.seconds[k])} (${f(ours[m]!.cpu_seconds[k])})`, f((peerOf(m)?.seconds as Record<string, number> | undefined)?.[k])]);
    rows.push(`| ${k} | ${cells.join(' | ')} |`);
  }
  rows.push(`| peak RSS MB | ${modes.flatMap((m) => [ours[m]!.peak_rss_mb.toFixed(0), f(peerOf(m)?.peak_rss_mb)]).join(' | ')} |`);
  const ratios: Record<string, number> = {};
  for (const m of modes) {
    const p = (peerOf(m)?.seconds as Record<string, number> | undefined)?.total;
    if (p) ratios[`${m}_vs_peer`] = ours[m]!.seconds.total / p;
  }
  console.log(rows.join('\n'));
  for (const [k, v] of Object.entries(ratios)) console.log(`${k}: ${v.toFixed(2)}× (target ≤ 1.0)`);
  console.log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} → ${load1.map((x) => x.toFixed(2)).join(' ')} (2 cores, shared: numbers are noisy)`);
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(
    join(HERE, 'results', 'grpo-step.json'),
    `${JSON.stringify({ date: new Date().toISOString(), quick: o.quick, loadavg: { start: load0, end: load1 }, ours, peer: peer ? { ...peer, process_cpu_s: peerCpu } : null, ratios }, null, 2)}\n`,
  );
}
