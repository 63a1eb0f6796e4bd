/**
 * The simulated text judge: the `sentiment` package's AFINN-165 lexicon (words scored −5 … +5, a negator such
 * as "not" flips the next word) scores each continuation, and the B-Pref teacher model (bpref.ts: rationality,
 * myopia, mistakes, skips, ties) turns the scores into answers a person might give.
 *
 * The per-step "rewards" of a text are its words' AFINN contributions, in reading order, so that
 *   return R = Σ_words score(word) = the AFINN score of the text      (mode "score")
 *   R = AFINN score / number of words                                   (mode "comparative": length-neutral)
 * and B-Pref's myopia weighs the end of a continuation more, as a reader who skims might.
 */
import Sentiment from 'sentiment';
import { BPrefTeacher, resolveTeacher, type TeacherConfig } from './bpref.js';
import type { Preference } from '../feedback/types.js';
import type { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';

const analyzer = new Sentiment();

export type SentimentMode = 'score' | 'comparative';
export const SENTIMENT_MODES: readonly SentimentMode[] = ['score', 'comparative'];

/** AFINN-165 analysis of one text. */
export interface AfinnResult {
  /** Σ of word scores (negation applied) */
  score: number;
  /** score / number of tokens (0 for an empty text) */
  comparative: number;
  /** the package's tokens, lower-cased, in reading order */
  tokens: string[];
  /** the score each token contributed (0 for words not in the lexicon), in reading order */
  perToken: number[];
}

/** AFINN-165 score of a text, with the per-token contributions in reading order. */
export function afinn(text: string): AfinnResult {
  const r = analyzer.analyze(text);
  const perToken = new Array<number>(r.tokens.length).fill(0);
  // `calculation` lists the scored tokens from the last to the first: walk the tokens backwards to place them
  let k = 0;
  for (let i = r.tokens.length - 1; i >= 0 && k < r.calculation.length; i--) {
    const entry = r.calculation[k]!;
    const word = Object.keys(entry)[0]!;
    if (word === r.tokens[i]) {
      perToken[i] = entry[word]!;
      k++;
    }
  }
  return { score: r.score, comparative: r.comparative, tokens: r.tokens, perToken };
}

/** Mean AFINN score of a list of texts (the `sentiment_before` / `sentiment_after` metric). */
export function meanAfinn(texts: readonly string[]): number {
  if (texts.length === 0) return 0;
  let s = 0;
  for (const t of texts) s += afinn(t).score;
  return s / texts.length;
}

/** Per-step rewards of a text for the B-Pref teacher: its tokens' AFINN contributions (÷ tokens for "comparative"). */
export function sentimentRewards(text: string, mode: SentimentMode = 'score'): Float32Array {
  const a = afinn(text);
  if (a.tokens.length === 0) return new Float32Array(1); // an empty continuation is neutral
  const r = Float32Array.from(a.perToken);
  if (mode === 'comparative') for (let i = 0; i < r.length; i++) r[i] = r[i]! / a.tokens.length;
  return r;
}

export interface SentimentJudgeOptions {
  /** a B-Pref teacher name (oracle, noisy, mistake, skip, myopic, equal); default oracle */
  teacher?: string;
  /** overrides of the named teacher's parameters */
  overrides?: Partial<TeacherConfig>;
  /** "score" (AFINN sum) or "comparative" (per word); default score */
  mode?: SentimentMode;
  /**
   * answer 'tie' when both continuations have exactly the same score; default true. AFINN scores are small
   * integers, so exact ties are common (two neutral continuations score 0), and B-Pref's rational teacher would hand
   * each of them to the left segment — a label without information. A person would call them equal.
   */
  tieOnEqual?: boolean;
}

/**
 * A simulated judge of text pairs: prefers the more positive continuation (AFINN-165), with B-Pref noise.
 * Continuations of the same prompt are compared; the prompt itself is not scored.
 */
export class SentimentJudge {
  readonly mode: SentimentMode;
  readonly tieOnEqual: boolean;
  readonly teacher: BPrefTeacher;
  readonly name: string;

  constructor(rng: Rng, opts: SentimentJudgeOptions = {}) {
    const mode = opts.mode ?? 'score';
    if (!SENTIMENT_MODES.includes(mode)) throw new ConfigError('mode', `sentiment judge mode must be one of ${SENTIMENT_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    this.mode = mode;
    this.tieOnEqual = opts.tieOnEqual ?? true;
    const name = opts.teacher ?? 'oracle';
    this.teacher = new BPrefTeacher(resolveTeacher(name, opts.overrides), rng, `sentiment:${name}`);
    this.name = `teacher:sentiment-${name}`;
  }

  /** The judge's true return of a continuation: its AFINN score (or comparative score). */
  score(text: string): number {
    const a = afinn(text);
    return this.mode === 'score' ? a.score : a.comparative;
  }

  /**
   * Labels a batch of pairs: 'left' | 'right' | 'tie' | 'skip'. The skip threshold is measured from the lowest
   * per-word reward in the batch (B-Pref's floor), so negative AFINN scores do not make every pair skippable.
   * With tieOnEqual, pairs of equal score are ties (after the teacher has drawn its answer, so the random stream
   * does not depend on this option).
   */
  compare(pairs: ReadonlyArray<{ left: string; right: string }>): Preference[] {
    const rs = pairs.map((p) => ({ left: sentimentRewards(p.left, this.mode), right: sentimentRewards(p.right, this.mode) }));
    let floor = 0;
    for (const p of rs) for (const r of [p.left, p.right]) for (const x of r) floor = Math.min(floor, x);
    const labels = this.teacher.labelBatch(rs, floor);
    if (!this.tieOnEqual) return labels;
    const sum = (r: Float32Array): number => r.reduce((a, b) => a + b, 0);
    return labels.map((l, i) => (l !== 'skip' && Math.abs(sum(rs[i]!.left) - sum(rs[i]!.right)) < 1e-9 ? 'tie' : l));
  }
}
