/**
 * Simulated judges with the B-Pref noise model (Lee et al. 2021, "B-Pref: Benchmarking Preference-Based
 * Reinforcement Learning"; as in rll-research/BPref reward_model.py get_label). Domain-independent: a teacher
 * sees two segments as arrays of true per-step rewards and answers like a person would, with the noise chosen.
 *
 * For segments σ⁰ (left), σ¹ (right) of length H, in this order:
 *   1. skip:    θ_skip > 0 and max(R̃⁰, R̃¹) ≤ θ_skip                         (R̃ = Σₜ (rₜ − floor), undiscounted)
 *   2. equal:   mark the pair when |R⁰ − R¹| < θ_equal
 *   3. myopia:  R′ = Σₜ γ^(H−1−t) rₜ                                         (recent steps count more)
 *   4. prefer:  β > 0: P(σ¹ ≻ σ⁰) = sigmoid(β (R′¹ − R′⁰)), sampled;  β = ∞ (rational): larger R′, exact ties → σ⁰
 *   5. mistake: flip the label with probability ε
 *   6. marked-equal pairs get the tie label, overriding a mistake.
 */
import type { Preference } from '../feedback/types.js';
import { ConfigError } from '../core/errors.js';
import { defineOptions, type Option } from '../core/config/options.js';
import type { Rng } from '../core/rng.js';

export interface TeacherConfig {
  /** β, rationality: P ∝ exp(β R′). Infinity = perfectly rational (always the larger return). */
  beta: number;
  /** γ ∈ (0, 1], myopia discount: 1 = farsighted; smaller weighs the end of a segment more. */
  gamma: number;
  /** ε ∈ [0, 1), probability of flipping the label (a mistake). */
  epsMistake: number;
  /** ε_skip ≥ 0: θ_skip = ε_skip × mean shifted segment return; 0 = never skip. */
  epsSkip: number;
  /** ε_equal ≥ 0: θ_equal = ε_equal × |mean segment return|; 0 = never tie. */
  epsEqual: number;
}

/** The six B-Pref teachers, by name. */
export const NAMED_TEACHERS = {
  oracle: { beta: Infinity, gamma: 1, epsMistake: 0, epsSkip: 0, epsEqual: 0 },
  noisy: { beta: 1, gamma: 1, epsMistake: 0, epsSkip: 0, epsEqual: 0 },
  mistake: { beta: Infinity, gamma: 1, epsMistake: 0.1, epsSkip: 0, epsEqual: 0 },
  skip: { beta: Infinity, gamma: 1, epsMistake: 0, epsSkip: 0.1, epsEqual: 0 },
  myopic: { beta: Infinity, gamma: 0.9, epsMistake: 0, epsSkip: 0, epsEqual: 0 },
  equal: { beta: Infinity, gamma: 1, epsMistake: 0, epsSkip: 0, epsEqual: 0.1 },
} as const satisfies Record<string, TeacherConfig>;

export type TeacherName = keyof typeof NAMED_TEACHERS;
export const TEACHER_NAMES = Object.keys(NAMED_TEACHERS) as TeacherName[];

/** --help section of the teacher flags, the same in every domain. */
export const TEACHER_SECTION = 'simulated teacher (B-Pref)';

/**
 * The B-Pref parameters, one option each: the teacher flags every domain with a simulated teacher shares.
 * `--beta inf` (also "+inf", "infinity", any case) is β = ∞, the perfectly rational teacher: it always prefers the
 * larger (myopic) return, exact ties going to σ⁰, without sampling.
 */
export const TEACHER_PARAM_OPTIONS = defineOptions<TeacherConfig>(
  'teacher',
  [
    { key: 'beta', type: 'number', min: 0, exclusiveMin: true, inf: true, symbol: 'β', metavar: 'B', default: Infinity, help: 'rationality β: P(σ¹ ≻ σ⁰) = sigmoid(β (R′¹ − R′⁰)); inf = always the larger return' },
    { key: 'gamma', type: 'number', min: 0, exclusiveMin: true, max: 1, symbol: 'γ', metavar: 'G', default: 1, help: 'myopia γ: step t of H weighs γ^(H−1−t); 1 = farsighted' },
    { key: 'epsMistake', flag: 'mistake', type: 'number', min: 0, max: 1, exclusiveMax: true, symbol: 'ε', metavar: 'E', default: 0, help: 'mistake probability ε: the label is flipped' },
    { key: 'epsSkip', flag: 'skip', type: 'number', min: 0, symbol: 'ε_skip', metavar: 'E', default: 0, help: 'skip fraction ε_skip: skipped when both returns ≤ ε_skip × mean return' },
    { key: 'epsEqual', flag: 'equal', type: 'number', min: 0, symbol: 'ε_equal', metavar: 'E', default: 0, help: 'equal fraction ε_equal: a tie when |R⁰ − R¹| < ε_equal × |mean return|' },
  ],
  { section: TEACHER_SECTION },
);

/** Resolves a named teacher plus overrides, checking every range. `flag` names the option of the teacher's name. */
export function resolveTeacher(name: string, overrides: Partial<TeacherConfig> = {}, flag = 'teacher'): TeacherConfig {
  if (!(name in NAMED_TEACHERS)) throw new ConfigError(flag, `unknown teacher "${name}"; expected one of ${TEACHER_NAMES.join(', ')}`);
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<TeacherConfig>;
  return TEACHER_PARAM_OPTIONS.resolve({ ...NAMED_TEACHERS[name as TeacherName], ...given });
}

/** The config fields of the teacher block (teacherOptions with params 'teacherConfig'), for a domain's config to extend. */
export interface TeacherFields {
  /** the named B-Pref teacher (--teacher) */
  teacher: string;
  /** its parameters: the named teacher's, with --beta --gamma --mistake --skip --equal as overrides */
  teacherConfig: TeacherConfig;
}

/** The overrides of a config with the teacher block: any field, and the teacher's parameters one by one. */
export type TeacherConfigOverrides<C extends TeacherFields> = Partial<Omit<C, 'teacherConfig'>> & { teacherConfig?: Partial<TeacherConfig> };

/**
 * The shared teacher block of a domain's options: `teacher` (the named teacher, --teacher) and `params` (its
 * parameters: the named teacher's, overridden by --beta --gamma --mistake --skip --equal). A domain places the two
 * entries where its config has them.
 */
export function teacherOptions<C extends { teacher: string }>(o: { params: keyof C & string; default: TeacherName }): { teacher: Option<C>; params: Option<C> } {
  const teacher = {
    key: 'teacher',
    type: 'enum',
    choices: TEACHER_NAMES,
    default: o.default,
    metavar: 'NAME',
    section: TEACHER_SECTION,
    help: 'the simulated judge: a named B-Pref teacher (oracle: rational; noisy: β 1; mistake: ε 0.1; skip; myopic: γ 0.9; equal)',
  };
  const params = {
    key: o.params,
    type: 'group',
    options: TEACHER_PARAM_OPTIONS,
    defaults: (c: C) => NAMED_TEACHERS[c.teacher as TeacherName],
    defaultHelp: "the teacher's",
    help: "the teacher's B-Pref parameters: the named teacher's, with the flags as overrides",
  };
  return { teacher: teacher as unknown as Option<C>, params: params as unknown as Option<C> };
}

/** Absolute thresholds for a batch: θ = ε × (mean segment return). */
export interface TeacherThresholds {
  skip: number;
  equal: number;
  /** per-step reward floor subtracted before the skip test (0 for non-negative rewards) */
  floor: number;
}

export function thresholdsFor(c: TeacherConfig, meanReturn: number, meanShiftedReturn = meanReturn, floor = 0): TeacherThresholds {
  return { skip: c.epsSkip * meanShiftedReturn, equal: c.epsEqual * Math.abs(meanReturn), floor };
}

function sum(r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]!;
  return s;
}

/** R′ = Σₜ γ^(H−1−t) rₜ. */
export function myopicReturn(r: ArrayLike<number>, gamma: number): number {
  const H = r.length;
  let s = 0;
  for (let t = 0; t < H; t++) s += gamma ** (H - 1 - t) * r[t]!;
  return s;
}

/** P(σ¹ ≻ σ⁰) = sigmoid(β (R′¹ − R′⁰)), computed stably. */
export function preferenceProbability(c: TeacherConfig, left: ArrayLike<number>, right: ArrayLike<number>): number {
  const d = myopicReturn(right, c.gamma) - myopicReturn(left, c.gamma);
  if (c.beta === Infinity) return d > 0 ? 1 : 0;
  const z = c.beta * d;
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** One B-Pref label for the pair (left = σ⁰, right = σ¹) from their true per-step rewards. */
export function teacherLabel(c: TeacherConfig, th: TeacherThresholds, left: ArrayLike<number>, right: ArrayLike<number>, rng: Rng): Preference {
  // 1. skip
  if (th.skip > 0) {
    const shifted = Math.max(sum(left) - th.floor * left.length, sum(right) - th.floor * right.length);
    if (shifted <= th.skip) return 'skip';
  }
  // 2. equal
  const equal = th.equal > 0 && Math.abs(sum(left) - sum(right)) < th.equal;
  // 3–4. myopic returns and the Boltzmann-rational choice
  let rightWins: boolean;
  if (c.beta === Infinity) {
    rightWins = myopicReturn(right, c.gamma) > myopicReturn(left, c.gamma);
  } else {
    rightWins = rng.uniform() < preferenceProbability(c, left, right);
  }
  // 5. mistake
  if (c.epsMistake > 0 && rng.uniform() < c.epsMistake) rightWins = !rightWins;
  // 6. ties override
  if (equal) return 'tie';
  return rightWins ? 'right' : 'left';
}

/** A simulated judge bound to a config and an RNG stream. */
export class BPrefTeacher {
  readonly name: string;
  constructor(
    readonly config: TeacherConfig,
    private readonly rng: Rng,
    name = 'teacher',
  ) {
    this.name = name;
  }

  /** Labels a batch of pairs; thresholds are set from this batch's mean segment return (as B-Pref does). */
  labelBatch(pairs: Array<{ left: ArrayLike<number>; right: ArrayLike<number> }>, floor = 0): Preference[] {
    let total = 0;
    let shifted = 0;
    for (const p of pairs) {
      total += sum(p.left) + sum(p.right);
      shifted += sum(p.left) - floor * p.left.length + sum(p.right) - floor * p.right.length;
    }
    const n = Math.max(1, 2 * pairs.length);
    const th = thresholdsFor(this.config, total / n, shifted / n, floor);
    return pairs.map((p) => teacherLabel(this.config, th, p.left, p.right, this.rng));
  }

  label(left: ArrayLike<number>, right: ArrayLike<number>, th: TeacherThresholds): Preference {
    return teacherLabel(this.config, th, left, right, this.rng);
  }
}
