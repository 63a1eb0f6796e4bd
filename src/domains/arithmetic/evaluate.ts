/**
 * Measuring the arithmetic policy: greedy exact-match accuracy on held-out problems, and its KL to the reference.
 * Browser-safe.
 */
import { tf } from '../../core/tensor.js';
import type { Rng } from '../../core/rng.js';
import type { CausalLm } from '../../models/causalLm.js';
import { generate, type Generation } from '../../models/generate.js';
import type { Tokenizer } from '../../models/tokenizers/types.js';
import { isCorrect, type Problem } from './problems.js';

/** Rows per generation call when evaluating (bounds the KV cache's memory). */
const EVAL_CHUNK = 256;

/** The text of each row's response: its tokens up to (not including) the end token. */
export function completionTexts(tok: Tokenizer, g: Generation, eosId: number): string[] {
  return g.responses.map((r) => tok.decode(r[r.length - 1] === eosId ? r.slice(0, -1) : r));
}

export interface AccuracyResult {
  /** share of problems answered exactly */
  accuracy: number;
  /** the greedy completion of each problem */
  completions: string[];
}

/** Greedy exact-match accuracy: the share of problems whose greedy completion is exactly the answer. */
export function greedyAccuracy(model: CausalLm, tok: Tokenizer, problems: readonly Problem[], maxNewTokens: number, opts: { adapters?: boolean } = {}): AccuracyResult {
  const completions: string[] = [];
  let right = 0;
  for (let s = 0; s < problems.length; s += EVAL_CHUNK) {
    const chunk = problems.slice(s, s + EVAL_CHUNK);
    // greedy decoding draws nothing from the Rng; generate still wants one
    const g = generate(model, chunk.map((p) => tok.encode(p.prompt)), { maxNewTokens, greedy: true, adapters: opts.adapters }, NO_RNG);
    const texts = completionTexts(tok, g, model.eosId);
    texts.forEach((t, i) => {
      completions.push(t);
      if (isCorrect(t, chunk[i]!.answer)) right++;
    });
  }
  return { accuracy: problems.length > 0 ? right / problems.length : Number.NaN, completions };
}

/** An Rng that must not be drawn from (greedy decoding). */
const NO_RNG = new Proxy({} as Rng, {
  get() {
    throw new Error('internal: greedy decoding drew a random number');
  },
});

/**
 * KL(π ‖ π_ref) per completion, exactly over the vocabulary at each generated position:
 *   KL = E_{y∼π} Σ_t Σ_v π(v | x, y_<t) (log π(v | x, y_<t) − log π_ref(v | x, y_<t))
 * estimated on one completion sampled from π (at temperature T) per problem; mean over problems (nats per sequence).
 * `policy` and `reference` may be one model with adapters on and off.
 */
export function klToReference(
  policy: CausalLm,
  reference: { model: CausalLm; adapters: boolean },
  tok: Tokenizer,
  problems: readonly Problem[],
  maxNewTokens: number,
  temperature: number,
  rng: Rng,
): number {
  let total = 0;
  for (let s = 0; s < problems.length; s += EVAL_CHUNK) {
    const chunk = problems.slice(s, s + EVAL_CHUNK);
    const g = generate(policy, chunk.map((p) => tok.encode(p.prompt)), { maxNewTokens, temperature, adapters: true }, rng);
    const B = g.batch;
    const L = g.promptLength + g.newTokens;
    const N = g.newTokens;
    total += tf.tidy(() => {
      const ids = tf.tensor2d(g.sequences, [B, L], 'int32');
      const mask = tf.tensor2d(g.attentionMask, [B, L], 'int32');
      const logits = (m: CausalLm, adapters: boolean): tf.Tensor3D => {
        const z = tf.slice(m.forward(ids, mask, { adapters, logitsLast: N + 1 }).logits, [0, 0, 0], [B, N, m.vocabSize]); // [B, N, V]
        return tf.logSoftmax(tf.div(z, temperature)) as tf.Tensor3D; // [B, N, V] log π(· | x, y_<t)
      };
      const lp = logits(policy, true);
      const lq = logits(reference.model, reference.adapters);
      const klTok = tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lq)), -1); // [B, N] Σ_v π (log π − log π_ref)
      const m = tf.tensor2d(g.responseMask, [B, N], 'int32').toFloat(); // [B, N]
      return tf.sum(tf.mul(klTok, m)).dataSync()[0]!;
    });
  }
  return problems.length > 0 ? total / problems.length : Number.NaN;
}
