/**
 * Text corpora for the text domain: Debian's `fortunes` (fortune-mod data files, entries separated by a line holding
 * only `%`) or any text file / directory (entries separated by blank lines when a file has no `%` lines).
 * Prompts for RLHF are the first 2–8 tokens of held-out entries, as the seed took the start of movie reviews.
 * Also the RLHF run's other reads from disk (promptSplit: the pretraining's split beside a model; textCodecOf: a model
 * directory's tokenizer), so the loop itself (rlhf/) touches no file.
 */
import { existsSync, readdirSync, readFileSync, statSync, lstatSync } from 'node:fs';
import { join, basename } from 'node:path';
import { DataError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Tokenizer } from '../../models/tokenizers/types.js';
import { loadTokenizer } from '../../models/load.js';
import { ByteCodec, hashSplit, type TextCodec } from './rlhf/corpus.js';

/** Where Debian's fortunes-min / fortunes packages put their data. */
export const DEFAULT_CORPUS = '/usr/share/games/fortunes';

export interface CorpusEntry {
  text: string;
  /** file the entry came from (basename) */
  source: string;
}

/** Splits one file's text into entries: `%` lines (fortune format) or, without them, blank lines. */
export function splitEntries(text: string): string[] {
  const normalized = text.replace(/\r\n?/g, '\n');
  const parts = /^%$/m.test(normalized) ? normalized.split(/^%$/m) : normalized.split(/\n\s*\n/);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** The data files of a fortune directory: regular files, not the .dat indexes, .u8 links or hidden files. */
function corpusFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && !f.endsWith('.dat') && !f.endsWith('.u8'))
    .map((f) => join(dir, f))
    .filter((p) => {
      const l = lstatSync(p);
      return l.isFile() && !l.isSymbolicLink();
    })
    .sort();
}

/**
 * Loads every entry of a corpus file or directory. Entries longer than `maxChars` (ASCII-art, long essays) are
 * dropped; so are entries with control characters other than tab/newline.
 */
export function loadCorpus(path: string, opts: { maxChars?: number } = {}): CorpusEntry[] {
  const maxChars = opts.maxChars ?? 1000;
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DataError(`corpus ${path} does not exist (Debian: apt-get install fortunes; or pass --corpus FILE|DIR)`);
  }
  const files = st.isDirectory() ? corpusFiles(path) : [path];
  if (files.length === 0) throw new DataError(`corpus ${path}: no text files in this directory`);
  const out: CorpusEntry[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const e of splitEntries(text)) {
      if (e.length > maxChars) continue;
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(e)) continue; // eslint-disable-line no-control-regex
      out.push({ text: e, source: basename(f) });
    }
  }
  if (out.length < 10) throw new DataError(`corpus ${path}: only ${out.length} usable entries; need at least 10`);
  return out;
}

/** A deterministic train / validation split. */
export function splitCorpus<T>(entries: readonly T[], valFraction: number, rng: Rng): { train: T[]; val: T[] } {
  const idx = rng.shuffle(Array.from({ length: entries.length }, (_, i) => i));
  const nVal = Math.max(1, Math.round(entries.length * valFraction));
  return { val: idx.slice(0, nVal).map((i) => entries[i]!), train: idx.slice(nVal).map((i) => entries[i]!) };
}

/**
 * Prompts from entries: the first k tokens, k uniform in [minTokens, maxTokens] (shorter entries give what they have,
 * at least 1 token). Returns token ids and their text.
 */
export function promptsFrom(
  entries: readonly CorpusEntry[],
  tok: Tokenizer,
  rng: Rng,
  opts: { count?: number; minTokens?: number; maxTokens?: number } = {},
): { ids: number[]; text: string }[] {
  const lo = opts.minTokens ?? 2;
  const hi = opts.maxTokens ?? 8;
  const n = Math.min(opts.count ?? entries.length, entries.length);
  const pick = rng.sampleIndices(entries.length, n);
  return pick.map((i) => {
    const all = tok.encode(entries[i]!.text);
    const k = Math.max(1, Math.min(all.length, lo + rng.int(hi - lo + 1)));
    const ids = all.slice(0, k);
    return { ids, text: tok.decode(ids) };
  });
}

/** All entries as one token stream, each followed by <|endoftext|> (the pretraining data). */
export function tokenStream(entries: readonly CorpusEntry[], tok: Tokenizer): Int32Array {
  const parts: number[][] = entries.map((e) => [...tok.encode(e.text), tok.eosId]);
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The tokenizer of a model directory (tokenizer.json, or GPT-2 BPE); a 257-token model without one reads bytes. */
export function textCodecOf(vocabSize: number, dir: string): TextCodec {
  if (vocabSize === 257 && !existsSync(join(dir, 'tokenizer.json'))) return new ByteCodec();
  return loadTokenizer(dir, vocabSize);
}

/**
 * Training and held-out entries for the RLHF prompts. When the model was pretrained here (pretrain.json beside it) on
 * the same corpus, its own validation split is the held-out set, so evaluation prompts were never trained on;
 * otherwise a fixed hash split (10 % held out). `corpus` null: the model's pretraining corpus, else DEFAULT_CORPUS.
 */
export function promptSplit(corpus: string | null, modelDir: string): { train: string[]; heldout: string[]; source: 'pretrain' | 'hash' } {
  const pj = join(modelDir, 'pretrain.json');
  let pre: { corpus?: unknown; seed?: unknown; valFraction?: unknown } | undefined;
  if (existsSync(pj)) {
    try {
      pre = (JSON.parse(readFileSync(pj, 'utf8')) as { config?: typeof pre }).config;
    } catch {
      pre = undefined;
    }
  }
  const path = corpus ?? (typeof pre?.corpus === 'string' ? pre.corpus : DEFAULT_CORPUS);
  const entries = loadCorpus(path);
  if (pre && pre.corpus === path && typeof pre.seed === 'number' && typeof pre.valFraction === 'number') {
    const { train, val } = splitCorpus(entries, pre.valFraction, new Rng(pre.seed).fork('split')); // the pretraining's split
    return { train: train.map((e) => e.text), heldout: val.map((e) => e.text), source: 'pretrain' };
  }
  return { ...hashSplit(entries.map((e) => e.text)), source: 'hash' };
}
