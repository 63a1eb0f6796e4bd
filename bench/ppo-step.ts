/**
 * One PPO step on a GPT-2-small-shaped model (12 × 768, 12 heads, V 50257, random weights): batch 16, 8-token prompts, 16 new tokens, 4 epochs × minibatch 4; full fine-tune vs the PyTorch peer, and LoRA r 32.
 *
 *   npm run bench -- ppo-step [--mode full|lora|both] [--epochs 4] [--no-peer] [--profile] [--quick]
 *
 * Phases timed as the peer (../shared/peers/gpt2_ppo_step.py) times them: generation (KV cache, batched, pure
 * sampling), scoring forwards (policy + value head, then the reference = adapters off / the frozen copy, in
 * minibatches of 4), optimisation (ppoStep from src/policy: 4 epochs × 4 minibatches, dropout 0.1, Adam at 1.5e-5;
 * src/optim's TensorAdam here). Scores are random normals, as in the peer (no reward model in either). Peak memory is the
 * process's VmHWM (peak resident set) plus the wasm heap's tensor bytes.
 * The peer runs in the same invocation (LD_LIBRARY_PATH at OpenBLAS, 2 threads); the load average is recorded
 * because the machine is shared. `--quick` shrinks the model to 2 layers (a smoke test, not a benchmark).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, initTensors } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
import { nativeBlasStatus } from '../src/core/nativeBlas.js';
import { GPT2_SMALL, resolveGpt2Config } from '../src/models/gpt2/config.js';
import { Gpt2 } from '../src/models/gpt2/model.js';
import { generate } from '../src/models/generate.js';
import { scoreResponses } from '../src/models/logprobs.js';
import { TensorAdam } from '../src/optim/tensorAdam.js';
import { causalLmPolicyForward } from '../src/models/policyForward.js';
import { ppoStep, resolvePPOConfig, makeKLController, type PPORollouts } from '../src/policy/ppo.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PEER = resolve(HERE, '../../shared/peers/gpt2_ppo_step.py');
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const B = 16;
const PROMPT = 8;
const NEW = 16;
const MB = 4;

interface Options {
  mode: 'full' | 'lora' | 'both';
  epochs: number;
  peer: boolean;
  profile: boolean;
  quick: boolean;
}

function parseOptions(args: string[]): Options {
  const o: Options = { mode: 'both', epochs: 4, peer: true, profile: false, quick: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--mode') {
      const v = args[++i];
      if (v !== 'full' && v !== 'lora' && v !== 'both') throw new Error(`bench ppo-step: --mode must be full, lora or both, got ${v}`);
      o.mode = v;
    } else if (a === '--epochs') {
      o.epochs = Number(args[++i]);
      if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error('bench ppo-step: --epochs needs a positive integer');
    } else if (a === '--no-peer') o.peer = false;
    else if (a === '--profile') o.profile = true;
    else if (a === '--quick') o.quick = true;
    else throw new Error(`bench ppo-step: unknown option ${a}`);
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

interface OursResult {
  mode: 'full' | 'lora';
  params: number;
  trainable: number;
  seconds: { generation: number; score_policy_value: number; score_reference: number; ppo_optimisation: number; total_step: number };
  ppo_minibatch_s_mean: number;
  cpu_seconds: number;
  cpu_by_phase: Record<string, number>;
  peak_rss_mb: number;
  wasm_heap_peak_mb: number;
  stats: Record<string, number>;
}

/** CPU seconds (user + system, all threads: OpenBLAS's too) spent in each phase; wall time hides a busy machine. */
const cpuByPhase: Record<string, number> = {};

function timeIt<T>(f: () => T, phase?: string): [T, number] {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  if (phase) cpuByPhase[phase] = (c.user + c.system) / 1e6;
  return [r, (performance.now() - t0) / 1000];
}

/** Our PPO step, phase by phase. */
async function runOurs(mode: 'full' | 'lora', o: Options, log: (s: string) => void): Promise<OursResult> {
  const rng = new Rng(0);
  const config = resolveGpt2Config({ ...GPT2_SMALL, n_layer: o.quick ? 2 : GPT2_SMALL.n_layer });
  const model = Gpt2.random(config, rng.fork('init'));
  model.addValueHead(rng.fork('vhead'));
  // the peer keeps a second frozen copy as the reference; we switch adapters off (LoRA) or keep a frozen copy (full)
  let reference: Gpt2 | null = null;
  if (mode === 'lora') model.addLora({ r: 32, alpha: 32, dropout: 0.05, targetModules: ['c_attn'] }, rng.fork('lora'));
  else reference = Gpt2.fromArrays(config, new Map([...model.paramArrays()].map(([k, v]) => [k, v.data])));
  const vars = model.trainableVariables(mode);
  const params = model.numParams();
  const trainable = vars.reduce((n, v) => n + v.size, 0);
  log(`ours (${mode}): ${(model.numParams() / 1e6).toFixed(1)} M parameters, ${(trainable / 1e6).toFixed(2)} M trainable`);
  let heapPeak = tf.memory().numBytes;
  const notePeak = (): void => {
    heapPeak = Math.max(heapPeak, tf.memory().numBytes);
  };
  const cpu0 = process.cpuUsage();
  const prompts = Array.from({ length: B }, () => Array.from({ length: PROMPT }, () => rng.int(config.vocab_size)));
  // warm-up: one tiny forward (as the peer does)
  tf.tidy(() => model.forward(tf.tensor2d([prompts[0]!.slice(0, 2)], undefined, 'int32')).logits.dataSync());

  // 1) generation
  const [gen, tGen] = timeIt(() => generate(model, prompts, { maxNewTokens: NEW, stopAtEos: false }, rng.fork('sample')), 'generation');
  notePeak();
  log(`  generation ${tGen.toFixed(2)} s (cpu ${cpuByPhase.generation!.toFixed(2)} s)`);
  const L = gen.promptLength + gen.newTokens;

  // 2) scoring forwards in minibatches of 4: policy + value head, then the reference
  const logprobs = new Float32Array(B * NEW);
  const values = new Float32Array(B * NEW);
  const refLogprobs = new Float32Array(B * NEW);
  const score = (ref: boolean): number =>
    timeIt(() => {
      for (let s = 0; s < B; s += MB) {
        tf.tidy(() => {
          const ids = tf.tensor2d(gen.sequences.subarray(s * L, (s + MB) * L), [MB, L], 'int32');
          const mask = tf.tensor2d(gen.attentionMask.subarray(s * L, (s + MB) * L), [MB, L], 'int32');
          const m = ref && reference ? reference : model;
          const r = scoreResponses(m, ids, mask, NEW, { adapters: !ref });
          (ref ? refLogprobs : logprobs).set(r.logprobs.dataSync(), s * NEW);
          if (!ref && r.values) values.set(r.values.dataSync(), s * NEW);
          notePeak();
        });
      }
    }, ref ? 'score_reference' : 'score_policy_value')[1];
  const tPol = score(false);
  const tRef = score(true);
  log(`  scoring: policy + value ${tPol.toFixed(2)} s, reference ${tRef.toFixed(2)} s (cpu ${cpuByPhase.score_policy_value!.toFixed(2)}, ${cpuByPhase.score_reference!.toFixed(2)} s)`);

  // 3) PPO optimisation
  const rollouts: PPORollouts = {
    batchSize: B,
    queryLength: gen.promptLength,
    responseLength: NEW,
    queries: Int32Array.from({ length: B * PROMPT }, (_, i) => gen.sequences[Math.floor(i / PROMPT) * L + (i % PROMPT)]!),
    queryMask: new Float32Array(B * PROMPT).fill(1),
    responses: Int32Array.from({ length: B * NEW }, (_, i) => gen.sequences[Math.floor(i / NEW) * L + PROMPT + (i % NEW)]!),
    responseMask: new Float32Array(B * NEW).fill(1),
    logprobs,
    refLogprobs,
    values,
    scores: Float32Array.from({ length: B }, () => rng.normal()),
  };
  const cfg = resolvePPOConfig({ learningRate: 1.5e-5, ppoEpochs: o.epochs, batchSize: B, miniBatchSize: MB });
  const optimizer = new TensorAdam(vars, { lr: cfg.learningRate });
  const forward = causalLmPolicyForward(model, { adapters: true, training: true, rng: rng.fork('dropout') });
  const [stats, tOpt] = timeIt(() => ppoStep(rollouts, { config: cfg, forward, optimizer, variables: vars, klController: makeKLController(cfg), rng: rng.fork('ppo') }), 'ppo_optimisation');
  notePeak();
  log(`  optimisation ${tOpt.toFixed(2)} s (cpu ${cpuByPhase.ppo_optimisation!.toFixed(2)} s; ${o.epochs} epochs × ${B / MB} minibatches)`);
  const cpu = process.cpuUsage(cpu0);
  if (o.profile) await profileMinibatch(model, gen.sequences.subarray(0, MB * L), gen.attentionMask.subarray(0, MB * L), L, vars, log);
  model.dispose();
  reference?.dispose();
  const total = tGen + tPol + tRef + tOpt;
  return {
    mode,
    params,
    trainable,
    seconds: { generation: tGen, score_policy_value: tPol, score_reference: tRef, ppo_optimisation: tOpt, total_step: total },
    ppo_minibatch_s_mean: tOpt / (o.epochs * (B / MB)),
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    cpu_by_phase: { ...cpuByPhase },
    peak_rss_mb: peakRssMb(),
    wasm_heap_peak_mb: heapPeak / 2 ** 20,
    stats,
  };
}

/** Per-kernel time of one minibatch forward + backward (tf.profile), top 12. */
async function profileMinibatch(model: Gpt2, seq: Int32Array, mask: Int32Array, L: number, vars: tf.Variable[], log: (s: string) => void): Promise<void> {
  await tf
    .profile(() => {
      const { value, grads } = tf.variableGrads(() => {
        const s = scoreResponses(model, tf.tensor2d(seq, [MB, L], 'int32'), tf.tensor2d(mask, [MB, L], 'int32'), NEW);
        return tf.add(tf.mean(s.logprobs), tf.mean(s.values!)) as tf.Scalar;
      }, vars);
      tf.dispose([value, ...Object.values(grads)]);
    })
    .then((p) => {
      const agg = new Map<string, [number, number]>();
      for (const k of p.kernels) {
        const a = agg.get(k.name) ?? [0, 0];
        a[0] += Number(k.kernelTimeMs);
        a[1]++;
        agg.set(k.name, a);
      }
      const total = [...agg.values()].reduce((s, [t]) => s + t, 0);
      log(`  profile of one minibatch forward + backward: ${total.toFixed(0)} ms in kernels`);
      for (const [name, [t, n]] of [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 12))
        log(`    ${name.padEnd(22)} ${t.toFixed(0).padStart(7)} ms  ${((100 * t) / total).toFixed(1).padStart(5)} %  × ${n}`);
    });
}

interface PeerResult {
  seconds: Record<string, number>;
  raw: Record<string, unknown>;
  /** user + system CPU seconds and peak RSS of the whole peer process (from /usr/bin/time), when available */
  cpuSeconds: number | null;
  peakRssMb: number | null;
}

/** Runs the PyTorch peer (OpenBLAS, 2 threads) and parses its FINAL line. */
function runPeer(log: (s: string) => void): Promise<PeerResult | null> {
  if (!existsSync(PEER) || !existsSync('/usr/bin/python3')) {
    log(`peer: ${PEER} or /usr/bin/python3 missing; skipped`);
    return Promise.resolve(null);
  }
  return new Promise((res) => {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '2', BUDGET_S: '1200', BLAS_LABEL: 'openblas-pthread' };
    if (existsSync(OPENBLAS_DIR)) env.LD_LIBRARY_PATH = OPENBLAS_DIR;
    const timed = existsSync('/usr/bin/time');
    const child = timed
      ? spawn('/usr/bin/time', ['-f', 'RUSAGE %U %S %M', '/usr/bin/python3', PEER], { env, cwd: dirname(PEER) })
      : spawn('/usr/bin/python3', [PEER], { env, cwd: dirname(PEER) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', () => {
      const line = out.split('\n').find((l) => l.startsWith('FINAL '));
      if (!line) {
        log('peer: no FINAL line');
        return res(null);
      }
      const raw = JSON.parse(line.slice(6)) as Record<string, unknown>;
      const ru = /RUSAGE ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      res({ seconds: raw.seconds as Record<string, number>, raw, cpuSeconds: ru ? Number(ru[1]) + Number(ru[2]) : null, peakRssMb: ru ? Number(ru[3]) / 1024 : null });
    });
  });
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const log = (s: string): void => console.error(s);
  const backend = await initTensors();
  const native = nativeBlasStatus();
  const load0 = loadavg();
  log(`backend ${backend}; native BLAS ${native.enabled ? `on (${native.threads} threads)` : `off (${native.reason})`}; load ${load0.map((x) => x.toFixed(1)).join(' ')}`);
  // LoRA first: the peak RSS (VmHWM) is per process, and the full fine-tune's is the larger one
  const modes: ('full' | 'lora')[] = o.mode === 'both' ? ['lora', 'full'] : [o.mode];
  const ours: OursResult[] = [];
  for (const m of modes) ours.push(await runOurs(m, o, log));
  const peer = o.peer && !o.quick ? await runPeer(log) : null;
  const load1 = loadavg();

  const rows: string[] = [];
  const f = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(2));
  rows.push('| phase | ' + ours.map((r) => `ours ${r.mode}`).join(' | ') + (peer ? ' | peer (torch+OpenBLAS, full)' : '') + ' |');
  rows.push('|---|' + ours.map(() => '---:').join('|') + (peer ? '|---:' : '') + '|');
  const peerKey: Record<string, string> = {
    generation: 'generation_kvcache_batch16',
    score_policy_value: 'score_forward_policy_valuehead',
    score_reference: 'score_forward_reference',
    ppo_optimisation: 'ppo_optimisation',
    total_step: 'total_step',
  };
  for (const k of Object.keys(peerKey) as (keyof OursResult['seconds'])[])
    rows.push(`| ${k} s | ${ours.map((r) => f(r.seconds[k])).join(' | ')}${peer ? ` | ${f(peer.seconds[peerKey[k]!])}` : ''} |`);
  rows.push(`| cpu s (all threads; peer: whole process) | ${ours.map((r) => f(r.cpu_seconds)).join(' | ')}${peer ? ` | ${f(peer.cpuSeconds ?? Number.NaN)}` : ''} |`);
  rows.push(`| peak RSS MB | ${ours.map((r) => r.peak_rss_mb.toFixed(0)).join(' | ')}${peer ? ` | ${peer.peakRssMb?.toFixed(0) ?? '—'}` : ''} |`);
  rows.push(`| wasm tensors peak MB | ${ours.map((r) => r.wasm_heap_peak_mb.toFixed(0)).join(' | ')}${peer ? ' | — ' : ''}|`);
  const full = ours.find((r) => r.mode === 'full');
  const lora = ours.find((r) => r.mode === 'lora');
  const peerTotal = peer?.seconds.total_step;
  const ratios: Record<string, number> = {};
  if (full && peerTotal) ratios.full_vs_peer = full.seconds.total_step / peerTotal;
  if (lora) ratios.lora_vs_seed_275s = lora.seconds.total_step / 275;
  console.log(rows.join('\n'));
  for (const [k, v] of Object.entries(ratios)) console.log(`${k}: ${v.toFixed(2)}× ${k === 'full_vs_peer' ? '(target ≤ 1.0)' : '(target ≤ 0.2)'}`);
  console.log(`load average ${load0.map((x) => x.toFixed(1)).join(' ')} → ${load1.map((x) => x.toFixed(1)).join(' ')} (2 cores, shared: numbers are noisy)`);
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(
    join(HERE, 'results', 'ppo-step.json'),
    `${JSON.stringify({ date: new Date().toISOString(), backend, native, quick: o.quick, epochs: o.epochs, loadavg: { start: load0, end: load1 }, ours, peer: peer ? { ...peer.raw, cpu_seconds: peer.cpuSeconds, peak_rss_mb: peer.peakRssMb } : null, ratios }, null, 2)}\n`,
  );
}
