/**
 * Step 5 of the loop (measure), and the before/after measurements of the summary:
 *   policy/entropy    (1/10) Σ_c H(π_c), in nats (ln K is uniform)
 *   policy/max_prob   (1/10) Σ_c max_k π_c(k)
 *   classifier/accuracy  held-out accuracy on the validation images, every `evalEvery` steps and at the end
 *   recognised        the share of fresh samples (100 per class) of the policy that the judge recognises: the
 *                     policy's expected thumbs-up rate, measured on 1,000 samples instead of 100 noisy live thumbs
 */
import { Rng } from '../../core/rng.js';
import type { Evaluator, Metrics } from '../../loop/parts.js';
import type { DigitsBatch, DigitsLabel } from './batch.js';
import { NUM_CLASSES } from './data.js';
import { judgeThumbs, type DigitsSession } from './session.js';

/** Fresh samples per class measured for `recognised_before/after` (the report grid shows the first gridPerClass). */
export const RECOGNISED_SAMPLES_PER_CLASS = 100;

export function meanEntropy(s: DigitsSession): number {
  let h = 0;
  for (let c = 0; c < NUM_CLASSES; c++) h += s.policy.entropy(c);
  return h / NUM_CLASSES;
}

export function meanMaxProb(s: DigitsSession): number {
  let m = 0;
  for (let c = 0; c < NUM_CLASSES; c++) m += Math.max(...s.policy.probs(c));
  return m / NUM_CLASSES;
}

/** The policy as the summary sees it: fresh samples (own Rng: the session's streams are untouched) and what the judge recognises. */
export interface PolicySnapshot {
  /** share of the samples the judge recognises as their class */
  recognised: number;
  /** mean entropy of π_c */
  entropy: number;
  /** the first `keep` images of every class, class-major [10 · keep · dim], for the report's grids */
  grid: Float32Array;
}

/** `perClass` fresh samples per class from the current policy, judged; keeps the first `keep` of each class's images. */
export function snapshotPolicy(s: DigitsSession, rng: Rng, keep: number, perClass = RECOGNISED_SAMPLES_PER_CLASS): PolicySnapshot {
  const Z = s.policy.zDim;
  const cls: number[] = [];
  const z = new Float32Array(NUM_CLASSES * perClass * Z);
  for (let c = 0; c < NUM_CLASSES; c++)
    for (let i = 0; i < perClass; i++) {
      z.set(s.policy.sample(c, rng).z, cls.length * Z);
      cls.push(c);
    }
  const images = s.decode(z, cls); // [10 · perClass · dim]
  const recognised = judgeThumbs(s.models.judge, images, cls).filter(Boolean).length / cls.length;
  const dim = s.splits.train.dim;
  const k = Math.min(keep, perClass);
  const grid = new Float32Array(NUM_CLASSES * k * dim);
  for (let c = 0; c < NUM_CLASSES; c++) grid.set(images.subarray(c * perClass * dim, (c * perClass + k) * dim), c * k * dim);
  return { recognised, entropy: meanEntropy(s), grid };
}

/** Whether steps first..last contain a multiple of `every`, or the run's last step. */
export function evaluationDue(first: number, last: number, every: number, steps: number): boolean {
  return Math.floor(last / every) > Math.floor((first - 1) / every) || last === steps;
}

export class DigitsEvaluator implements Evaluator<DigitsBatch, DigitsLabel> {
  private readonly session: DigitsSession;
  private readonly o: { evalEvery: number; steps: number };
  /** the classifier's held-out accuracy before feedback, and the lowest seen at an evaluation since */
  readonly accuracyBefore: number;
  accuracyMin: number;

  constructor(session: DigitsSession, o: { evalEvery: number; steps: number }) {
    this.session = session;
    this.o = o;
    this.accuracyBefore = this.accuracy();
    this.accuracyMin = this.accuracyBefore;
  }

  /** the classifier's held-out accuracy now */
  accuracy(): number {
    return this.session.models.classifier.accuracy(this.session.splits.validation);
  }

  evaluate(b: DigitsBatch): Metrics {
    const m: Metrics = { 'policy/entropy': meanEntropy(this.session), 'policy/max_prob': meanMaxProb(this.session) };
    const last = b.first + b.generations.length - 1;
    if (evaluationDue(b.first, last, this.o.evalEvery, this.o.steps)) {
      const acc = this.accuracy();
      m['classifier/accuracy'] = acc;
      this.accuracyMin = Math.min(this.accuracyMin, acc);
    }
    return m;
  }
}
