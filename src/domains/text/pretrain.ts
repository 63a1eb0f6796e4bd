/**
 * `rlhf pretrain text`: trains the small default GPT on a text corpus (Debian's fortunes by default) and saves it
 * as a Hugging Face-style directory (config.json + model.safetensors + tokenizer.json) that `rlhf run text --model`
 * loads. nanoGPT's recipe at a tiny scale:
 *   1) learn a byte-level BPE on the training entries (vocabulary --vocab);
 *   2) one token stream, every entry followed by <|endoftext|>; batches of random windows of --block + 1 tokens;
 *   3) next-token cross-entropy, AdamW (src/optim), linear warm-up then cosine decay, gradient clipping at 1;
 *   4) validation loss on held-out entries every --eval-every steps and at the end; sample continuations of
 *      held-out prompts; save.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf, initTensors } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { ConfigError } from '../../core/errors.js';
import { commandFlags } from '../../cli/args.js';
import { defineOptions, renderHelp } from '../../core/config/options.js';
import { RUN_OPTIONS } from '../../core/config/runOptions.js';
import { createProgress } from '../../loop/progress.js';
import { resolveGpt2Config, type Gpt2Config } from '../../models/gpt2/config.js';
import { Gpt2 } from '../../models/gpt2/model.js';
import { saveGpt2 } from '../../models/load.js';
import { tokenLogProbs } from '../../models/logprobs.js';
import { generate } from '../../models/generate.js';
import { TensorAdam } from '../../optim/tensorAdam.js';
import { clipAndApply, disposeGrads } from '../../optim/gradients.js';
import { GradPool } from './gradPool.js';
import { trainByteBpe } from '../../models/tokenizers/bpe.js';
import { saveTokenizer } from '../../models/load.js';
import type { Tokenizer } from '../../models/tokenizers/types.js';
import { DEFAULT_CORPUS, loadCorpus, splitCorpus, tokenStream, promptsFrom, type CorpusEntry } from './corpus.js';

/** Everything that decides a pretraining run (written to pretrain.json beside the model). */
export interface PretrainTextConfig {
  /** corpus file or directory (fortune format or blank-line paragraphs) */
  corpus: string;
  /** output model directory */
  out: string;
  seed: number;
  /** tokenizer vocabulary: 256 bytes + merges + <|endoftext|> */
  vocab: number;
  /** transformer blocks, width, heads, context (tokens) */
  layers: number;
  width: number;
  heads: number;
  block: number;
  /** sequences per step */
  batch: number;
  /** optimizer steps */
  steps: number;
  /** peak learning rate and the floor of the cosine decay */
  lr: number;
  minLr: number;
  /** linear warm-up steps */
  warmup: number;
  /** AdamW decoupled weight decay on matrices (not on biases, LayerNorm or embeddings) */
  weightDecay: number;
  /** fraction of entries held out for validation (and prompts) */
  valFraction: number;
  /** evaluate every n steps (0: only at the end) */
  evalEvery: number;
  /** validation batches per evaluation */
  evalBatches: number;
  /** stop early (and still save) after this many minutes; 0 = no limit */
  maxMinutes: number;
  /** sample continuations to print at the end */
  samples: number;
  /** data-parallel threads (worker_threads, one model copy each); 1 = this thread only. The command defaults to 2. */
  workers: number;
}

/** The command's --workers default: one thread per core of a 2-core machine. */
export const DEFAULT_CLI_WORKERS = 2;

export const DEFAULT_PRETRAIN_OUT = 'models/fortunes-tiny';

/** Every pretraining option, described once: the resolver, the flags of `rlhf pretrain text` and --help come from it. */
export const PRETRAIN_TEXT_OPTIONS = defineOptions<PretrainTextConfig>('pretrain text', [
  { key: 'corpus', type: 'string', nonEmpty: true, default: DEFAULT_CORPUS, metavar: 'FILE|DIR', help: 'text to learn: entries split on "%" lines (fortune format), or on blank lines for plain text' },
  { key: 'seed', type: 'int', min: -2147483648, max: 2147483647, default: 0, metavar: 'N', help: 'seed of the split, tokenizer sampling, initialisation and batches' },
  { key: 'vocab', type: 'int', min: 257, max: 65535, default: 2048, metavar: 'N', help: 'byte-level BPE vocabulary learned on the corpus: 256 bytes + merges + <|endoftext|>' },
  { key: 'layers', type: 'int', min: 1, max: 48, default: 4, metavar: 'N', help: 'transformer blocks' },
  { key: 'width', type: 'int', min: 8, max: 4096, default: 128, metavar: 'N', help: 'model width (embedding size)' },
  { key: 'heads', type: 'int', min: 1, max: 64, default: 4, metavar: 'N', help: 'attention heads', check: (v, c) => (c.width % v !== 0 ? `--width (${c.width}) must be divisible by --heads (${v})` : undefined) },
  { key: 'block', type: 'int', min: 8, max: 4096, default: 128, metavar: 'N', help: 'context length (tokens)' },
  { key: 'batch', type: 'int', min: 1, max: 4096, default: 16, metavar: 'N', help: 'sequences per step' },
  { key: 'steps', type: 'int', min: 1, default: 800, metavar: 'N', help: 'optimizer steps' },
  { key: 'lr', type: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, default: 3e-3, metavar: 'X', help: 'peak learning rate' },
  { key: 'minLr', type: 'number', min: 0, max: (c) => c.lr, default: 3e-4, metavar: 'X', help: 'floor of the cosine decay (≤ --lr)' },
  { key: 'warmup', type: 'int', min: 0, default: 30, metavar: 'N', help: 'linear warm-up steps' },
  { key: 'weightDecay', type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.1, metavar: 'X', help: 'AdamW decoupled decay of weight matrices (not biases, LayerNorm or embeddings)' },
  { key: 'valFraction', type: 'number', min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true, default: 0.05, metavar: 'X', help: 'entries held out for validation and prompts' },
  { key: 'evalEvery', type: 'int', min: 0, default: 100, metavar: 'N', help: 'validation every N steps (0: only at the end)' },
  { key: 'evalBatches', type: 'int', min: 1, max: 1000, default: 8, metavar: 'N', help: 'validation batches per evaluation' },
  { key: 'maxMinutes', type: 'number', min: 0, default: 0, metavar: 'X', help: 'stop early after X minutes and save what was learned; 0 = no limit' },
  { key: 'samples', type: 'int', min: 0, max: 100, default: 6, metavar: 'N', help: 'continuations of held-out prompts to print at the end' },
  {
    key: 'workers',
    type: 'int',
    min: 1,
    max: 16,
    default: 1,
    metavar: 'N',
    help: 'data-parallel threads, one model copy each (1 = this thread only); the same seed and --workers give the same model',
    check: (v, c) => (v > c.batch ? `--workers (${v}) must be ≤ --batch (${c.batch}): each thread needs at least one sequence` : undefined),
  },
  { key: 'out', type: 'string', nonEmpty: true, default: DEFAULT_PRETRAIN_OUT, metavar: 'DIR', help: 'model directory to write: config.json, model.safetensors, tokenizer.json, pretrain.json' },
]);

/** The defaults (the library's: --workers 1). */
export const DEFAULT_PRETRAIN: PretrainTextConfig = PRETRAIN_TEXT_OPTIONS.resolve();

/** Validates a config; throws ConfigError naming the flag. */
export function resolvePretrainTextConfig(p: Partial<PretrainTextConfig>): PretrainTextConfig {
  return PRETRAIN_TEXT_OPTIONS.resolve(p);
}

/** Learning rate at a step: linear warm-up, then cosine from lr down to minLr. */
export function learningRateAt(step: number, c: Pick<PretrainTextConfig, 'lr' | 'minLr' | 'warmup' | 'steps'>): number {
  if (step < c.warmup) return (c.lr * (step + 1)) / c.warmup;
  const progress = Math.min(1, (step - c.warmup) / Math.max(1, c.steps - c.warmup));
  return c.minLr + 0.5 * (c.lr - c.minLr) * (1 + Math.cos(Math.PI * progress)); // lr_min + ½(lr − lr_min)(1 + cos πp)
}

/** B windows of T + 1 consecutive tokens at random offsets: inputs x [B, T] and targets y [B, T] (x shifted by one). */
export function sampleWindows(stream: Int32Array, B: number, T: number, rng: Rng): { x: Int32Array; y: Int32Array } {
  if (stream.length < T + 1) throw new ConfigError('block', `the corpus has ${stream.length} tokens, fewer than --block + 1 = ${T + 1}`);
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const o = rng.int(stream.length - T);
    x.set(stream.subarray(o, o + T), b * T);
    y.set(stream.subarray(o + 1, o + T + 1), b * T);
  }
  return { x, y };
}

/** Mean next-token negative log-likelihood (nats) of a batch. */
function nll(model: Gpt2, x: Int32Array, y: Int32Array, B: number, T: number, training: boolean, rng?: Rng): tf.Scalar {
  return tf.tidy(() => {
    const out = model.forward(tf.tensor2d(x, [B, T], 'int32'), undefined, { training, rng });
    return tf.neg(tf.mean(tokenLogProbs(out.logits, tf.tensor2d(y, [B, T], 'int32')))) as tf.Scalar;
  });
}

export interface PretrainTextResult {
  dir: string;
  config: PretrainTextConfig;
  model: Gpt2Config;
  params: number;
  tokenizer: { type: string; vocabSize: number; trainTokens: number; valTokens: number; charsPerToken: number };
  steps: number;
  trainLoss: number;
  valLoss: number;
  /** validation loss before training (≈ ln V) and at every evaluation */
  valCurve: { step: number; loss: number }[];
  samples: { prompt: string; continuation: string }[];
  seconds: number;
  stoppedEarly: boolean;
}

/** Everything a pretraining run carries from setup to the saved model. */
interface Session {
  c: PretrainTextConfig;
  t0: number;
  rng: Rng;
  tok: Tokenizer;
  val: CorpusEntry[];
  trainStream: Int32Array;
  valStream: Int32Array;
  chars: number;
  config: Gpt2Config;
  model: Gpt2;
  vars: tf.Variable[];
  /** AdamW over every variable, the weight decay on the matrices only */
  opt: TensorAdam;
  evaluate: () => number;
  batchRng: Rng;
  dropRng: Rng;
}

/** 1) corpus, tokenizer and token streams; 2) model, optimizers and the fixed validation windows. */
function begin(c: PretrainTextConfig, log: (line: string) => void): Session {
  const t0 = Date.now();
  const rng = new Rng(c.seed);
  const entries = loadCorpus(c.corpus);
  const { train, val } = splitCorpus(entries, c.valFraction, rng.fork('split'));
  const tok = trainByteBpe(
    train.map((e) => e.text),
    c.vocab,
  );
  const trainStream = tokenStream(train, tok);
  const valStream = tokenStream(val, tok);
  const chars = train.reduce((n, e) => n + e.text.length + 1, 0);
  log(
    `corpus ${c.corpus}: ${entries.length} entries (${train.length} train, ${val.length} validation); ` +
      `byte-level BPE of ${tok.vocabSize} ids: ${trainStream.length} training tokens (${(chars / trainStream.length).toFixed(2)} chars/token)`,
  );
  const config = resolveGpt2Config({
    vocab_size: tok.vocabSize,
    n_positions: c.block,
    n_embd: c.width,
    n_layer: c.layers,
    n_head: c.heads,
    bos_token_id: tok.eosId,
    eos_token_id: tok.eosId,
  });
  const model = Gpt2.random(config, rng.fork('init'));
  log(
    `model: ${c.layers} layers × ${c.width} wide, ${c.heads} heads, context ${c.block}: ${(model.numParams() / 1e6).toFixed(2)} M parameters` +
      (c.workers > 1 ? `; ${c.workers} data-parallel threads` : ''),
  );
  // AdamW: decay matrices only (nanoGPT: no decay for biases, LayerNorm gains; we also spare the embeddings)
  const decayed = new Set([...model.params].filter(([name, v]) => v.rank === 2 && !name.startsWith('w')).map(([, v]) => v.name));
  const vars = model.trainableVariables('full');
  // fixed validation windows: the same for every evaluation
  const evalRng = rng.fork('eval');
  const evalT = Math.min(c.block, valStream.length - 1);
  const evalSet = Array.from({ length: c.evalBatches }, () => sampleWindows(valStream, c.batch, evalT, evalRng));
  const evaluate = (): number => {
    let s = 0;
    for (const w of evalSet) {
      const l = nll(model, w.x, w.y, c.batch, evalT, false);
      s += l.dataSync()[0]!;
      l.dispose();
    }
    return s / evalSet.length;
  };
  return {
    c,
    t0,
    rng,
    tok,
    val,
    trainStream,
    valStream,
    chars,
    config,
    model,
    vars,
    opt: new TensorAdam(vars, { lr: c.lr, beta2: 0.99, weightDecay: c.weightDecay, decays: (v) => decayed.has(v.name) }),
    evaluate,
    batchRng: rng.fork('batches'),
    dropRng: rng.fork('dropout'),
  };
}

/** Loss and gradients of the mean NLL of `rows` sequences on this thread. */
function localGradients(s: Session, x: Int32Array, y: Int32Array, rows: number): { loss: number; grads: tf.NamedTensorMap } {
  const { value, grads } = tf.variableGrads(() => nll(s.model, x, y, rows, s.c.block, true, s.dropRng), s.vars);
  const loss = value.dataSync()[0]!;
  value.dispose();
  return { loss, grads };
}

/** 3) one update: clip by global norm 1 (g ← g · min(1, 1/‖g‖)), then AdamW at this step's learning rate. Disposes grads. */
function update(s: Session, step: number, grads: tf.NamedTensorMap): number {
  const lr = learningRateAt(step, s.c);
  s.opt.lr = lr;
  clipAndApply(s.opt, grads, 1);
  disposeGrads(grads);
  return lr;
}

/** Progress, periodic validation and the early stop, shared by both loops. */
class Tracker {
  ema = Number.NaN;
  stoppedEarly = false;
  readonly valCurve: { step: number; loss: number }[];
  private readonly progress;
  private readonly deadline: number;
  constructor(private readonly s: Session, quiet: boolean) {
    this.valCurve = [{ step: 0, loss: s.evaluate() }];
    this.progress = createProgress('pretrain text', s.c.steps, { quiet });
    this.deadline = s.c.maxMinutes > 0 ? s.t0 + s.c.maxMinutes * 60_000 : Infinity;
  }
  /** false when --max-minutes has run out */
  mayContinue(): boolean {
    if (Date.now() > this.deadline) this.stoppedEarly = true;
    return !this.stoppedEarly;
  }
  after(step: number, loss: number, lr: number): void {
    this.ema = Number.isNaN(this.ema) ? loss : 0.95 * this.ema + 0.05 * loss;
    const c = this.s.c;
    if (c.evalEvery > 0 && (step + 1) % c.evalEvery === 0 && step + 1 < c.steps) this.valCurve.push({ step: step + 1, loss: this.s.evaluate() });
    this.progress.update(step + 1, { loss: this.ema, lr, val: this.valCurve.at(-1)!.loss });
  }
  stop(): void {
    this.progress.stop();
  }
}

/** 4) final validation, samples, save. */
function finish(s: Session, steps: number, t: Tracker): PretrainTextResult {
  const { c, model, tok } = s;
  const valLoss = s.evaluate();
  t.valCurve.push({ step: steps, loss: valLoss });
  const samples = sampleContinuations(model, tok, s.val, c.samples, s.rng.fork('samples'));
  const dir = resolve(c.out);
  mkdirSync(dir, { recursive: true });
  saveGpt2(dir, model);
  saveTokenizer(dir, tok);
  const result: PretrainTextResult = {
    dir,
    config: c,
    model: s.config,
    params: model.numParams(),
    tokenizer: { type: tok.type, vocabSize: tok.vocabSize, trainTokens: s.trainStream.length, valTokens: s.valStream.length, charsPerToken: s.chars / s.trainStream.length },
    steps,
    trainLoss: t.ema,
    valLoss,
    valCurve: t.valCurve,
    samples,
    seconds: (Date.now() - s.t0) / 1000,
    stoppedEarly: t.stoppedEarly,
  };
  writeFileSync(join(dir, 'pretrain.json'), `${JSON.stringify(result, null, 2)}\n`);
  model.dispose();
  return result;
}

/**
 * Runs pretraining on this thread and saves the model (`c.workers` must be 1; see pretrainTextParallel).
 * `log` receives human-readable lines.
 */
export function pretrainText(c: PretrainTextConfig, opts: { quiet?: boolean; log?: (line: string) => void } = {}): PretrainTextResult {
  if (c.workers !== 1) throw new ConfigError('workers', `pretrainText runs on one thread; use pretrainTextParallel for --workers ${c.workers}`);
  const s = begin(c, opts.log ?? (() => {}));
  const t = new Tracker(s, opts.quiet ?? false);
  let step = 0;
  for (; step < c.steps && t.mayContinue(); step++) {
    const { x, y } = sampleWindows(s.trainStream, c.batch, c.block, s.batchRng);
    const { loss, grads } = localGradients(s, x, y, c.batch);
    t.after(step, loss, update(s, step, grads));
  }
  t.stop();
  return finish(s, step, t);
}

/**
 * Pretraining with `c.workers` data-parallel threads (model/gradPool.ts): the same batches as pretrainText, each
 * split over the threads. Reproducible for a given seed and number of workers.
 */
export async function pretrainTextParallel(c: PretrainTextConfig, opts: { quiet?: boolean; log?: (line: string) => void } = {}): Promise<PretrainTextResult> {
  if (c.workers === 1) return pretrainText(c, opts);
  const s = begin(c, opts.log ?? (() => {}));
  const pool = await GradPool.start(s.model, c.workers);
  const t = new Tracker(s, opts.quiet ?? false);
  let step = 0;
  try {
    for (; step < c.steps && t.mayContinue(); step++) {
      const { x, y } = sampleWindows(s.trainStream, c.batch, c.block, s.batchRng);
      const { loss, grads } = await pool.gradients(x, y, c.batch, c.block, (xs, ys, rows) => localGradients(s, xs, ys, rows));
      t.after(step, loss, update(s, step, grads));
      pool.publish();
    }
  } finally {
    t.stop();
    await pool.stop();
  }
  return finish(s, step, t);
}

/** Continuations (top-k 40, temperature 0.8, ≤ 32 tokens) of the first tokens of held-out entries. */
export function sampleContinuations(model: Gpt2, tok: Tokenizer, entries: readonly CorpusEntry[], n: number, rng: Rng): { prompt: string; continuation: string }[] {
  if (n === 0) return [];
  const prompts = promptsFrom(entries, tok, rng, { count: n, minTokens: 2, maxTokens: 8 });
  const room = model.config.n_positions - Math.max(...prompts.map((p) => p.ids.length));
  const g = generate(model, prompts.map((p) => p.ids), { maxNewTokens: Math.max(1, Math.min(32, room)), temperature: 0.8, topK: 40 }, rng);
  return prompts.map((p, i) => ({ prompt: p.text, continuation: tok.decode(g.responses[i]!.filter((t) => t !== tok.eosId)) }));
}

/** `rlhf pretrain text`: the pretraining options with the command's --workers default, and how to talk. */
export const PRETRAIN_TEXT_COMMAND_SETS = [PRETRAIN_TEXT_OPTIONS.withDefaults({ workers: DEFAULT_CLI_WORKERS }), RUN_OPTIONS.pick(['backend', 'quiet', 'json'])] as const;

export function pretrainTextHelp(): string {
  return renderHelp('rlhf pretrain text — train the small default GPT on a text corpus', PRETRAIN_TEXT_COMMAND_SETS, 'rlhf pretrain text [options]');
}

/** The `rlhf pretrain text` command. */
export async function pretrainTextCommand(argv: string[]): Promise<number> {
  const values = commandFlags(argv, PRETRAIN_TEXT_COMMAND_SETS, pretrainTextHelp);
  if (!values) return 0;
  const config = PRETRAIN_TEXT_COMMAND_SETS[0].resolveFlags(values);
  const { backend, quiet, json } = PRETRAIN_TEXT_COMMAND_SETS[1].resolveFlags(values);
  await initTensors(backend);
  const log = quiet || json ? undefined : (line: string) => console.error(line);
  const r = await pretrainTextParallel(config, { quiet: quiet || json, log });
  if (json) {
    console.log(JSON.stringify({ dir: r.dir, params: r.params, steps: r.steps, trainLoss: r.trainLoss, valLoss: r.valLoss, valCurve: r.valCurve, samples: r.samples, seconds: r.seconds, stoppedEarly: r.stoppedEarly }));
  } else if (!quiet) {
    console.log(`pretrained ${(r.params / 1e6).toFixed(2)} M-parameter GPT in ${r.seconds.toFixed(0)} s (${r.steps} steps${r.stoppedEarly ? ', stopped by --max-minutes' : ''}) → ${r.dir}`);
    console.log(`validation loss ${r.valCurve[0]!.loss.toFixed(3)} → ${r.valLoss.toFixed(3)} nats/token (perplexity ${Math.exp(r.valLoss).toFixed(1)}); training loss ${r.trainLoss.toFixed(3)}`);
    for (const s of r.samples) console.log(`  ${JSON.stringify(s.prompt)} → ${JSON.stringify(s.continuation)}`);
  }
  return 0;
}
