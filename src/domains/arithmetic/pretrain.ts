/**
 * `rlhf pretrain arithmetic`: trains the tiny Llama-architecture model (src/models/llama) on generated "a+b=" problems
 * and stops as soon as it is right part of the time — the start an RL run with a verifiable reward needs (right never:
 * no signal; right always: nothing to gain). nanoGPT's recipe at a toy scale:
 *   1) each step, a batch of training problems (never one of the held-out pool) as "a+b=" + answer + <|endoftext|>,
 *      left-padded to one length;
 *   2) next-token cross-entropy on the answer and end tokens only (the operands are random: nothing to learn there),
 *      AdamW (src/optim), linear warm-up then a constant rate, gradients clipped at norm 1;
 *   3) every --eval-every steps, greedy exact-match accuracy on the validation half of the held-out pool (the other
 *      half is what `rlhf run arithmetic` evaluates on, never looked at here); stop at the first evaluation with
 *      accuracy ≥ --target-accuracy, or after --max-steps.
 * Deterministic: the same seed and options give the same model, bit for bit (one thread, seeded draws).
 * Browser-safe: it returns the model and a record of the run; cli.ts writes the directory.
 */
import { tf } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { defineOptions } from '../../core/config/options.js';
import { resolveLlamaConfig, type LlamaConfig } from '../../models/llama/config.js';
import { Llama } from '../../models/llama/model.js';
import { tokenLogProbs } from '../../models/logprobs.js';
import { leftPad } from '../../models/generate.js';
import { TensorAdam } from '../../optim/tensorAdam.js';
import { clipAndApply, disposeGrads } from '../../optim/gradients.js';
import type { HfTokenizer } from '../../models/tokenizers/hf.js';
import { maxAnswerLength, Problems, type Problem } from './problems.js';
import { ARITHMETIC_EOS_ID, ARITHMETIC_VOCAB_SIZE, arithmeticTokenizer } from './tokenizer.js';
import { greedyAccuracy } from './evaluate.js';
import { DEFAULT_ARITHMETIC_MODEL_DIR } from './config.js';

/** Everything that decides a pretraining run (written to pretrain.json beside the model). */
export interface PretrainArithmeticConfig {
  seed: number;
  /** operands a, b ∈ [0, maxOperand) */
  maxOperand: number;
  /** problems held out of training: the first half is the RL run's evaluation set, the second half this run's validation set */
  heldOut: number;
  /** decoder blocks, width C, query heads, key/value heads, SwiGLU width */
  layers: number;
  width: number;
  heads: number;
  kvHeads: number;
  mlp: number;
  /** problems per step */
  batch: number;
  /** AdamW step size after warm-up, warm-up steps, decoupled weight decay on matrices */
  lr: number;
  warmup: number;
  weightDecay: number;
  /** validation every N steps; stop at the first validation with accuracy ≥ targetAccuracy */
  evalEvery: number;
  targetAccuracy: number;
  /** give up after this many steps (and save what was learned) */
  maxSteps: number;
  /** output model directory */
  out: string;
}

export const PRETRAIN_ARITHMETIC_OPTIONS = defineOptions<PretrainArithmeticConfig>('pretrain arithmetic', [
  { key: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 0, metavar: 'N', help: 'seed of the initialisation and the batches' },
  { key: 'maxOperand', type: 'int', min: 2, max: 10_000, default: 100, metavar: 'N', help: 'operands a, b are integers in [0, N)' },
  {
    key: 'heldOut',
    type: 'int',
    min: 2,
    max: 100_000,
    default: 1000,
    metavar: 'N',
    help: 'problems never trained on: the first half evaluates RL runs, the second half validates this run',
    check: (v, c) => (v > (c.maxOperand * c.maxOperand) / 2 ? `--held-out (${v}) must be ≤ half of the ${c.maxOperand ** 2} problems` : undefined),
  },
  { key: 'layers', type: 'int', min: 1, max: 24, default: 2, metavar: 'N', help: 'decoder blocks' },
  { key: 'width', type: 'int', min: 8, max: 1024, default: 64, metavar: 'N', help: 'hidden width C' },
  { key: 'heads', type: 'int', min: 1, max: 64, default: 4, metavar: 'N', help: 'query heads', check: (v, c) => (c.width % v !== 0 || (c.width / v) % 2 !== 0 ? `--width (${c.width}) / --heads (${v}) must be an even integer (the head width RoPE rotates)` : undefined) },
  { key: 'kvHeads', type: 'int', min: 1, max: 64, default: 2, metavar: 'N', help: 'key/value heads (grouped-query attention)', check: (v, c) => (c.heads % v !== 0 ? `--heads (${c.heads}) must be a multiple of --kv-heads (${v})` : undefined) },
  { key: 'mlp', type: 'int', min: 8, max: 8192, default: 192, metavar: 'N', help: 'SwiGLU hidden width' },
  { key: 'batch', type: 'int', min: 1, max: 4096, default: 128, metavar: 'N', help: 'problems per step' },
  { key: 'lr', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 3e-3, metavar: 'X', help: 'AdamW step size after the warm-up' },
  { key: 'warmup', type: 'int', min: 0, default: 50, metavar: 'N', help: 'linear warm-up steps' },
  { key: 'weightDecay', type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.01, metavar: 'X', help: 'AdamW decoupled decay of the weight matrices' },
  { key: 'evalEvery', type: 'int', min: 1, default: 10, metavar: 'N', help: 'validation every N steps' },
  { key: 'targetAccuracy', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.3, metavar: 'X', help: 'stop at the first validation with greedy exact-match accuracy ≥ X' },
  { key: 'maxSteps', type: 'int', min: 1, default: 20_000, metavar: 'N', help: 'stop after N steps whatever the accuracy' },
  { key: 'out', type: 'string', nonEmpty: true, default: DEFAULT_ARITHMETIC_MODEL_DIR, metavar: 'DIR', help: 'model directory to write: config.json, model.safetensors, tokenizer files, arithmetic.json, pretrain.json' },
]);

/** One validation of the pretraining run. */
export interface PretrainPoint {
  step: number;
  loss: number;
  accuracy: number;
}

export interface PretrainArithmeticResult {
  model: Llama;
  tokenizer: HfTokenizer;
  steps: number;
  /** the validation curve */
  curve: PretrainPoint[];
  /** greedy accuracy on the validation half at the end */
  validationAccuracy: number;
  /** greedy accuracy on the evaluation half (what an RL run starts from) */
  evalAccuracy: number;
  reachedTarget: boolean;
  params: number;
}

/** The model's config.json fields: a tiny Llama over the 13-token alphabet. */
export function arithmeticLlamaConfig(c: Pick<PretrainArithmeticConfig, 'layers' | 'width' | 'heads' | 'kvHeads' | 'mlp'>): LlamaConfig {
  return resolveLlamaConfig({
    model_type: 'llama',
    vocab_size: ARITHMETIC_VOCAB_SIZE,
    hidden_size: c.width,
    intermediate_size: c.mlp,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    initializer_range: 0.02,
    bos_token_id: null,
    eos_token_id: [ARITHMETIC_EOS_ID],
    pad_token_id: null,
  });
}

/** A batch of problems as left-padded rows "a+b=" + answer + EOS: ids, mask and the loss mask (answer and EOS). */
export function encodeBatch(tok: HfTokenizer, problems: readonly Problem[]): { ids: Int32Array; mask: Int32Array; lossMask: Float32Array; length: number } {
  const rows = problems.map((p) => {
    const prompt = tok.encode(p.prompt);
    const answer = [...tok.encode(p.answer), ARITHMETIC_EOS_ID];
    return { seq: [...prompt, ...answer], answer: answer.length };
  });
  const { ids, mask, length: L } = leftPad(
    rows.map((r) => r.seq),
    ARITHMETIC_EOS_ID,
  );
  const lossMask = new Float32Array(problems.length * L);
  rows.forEach((r, b) => {
    for (let t = L - r.answer; t < L; t++) lossMask[b * L + t] = 1; // the answer tokens and the end token
  });
  return { ids, mask, lossMask, length: L };
}

/**
 * Cross-entropy of the answer tokens: −Σ_t m_t log π(x_t | x_<t) / Σ_t m_t.  ids, mask [B, L]; lossMask [B, L] on
 * the targets (position t is predicted by the logits at t − 1).
 */
export function answerLoss(model: Llama, ids: tf.Tensor2D, mask: tf.Tensor2D, lossMask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [B, L] = ids.shape;
    const logits = model.forward(ids, mask).logits; // [B, L, V]
    const pred = tf.slice(logits, [0, 0, 0], [B, L - 1, model.vocabSize]) as tf.Tensor3D; // [B, L−1, V] predicts positions 1 … L−1
    const targets = tf.slice(ids, [0, 1], [B, L - 1]) as tf.Tensor2D; // [B, L−1]
    const m = tf.slice(lossMask, [0, 1], [B, L - 1]); // [B, L−1]
    const lp = tokenLogProbs(pred, targets); // [B, L−1]
    return tf.div(tf.neg(tf.sum(tf.mul(lp, m))), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

/**
 * Pretrains the model (see the file comment). `onProgress` sees every validation. Leaves no tensors behind besides
 * the returned model's variables.
 */
export function pretrainArithmetic(c: PretrainArithmeticConfig, onProgress?: (p: PretrainPoint, done: boolean) => void): PretrainArithmeticResult {
  const rng = new Rng(c.seed);
  const tok = arithmeticTokenizer();
  const problems = new Problems({ maxOperand: c.maxOperand, heldOut: c.heldOut });
  const half = Math.floor(c.heldOut / 2);
  const evalSet = problems.heldOut.slice(0, half);
  const validation = problems.heldOut.slice(half);
  const model = Llama.random(arithmeticLlamaConfig(c), rng.fork('init'));
  const vars = model.trainableVariables('full');
  const matrices = new Set(vars.filter((v) => v.shape.length === 2 && !v.name.includes('embed')).map((v) => v.name));
  const opt = new TensorAdam(vars, { lr: c.lr, beta2: 0.99, weightDecay: c.weightDecay, decays: (v) => matrices.has(v.name) });
  const batches = rng.fork('batches');
  const newTokens = maxAnswerLength(c) + 1;
  const curve: PretrainPoint[] = [];
  let reached = false;
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  for (step = 1; step <= c.maxSteps; step++) {
    // 1) a batch of training problems
    const { ids, mask, lossMask, length: L } = encodeBatch(tok, problems.sampleMany(batches, c.batch));
    const idsT = tf.tensor2d(ids, [c.batch, L], 'int32');
    const maskT = tf.tensor2d(mask, [c.batch, L], 'int32');
    const lmT = tf.tensor2d(lossMask, [c.batch, L]);
    // 2) one AdamW step on the answer tokens' cross-entropy
    opt.lr = step <= c.warmup ? (c.lr * step) / c.warmup : c.lr;
    const { value, grads } = tf.variableGrads(() => answerLoss(model, idsT, maskT, lmT), vars);
    lossSum += value.dataSync()[0]!;
    lossCount++;
    clipAndApply(opt, grads, 1);
    disposeGrads(grads);
    tf.dispose([value, idsT, maskT, lmT]);
    // 3) validation and the stop test
    if (step % c.evalEvery === 0 || step === c.maxSteps) {
      const accuracy = greedyAccuracy(model, tok, validation, newTokens).accuracy;
      const point = { step, loss: lossSum / lossCount, accuracy };
      curve.push(point);
      lossSum = 0;
      lossCount = 0;
      reached = accuracy >= c.targetAccuracy;
      onProgress?.(point, reached || step === c.maxSteps);
      if (reached) break;
    }
  }
  const steps = Math.min(step, c.maxSteps);
  const last = curve[curve.length - 1];
  return {
    model,
    tokenizer: tok,
    steps,
    curve,
    validationAccuracy: last?.accuracy ?? 0,
    evalAccuracy: greedyAccuracy(model, tok, evalSet, newTokens).accuracy,
    reachedTarget: reached,
    params: model.numParams(),
  };
}

