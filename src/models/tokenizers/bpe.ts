/**
 * A small byte-level BPE (Sennrich et al. 2016; GPT-2's byte-level variant) learned on a corpus.
 *
 * Text is split into pre-tokens with GPT-2's pattern (words with their leading space, numbers, punctuation runs,
 * whitespace), each pre-token is a sequence of UTF-8 bytes (ids 0–255), and training repeatedly merges the most
 * frequent adjacent pair into a new id (256, 257, …). Encoding applies the merges in the order they were learned.
 * Every string round-trips, since any byte is a token. With zero merges this is a plain byte tokenizer.
 */
import { ConfigError, DataError } from '../../core/errors.js';
import { EOT, TOKENIZER_FORMAT, type Tokenizer, type TokenizerJson } from './types.js';

/** GPT-2's pre-tokenizer pattern (tiktoken "gpt2"). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const utf8 = new TextEncoder();

const key = (a: number, b: number): number => a * 65536 + b; // ids < 65536

export class ByteBpeTokenizer implements Tokenizer {
  readonly type = 'byte-bpe' as const;
  readonly vocabSize: number;
  readonly eosId: number;
  private readonly re: RegExp;
  /** pair key → merged id (its rank is id − 256) */
  private readonly ranks = new Map<number, number>();
  /** bytes of every id below the specials */
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    readonly merges: readonly (readonly [number, number])[],
    readonly pattern: string = GPT2_PATTERN,
  ) {
    this.re = new RegExp(pattern, 'gu');
    for (let i = 0; i < 256; i++) this.bytes.push(Uint8Array.of(i));
    merges.forEach(([a, b], i) => {
      const id = 256 + i;
      if (!(a >= 0 && a < id && b >= 0 && b < id)) throw new DataError(`byte-bpe: merge ${i} [${a}, ${b}] refers to an id not yet defined`);
      this.ranks.set(key(a, b), id);
      const m = new Uint8Array(this.bytes[a]!.length + this.bytes[b]!.length);
      m.set(this.bytes[a]!);
      m.set(this.bytes[b]!, this.bytes[a]!.length);
      this.bytes.push(m);
    });
    this.eosId = 256 + merges.length;
    this.vocabSize = this.eosId + 1;
  }

  /** BPE of one pre-token: repeatedly merge the adjacent pair with the lowest rank. */
  private bpe(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const syms = Array.from(utf8.encode(word));
    while (syms.length > 1) {
      let best = -1;
      let bestId = Infinity;
      for (let i = 0; i < syms.length - 1; i++) {
        const id = this.ranks.get(key(syms[i]!, syms[i + 1]!));
        if (id !== undefined && id < bestId) {
          bestId = id;
          best = i;
        }
      }
      if (best < 0) break;
      syms.splice(best, 2, bestId);
    }
    if (this.cache.size < 200_000) this.cache.set(word, syms);
    return syms;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    const parts = text.split(EOT);
    parts.forEach((part, i) => {
      if (i > 0) out.push(this.eosId);
      for (const m of part.matchAll(this.re)) out.push(...this.bpe(m[0]));
    });
    return out;
  }

  decode(ids: readonly number[]): string {
    const chunks: Uint8Array[] = [];
    let n = 0;
    let text = '';
    const flush = (): void => {
      const buf = new Uint8Array(n);
      let o = 0;
      for (const c of chunks) {
        buf.set(c, o);
        o += c.length;
      }
      text += this.decoder.decode(buf);
      chunks.length = 0;
      n = 0;
    };
    for (const id of ids) {
      if (id === this.eosId) {
        flush();
        text += EOT;
        continue;
      }
      const b = this.bytes[id];
      if (!b) throw new DataError(`byte-bpe: id ${id} is outside the vocabulary of ${this.vocabSize}`);
      chunks.push(b);
      n += b.length;
    }
    flush();
    return text;
  }

  /** The text of one token (for inspection). */
  tokenText(id: number): string {
    return id === this.eosId ? EOT : this.decoder.decode(this.bytes[id] ?? new Uint8Array());
  }

  toJSON(): TokenizerJson {
    return {
      format: TOKENIZER_FORMAT,
      version: 1,
      type: 'byte-bpe',
      vocab_size: this.vocabSize,
      pattern: this.pattern,
      merges: this.merges.map(([a, b]) => [a, b] as [number, number]),
      special_tokens: { [EOT]: this.eosId },
    };
  }
}

/**
 * Learns `vocabSize − 257` merges on `texts` (vocabSize counts the 256 bytes and <|endoftext|>).
 * Pair counts are kept incrementally: a merge only revisits the words that contain the merged pair.
 * Ties between equally frequent pairs go to the smaller pair key, so training is deterministic.
 */
export function trainByteBpe(texts: Iterable<string>, vocabSize: number, opts: { pattern?: string; minFrequency?: number } = {}): ByteBpeTokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize < 257 || vocabSize > 65535)
    throw new ConfigError('vocab-size', `the BPE vocabulary must be an integer in [257, 65535] (256 bytes + <|endoftext|> + merges), got ${vocabSize}`);
  const pattern = opts.pattern ?? GPT2_PATTERN;
  const minFreq = opts.minFrequency ?? 2;
  const re = new RegExp(pattern, 'gu');
  // 1) count pre-tokens
  const counts = new Map<string, number>();
  for (const t of texts)
    for (const part of t.split(EOT)) for (const m of part.matchAll(re)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  const words: { syms: number[]; n: number }[] = [];
  for (const [w, n] of counts) words.push({ syms: Array.from(utf8.encode(w)), n });
  // 2) pair statistics: count and the words that contain each pair
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addWord = (wi: number, sign: 1 | -1): void => {
    const { syms, n } = words[wi]!;
    for (let i = 0; i < syms.length - 1; i++) {
      const k = key(syms[i]!, syms[i + 1]!);
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * n);
      if (sign > 0) {
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addWord(wi, 1);
  // 3) merge the most frequent pair, vocabSize − 257 times
  const merges: [number, number][] = [];
  const target = vocabSize - 257;
  while (merges.length < target) {
    let best = -1;
    let bestN = 0;
    for (const [k, n] of pairCount) if (n > bestN || (n === bestN && n > 0 && k < best)) [best, bestN] = [k, n];
    if (best < 0 || bestN < minFreq) break; // nothing frequent enough left to merge
    const a = Math.floor(best / 65536);
    const b = best % 65536;
    const id = 256 + merges.length;
    merges.push([a, b]);
    for (const wi of where.get(best) ?? []) {
      addWord(wi, -1);
      const s = words[wi]!.syms;
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i < s.length - 1 && s[i] === a && s[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(s[i]!);
      }
      words[wi]!.syms = out;
      addWord(wi, 1);
    }
    where.delete(best);
    pairCount.delete(best);
  }
  return new ByteBpeTokenizer(merges, pattern);
}
