/**
 * Prompts for the text RLHF loop: the first 2–8 tokens of held-out corpus entries (as the seed took the first
 * words of movie reviews). A corpus is a text file or a directory of them; fortune files (entries separated by a
 * line holding only "%") are split into entries, other text into paragraphs (blank-line separated).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../../core/errors.js';
import { hashString, type Rng } from '../../../core/rng.js';

/** Debian's `fortunes` package installs here. */
export const DEFAULT_CORPUS = '/usr/share/games/fortunes';

/** The tokenizer a text model uses, seen from the loop. */
export interface TextCodec {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** end-of-text id: generation stops there */
  readonly eosId: number;
}

/** Splits one file's text into entries: fortune format when it has "%" lines, else paragraphs. */
export function splitEntries(text: string): string[] {
  const norm = text.replace(/\r\n?/g, '\n');
  const parts = /^%$/m.test(norm) ? norm.split(/^%$/m) : norm.split(/\n\s*\n/);
  return parts.map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
}

/** Reads every entry of a corpus file or directory (binary index files such as *.dat are skipped). */
export function readCorpus(path: string): string[] {
  if (!existsSync(path)) throw new DataError(`corpus ${path} does not exist (install Debian's "fortunes" package, or pass --corpus FILE|DIR)`);
  const files: string[] = [];
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      const p = join(path, name);
      if (/\.(dat|u8|gz|bz2|zip)$/.test(name) || !statSync(p).isFile()) continue;
      files.push(p);
    }
  } else files.push(path);
  const entries: string[] = [];
  for (const f of files) {
    const buf = readFileSync(f);
    if (buf.includes(0)) continue; // binary
    entries.push(...splitEntries(buf.toString('utf8')));
  }
  if (entries.length === 0) throw new DataError(`corpus ${path} holds no text entries`);
  return entries;
}

/** Held-out entries: a fixed 10 % chosen by hash (independent of order and seed). */
export function isHeldOut(entry: string, fraction = 0.1): boolean {
  return hashString(entry) / 4294967296 < fraction;
}

export interface Prompt {
  /** the prompt's tokens */
  ids: number[];
  /** the prompt decoded */
  text: string;
}

/**
 * `n` prompts: the first k tokens (k uniform in [minTokens, maxTokens]) of distinct entries of one split (held-out
 * entries for evaluation, the others for training), drawn with `rng`. Entries shorter than k + 1 tokens are
 * skipped (the prompt must leave something to continue); prompts are distinct.
 */
export function makePrompts(entries: readonly string[], codec: TextCodec, n: number, minTokens: number, maxTokens: number, rng: Rng, split: 'train' | 'heldout' = 'heldout'): Prompt[] {
  const pool = entries.filter((e) => isHeldOut(e) === (split === 'heldout'));
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
  if (out.length < n) throw new DataError(`the corpus's ${split} entries gave only ${out.length} distinct prompts of ${minTokens}–${maxTokens} tokens; ${n} are needed (lower --eval-prompts or use a larger --corpus)`);
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
