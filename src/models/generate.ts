/**
 * Batched sampling with a key/value cache from any causal LM (causalLm.ts: GPT-2 today).
 *
 * 1) left-pad the prompts to one length P (pad id, mask 0) and run them once (the "prefill"), keeping every
 *    block's keys and values;  2) each step feeds only the B new tokens, attending over the cache;
 * 3) sample in plain JS with the caller's Rng: logits / temperature → top-k → top-p (nucleus) → categorical, in
 *    Hugging Face's processor order. A row that emits EOS is finished: later tokens are padding (mask 0).
 * Only the last position of each step goes through the LM head.
 */
import { tf } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { CausalLm, KvCache } from './causalLm.js';

/** Sampling options (HF generate names in comments). */
export interface SamplingOptions {
  /** number of tokens to generate (max_new_tokens) */
  maxNewTokens: number;
  /** divide logits by T before sampling (temperature); default 1 */
  temperature?: number;
  /** keep only the k most likely tokens; 0 = off (top_k); default 0 */
  topK?: number;
  /** keep the smallest set of tokens with cumulative probability ≥ p; 1 = off (top_p); default 1 */
  topP?: number;
  /** argmax instead of sampling (do_sample=False); default false */
  greedy?: boolean;
  /** end-of-sequence id; default the model's eosId (GPT-2: eos_token_id) */
  eosId?: number;
  /** stop a row at EOS (later tokens become padding); default true */
  stopAtEos?: boolean;
  /** padding id for prompts and finished rows (pad_token_id); default eosId */
  padId?: number;
  /** use the LoRA adapters (false = reference policy); default true when the model has adapters */
  adapters?: boolean;
  /** keep the raw next-token logits of every step ([B, V] each) — for tests and diagnostics */
  returnLogits?: boolean;
}

export interface Generation {
  /** batch size B and the padded prompt length P */
  batch: number;
  promptLength: number;
  /** number of generation steps run N (≤ maxNewTokens; fewer when every row finished early) */
  newTokens: number;
  /** left-padded prompt followed by the response [B, P + N] (row-major) */
  sequences: Int32Array;
  /** 1 for prompt and response tokens (EOS included), 0 for padding [B, P + N] */
  attentionMask: Int32Array;
  /** the response part of attentionMask [B, N] */
  responseMask: Int32Array;
  /** each row's response tokens, up to and including EOS */
  responses: number[][];
  /** raw logits of each step [B, V] (only with returnLogits) */
  stepLogits?: Float32Array[];
}

/** Left-pads token sequences to one length: ids and mask [B, L] row-major. */
export function leftPad(seqs: readonly (readonly number[])[], padId: number, length?: number): { ids: Int32Array; mask: Int32Array; length: number } {
  const L = length ?? Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * L).fill(padId);
  const mask = new Int32Array(seqs.length * L);
  seqs.forEach((s, b) => {
    if (s.length > L) throw new ShapeError(`leftPad: sequence ${b} has ${s.length} tokens, more than the length ${L}`);
    const off = b * L + (L - s.length);
    for (let i = 0; i < s.length; i++) {
      ids[off + i] = s[i]!;
      mask[off + i] = 1;
    }
  });
  return { ids, mask, length: L };
}

function validate(o: SamplingOptions): Required<Pick<SamplingOptions, 'temperature' | 'topK' | 'topP'>> {
  if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 1)) throw new ConfigError('maxNewTokens', `maxNewTokens must be an integer ≥ 1, got ${o.maxNewTokens}`);
  const temperature = o.temperature ?? 1;
  const topK = o.topK ?? 0;
  const topP = o.topP ?? 1;
  if (!(temperature > 0)) throw new ConfigError('temperature', `temperature must be > 0, got ${temperature}`);
  if (!(Number.isInteger(topK) && topK >= 0)) throw new ConfigError('topK', `topK must be an integer ≥ 0 (0 = off), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new ConfigError('topP', `topP must be in (0, 1], got ${topP}`);
  return { temperature, topK, topP };
}

/**
 * Picks one token from a row of logits (offset into a [B, V] buffer). Sampling: p ∝ exp(z/T) restricted to the
 * top-k and then to the nucleus (smallest set with Σp ≥ top-p); `probs` is scratch space of length V.
 */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  V: number,
  o: { temperature: number; topK: number; topP: number; greedy?: boolean },
  rng: Rng,
  probs: Float32Array,
): number {
  let max = -Infinity;
  let arg = 0;
  for (let i = 0; i < V; i++) {
    const z = logits[offset + i]!;
    if (z > max) {
      max = z;
      arg = i;
    }
  }
  if (o.greedy) return arg;
  // p_i ∝ exp((z_i − max) / T)
  let total = 0;
  for (let i = 0; i < V; i++) {
    const p = Math.exp((logits[offset + i]! - max) / o.temperature);
    probs[i] = p;
    total += p;
  }
  if (o.topK > 0 && o.topK < V) {
    // threshold = the k-th largest probability; ties at the threshold are kept
    const sorted = Float32Array.from(probs).sort();
    const kth = sorted[V - o.topK]!;
    total = 0;
    for (let i = 0; i < V; i++) {
      if (probs[i]! < kth) probs[i] = 0;
      total += probs[i]!;
    }
  }
  if (o.topP < 1) {
    // nucleus: walk probabilities from the largest down until their sum reaches top-p; keep everything ≥ that one
    const sorted = Float32Array.from(probs).sort();
    const need = o.topP * total;
    let acc = 0;
    let tau = sorted[V - 1]!;
    for (let i = V - 1; i >= 0; i--) {
      acc += sorted[i]!;
      tau = sorted[i]!;
      if (acc >= need) break;
    }
    for (let i = 0; i < V; i++) if (probs[i]! < tau) probs[i] = 0;
  }
  return rng.categorical(probs, 0, V);
}

/**
 * Generates up to `maxNewTokens` tokens for each prompt (token id arrays of any lengths ≥ 1).
 * Deterministic for a given Rng state.
 */
export function generate(model: CausalLm, prompts: readonly (readonly number[])[], opts: SamplingOptions, rng: Rng): Generation {
  const { temperature, topK, topP } = validate(opts);
  const B = prompts.length;
  if (B === 0) throw new ShapeError('generate: no prompts');
  if (prompts.some((p) => p.length === 0)) throw new ShapeError('generate: every prompt needs at least one token');
  const V = model.vocabSize;
  const eos = opts.eosId ?? model.eosId;
  const pad = opts.padId ?? eos;
  const stopAtEos = opts.stopAtEos ?? true;
  const { ids: pIds, mask: pMask, length: P } = leftPad(prompts, pad);
  const Nmax = opts.maxNewTokens;
  if (P + Nmax > model.contextLength)
    throw new ConfigError('maxNewTokens', `prompt length ${P} + maxNewTokens ${Nmax} exceeds the model's context of ${model.contextLength} positions`);
  const fwd = { adapters: opts.adapters };

  // 1) prefill: positions = cumsum(mask) − 1
  const positions = new Int32Array(B * P);
  const nextPos = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let c = 0;
    for (let t = 0; t < P; t++) {
      if (pMask[b * P + t]) c++;
      positions[b * P + t] = Math.max(c - 1, 0);
    }
    nextPos[b] = c;
  }
  const keyMask: number[][] = Array.from({ length: B }, (_, b) => Array.from(pMask.subarray(b * P, (b + 1) * P)));
  const flatMask = (): Int32Array => Int32Array.from(keyMask.flat());
  let cache: KvCache | null = null;
  let logitsT: tf.Tensor2D;
  {
    const idsT = tf.tensor2d(pIds, [B, P], 'int32');
    const r = model.step(idsT, positions, pMask, null, fwd);
    idsT.dispose();
    logitsT = r.logits;
    cache = r.cache;
  }

  // 2) decode
  const out: number[][] = Array.from({ length: B }, () => []);
  const finished = new Uint8Array(B);
  const respMaskRows: number[][] = Array.from({ length: B }, () => []);
  const stepLogits: Float32Array[] = [];
  const probs = new Float32Array(V);
  const next = new Int32Array(B);
  let steps = 0;
  try {
    for (let t = 0; t < Nmax; t++) {
      const logits = logitsT.dataSync() as Float32Array; // [B, V]
      if (opts.returnLogits) stepLogits.push(Float32Array.from(logits));
      logitsT.dispose();
      for (let b = 0; b < B; b++) {
        if (finished[b]) {
          next[b] = pad;
          respMaskRows[b]!.push(0);
          continue;
        }
        const tok = sampleToken(logits, b * V, V, { temperature, topK, topP, greedy: opts.greedy }, rng, probs);
        next[b] = tok;
        out[b]!.push(tok);
        respMaskRows[b]!.push(1);
        if (stopAtEos && tok === eos) finished[b] = 1;
      }
      steps = t + 1;
      if (t === Nmax - 1 || finished.every((f) => f === 1)) break;
      // 3) feed the new tokens; finished rows keep going with padding (masked out of every later attention)
      for (let b = 0; b < B; b++) keyMask[b]!.push(1);
      const idsT = tf.tensor2d(next, [B, 1], 'int32');
      const r = model.step(idsT, Int32Array.from(nextPos), flatMask(), cache, fwd);
      idsT.dispose();
      for (const l of cache) {
        l.k.dispose();
        l.v.dispose();
      }
      cache = r.cache;
      logitsT = r.logits;
      for (let b = 0; b < B; b++) nextPos[b]! += 1;
    }
  } finally {
    for (const l of cache ?? []) {
      l.k.dispose();
      l.v.dispose();
    }
    if (!logitsT.isDisposed) logitsT.dispose();
  }

  // 4) assemble [B, P + N]
  const N = steps;
  const L = P + N;
  const sequences = new Int32Array(B * L);
  const attentionMask = new Int32Array(B * L);
  const responseMask = new Int32Array(B * N);
  for (let b = 0; b < B; b++) {
    sequences.set(pIds.subarray(b * P, (b + 1) * P), b * L);
    attentionMask.set(pMask.subarray(b * P, (b + 1) * P), b * L);
    for (let t = 0; t < N; t++) {
      const on = respMaskRows[b]![t]!;
      sequences[b * L + P + t] = on ? out[b]![t]! : pad;
      attentionMask[b * L + P + t] = on;
      responseMask[b * N + t] = on;
    }
  }
  const g: Generation = { batch: B, promptLength: P, newTokens: N, sequences, attentionMask, responseMask, responses: out };
  if (opts.returnLogits) g.stepLogits = stepLogits;
  return g;
}
