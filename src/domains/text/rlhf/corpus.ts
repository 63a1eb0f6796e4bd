/**
 * Prompts for the text RLHF loop: the first 2–8 tokens of corpus entries (as the seed took the first words of movie
 * reviews) — held-out entries for the before/after evaluation, the others for training. The corpus itself is read
 * by ../corpus.ts (fortune files or any text).
 */
import { DataError } from '../../../core/errors.js';
import { hashString, type Rng } from '../../../core/rng.js';

/** The tokenizer a text model uses, seen from the loop (../tokenizer's Tokenizer satisfies it). */
export interface TextCodec {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** end-of-text id: generation stops there */
  readonly eosId: number;
}

/** Held-out entries when the model's own split is unknown: a fixed 10 % chosen by hash (independent of order and seed). */
export function isHeldOut(entry: string, fraction = 0.1): boolean {
  return hashString(entry) / 4294967296 < fraction;
}

/** Splits entries by hash (isHeldOut): training prompts come from `train`, evaluation prompts from `heldout`. */
export function hashSplit(entries: readonly string[]): { train: string[]; heldout: string[] } {
  return { train: entries.filter((e) => !isHeldOut(e)), heldout: entries.filter((e) => isHeldOut(e)) };
}

export interface Prompt {
  /** the prompt's tokens */
  ids: number[];
  /** the prompt decoded */
  text: string;
}

/**
 * `n` prompts: the first k tokens (k uniform in [minTokens, maxTokens]) of distinct entries of `pool`, drawn with
 * `rng`. Entries shorter than k + 1 tokens are skipped (the prompt must leave something to continue); prompts are
 * distinct.
 */
export function makePrompts(pool: readonly string[], codec: TextCodec, n: number, minTokens: number, maxTokens: number, rng: Rng, what = 'prompts'): Prompt[] {
  const order = rng.shuffle(pool.map((_, i) => i));
  const out: Prompt[] = [];
  const seen = new Set<string>();
  for (const i of order) {
    if (out.length >= n) break;
    const ids = codec.encode(pool[i]!);
    const k = minTokens + rng.int(maxTokens - minTokens + 1);
    if (ids.length < k + 1) continue;
    const p = ids.slice(0, k);
    const text = codec.decode(p);
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ ids: p, text });
  }
  if (out.length < n) throw new DataError(`the corpus gave only ${out.length} distinct ${what} of ${minTokens}–${maxTokens} tokens; ${n} are needed (ask for fewer or use a larger --corpus)`);
  return out;
}

/** UTF-8 bytes as tokens 0–255 and end-of-text 256: a tokenizer for tests and byte-level models. */
export class ByteCodec implements TextCodec {
  readonly eosId = 256;
  readonly vocabSize = 257;
  encode(text: string): number[] {
    return Array.from(Buffer.from(text, 'utf8'));
  }
  decode(ids: readonly number[]): string {
    return Buffer.from(ids.filter((i) => i >= 0 && i < 256)).toString('utf8');
  }
}
