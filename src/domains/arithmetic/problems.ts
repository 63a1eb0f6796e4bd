/**
 * The arithmetic task: the adder seed's a + b, now as text. A problem is the prompt "a+b=" and its answer, the decimal
 * digits of a + b; a completion is right when it is exactly those digits (then the end-of-sequence token).
 *
 * Operands are integers in [0, maxOperand). A fixed pool of problems is held out (drawn with HELD_OUT_SEED, the same
 * for every run seed): pretraining never sees them, and the RL run measures accuracy on the first `evalProblems` of
 * them, so "held-out accuracy" means problems the model has never been trained on. Browser-safe.
 */
import { ConfigError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';

/** One problem: the prompt the model continues and the answer it should write. */
export interface Problem {
  a: number;
  b: number;
  /** "a+b=" */
  prompt: string;
  /** the digits of a + b */
  answer: string;
}

/** Where problems come from: operands in [0, maxOperand), `heldOut` problems kept out of training. */
export interface ProblemSpace {
  /** a, b ∈ [0, maxOperand) */
  maxOperand: number;
  /** size of the held-out pool */
  heldOut: number;
}

/** The seed of the held-out pool: fixed, so pretraining and every RL run agree on it. */
export const HELD_OUT_SEED = 20_260_512;

export function problemOf(a: number, b: number): Problem {
  return { a, b, prompt: `${a}+${b}=`, answer: String(a + b) };
}

/** The longest answer in the space, in characters (the most digits a + b can have). */
export function maxAnswerLength(space: Pick<ProblemSpace, 'maxOperand'>): number {
  return String(2 * (space.maxOperand - 1)).length;
}

/** The longest prompt in the space, in characters. */
export function maxPromptLength(space: Pick<ProblemSpace, 'maxOperand'>): number {
  return 2 * String(space.maxOperand - 1).length + 2;
}

/** The held-out pool and a sampler of training problems that never returns one of them. */
export class Problems {
  /** the held-out pool, in a fixed order (the RL run evaluates on a prefix of it) */
  readonly heldOut: readonly Problem[];
  private readonly excluded: Set<number>;

  constructor(readonly space: ProblemSpace) {
    const n = space.maxOperand * space.maxOperand;
    if (!(Number.isInteger(space.maxOperand) && space.maxOperand >= 2)) throw new ConfigError('maxOperand', `maxOperand must be an integer ≥ 2, got ${space.maxOperand}`);
    if (!(Number.isInteger(space.heldOut) && space.heldOut >= 1 && space.heldOut <= n / 2))
      throw new ConfigError('heldOut', `the held-out pool must hold between 1 and half of the ${n} problems, got ${space.heldOut}`);
    const idx = new Rng(HELD_OUT_SEED).sampleIndices(n, space.heldOut);
    this.excluded = new Set(idx);
    this.heldOut = idx.map((i) => problemOf(Math.floor(i / space.maxOperand), i % space.maxOperand));
  }

  /** The first n problems of the held-out pool. */
  evalSet(n: number): Problem[] {
    if (n > this.heldOut.length) throw new ConfigError('evalProblems', `--eval-problems (${n}) must be ≤ the model's held-out pool of ${this.heldOut.length} problems`);
    return this.heldOut.slice(0, n);
  }

  /** True when (a, b) is in the held-out pool. */
  isHeldOut(a: number, b: number): boolean {
    return this.excluded.has(a * this.space.maxOperand + b);
  }

  /** A training problem drawn uniformly from the problems outside the held-out pool. */
  sample(rng: Rng): Problem {
    const m = this.space.maxOperand;
    for (;;) {
      const i = rng.int(m * m);
      if (!this.excluded.has(i)) return problemOf(Math.floor(i / m), i % m);
    }
  }

  /** n training problems. */
  sampleMany(rng: Rng, n: number): Problem[] {
    return Array.from({ length: n }, () => this.sample(rng));
  }
}

/** Whether a completion (its text, the end token removed) answers the problem exactly. */
export function isCorrect(completion: string, answer: string): boolean {
  return completion === answer;
}
