/**
 * Step 2 of the loop (sample): B feedback steps at once. For each step the person's class c ~ U{0..9} (its own
 * random stream), an option and a latent from the policy, k ~ π_c, z = μ_{c,k} + σ ε, and the decoded image; then the
 * next B pool images (a seeded order without repeats) with the classifier's predictions ŷ = argmax p(·|x).
 */
import type { Rng } from '../../core/rng.js';
import type { QuerySampler } from '../../loop/parts.js';
import type { DigitsBatch } from './batch.js';
import { NUM_CLASSES } from './data.js';
import type { DigitsSession } from './session.js';

export class DigitsSampler implements QuerySampler<DigitsBatch> {
  private readonly session: DigitsSession;
  /** the person's choice of class (simulated, and for people the class they are asked about) */
  readonly classRng: Rng;
  /** B: steps per iteration */
  private readonly batch: number;
  /** steps in the whole run */
  private readonly steps: number;

  constructor(session: DigitsSession, classRng: Rng, o: { batch: number; steps: number }) {
    this.session = session;
    this.classRng = classRng;
    this.batch = o.batch;
    this.steps = o.steps;
  }

  sample(iteration: number): DigitsBatch {
    const first = (iteration - 1) * this.batch + 1;
    const n = Math.min(this.batch, this.steps - first + 1); // the last iteration may be shorter
    const generations = Array.from({ length: n }, () => this.session.generate(this.classRng.int(NUM_CLASSES)));
    const classifications = Array.from({ length: n }, () => this.session.nextClassification());
    return { first, generations, classifications };
  }
}
