/**
 * A digits feedback session: the pretrained models plus the two things people teach — the latent policy (👍/👎 on
 * generated images) and the classifier (correct / incorrect / true label). The loop parts (sampler.ts, learner.ts)
 * drive it: draw a sample, apply a judgement, checkpoint.
 */
import { Rng, type RngState } from '../../core/rng.js';
import { tf } from '../../core/tensor.js';
import { CheckpointError, FeedbackError } from '../../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import { NUM_CLASSES, oneHot } from './data.js';
import { argmax } from './classifier.js';
import { LatentPolicy, type LatentAction, type LatentPolicyConfig } from './policy.js';
import { CorrectionLearner, type ClassifierAnswer, type CorrectionsConfig, type StoredAnswer } from './corrections.js';
import { assignParams, paramsToTensors } from './nn.js';
import type { DigitsModels, DigitsSplits } from './models.js';

/** A generated image to rate. */
export interface GenerationSample extends LatentAction {
  /** σ(decoder(z, c)) [784] in [0, 1] */
  image: Float32Array;
}

/** A pool image with the classifier's prediction, to answer about. */
export interface ClassificationSample {
  /** index into the feedback pool */
  index: number;
  image: Float32Array;
  predicted: number;
  /** p(predicted|x) */
  confidence: number;
  probs: Float32Array;
}

/** JSON part of a session checkpoint. */
export interface SessionState {
  rng: { policy: RngState; pool: RngState; replay: RngState };
  poolCursor: number;
  answers: StoredAnswer[];
  ratings: number;
}

export class DigitsSession {
  readonly models: DigitsModels;
  readonly splits: DigitsSplits;
  readonly policy: LatentPolicy;
  readonly learner: CorrectionLearner;
  private readonly policyRng: Rng;
  private readonly poolRng: Rng;
  private readonly replayRng: Rng;
  /** a seeded permutation of the pool: images are shown without repeats */
  private readonly poolOrder: number[];
  private poolCursor = 0;
  ratings = 0;

  constructor(models: DigitsModels, splits: DigitsSplits, config: { policy: LatentPolicyConfig; corrections: CorrectionsConfig; seed: number }) {
    this.models = models;
    this.splits = splits;
    const root = new Rng(config.seed);
    this.policy = LatentPolicy.create(config.policy, models.vae, splits.train, root.fork('policy/init'));
    this.learner = new CorrectionLearner(models.classifier, splits.pool, splits.train, config.corrections);
    this.policyRng = root.fork('policy/sample');
    this.poolRng = root.fork('pool/order');
    this.replayRng = root.fork('corrections/replay');
    this.poolOrder = this.poolRng.shuffle(Array.from({ length: splits.pool.n }, (_, i) => i));
  }

  /** σ(decoder(z, c)) for a batch of latents [n · zDim] of classes cls[n]: images [n · 784]. */
  decode(z: Float32Array, cls: number[]): Float32Array {
    const Z = this.models.vae.shape.zDim;
    const img = tf.tidy(() => this.models.vae.decode(tf.tensor2d(z, [cls.length, Z]), tf.tensor2d(oneHot(cls), [cls.length, NUM_CLASSES])));
    const out = img.dataSync() as Float32Array;
    img.dispose();
    return out;
  }

  /** Draws an option and a latent for class `cls` from the policy and decodes it. */
  generate(cls: number): GenerationSample {
    if (!(Number.isInteger(cls) && cls >= 0 && cls < NUM_CLASSES)) throw new FeedbackError(`class must be an integer 0..${NUM_CLASSES - 1}, got ${cls}`);
    const a = this.policy.sample(cls, this.policyRng);
    return { ...a, image: this.decode(a.z, [cls]) };
  }

  /**
   * Applies a rating of a generated sample: the reward r = P(👍) (1 👍, 0 👎; the mean when several people rated it).
   * Returns the advantage r − b.
   */
  rate(sample: LatentAction, reward: number): number {
    if (!(reward >= 0 && reward <= 1)) throw new FeedbackError(`a rating's reward must be in [0, 1] (1 👍, 0 👎), got ${reward}`);
    this.ratings++;
    return this.policy.update(sample, reward);
  }

  /** The next pool image (no repeats until the pool is exhausted) with the classifier's prediction. */
  nextClassification(): ClassificationSample {
    const index = this.poolOrder[this.poolCursor % this.poolOrder.length]!;
    this.poolCursor++;
    return this.classificationOf(index);
  }

  /** The classifier's view of pool image `index`. */
  classificationOf(index: number): ClassificationSample {
    const pool = this.splits.pool;
    if (!(Number.isInteger(index) && index >= 0 && index < pool.n)) throw new FeedbackError(`pool image index must be an integer 0..${pool.n - 1}, got ${index}`);
    const probs = this.learner.probs(index);
    const predicted = argmax(probs);
    return { index, image: pool.images.slice(index * pool.dim, (index + 1) * pool.dim), predicted, confidence: probs[predicted]!, probs };
  }

  /** Applies a person's answer about a prediction; returns the update's minibatch loss. */
  answer(index: number, answer: ClassifierAnswer): number {
    return this.learner.apply(index, answer, this.replayRng);
  }

  /** Images of the n most probable options of a class (their codes decoded, no noise) [n · 784], with their probabilities. */
  topOptions(cls: number, n: number): { options: number[]; probs: number[]; images: Float32Array } {
    const options = this.policy.top(cls, n);
    const pi = this.policy.probs(cls);
    const Z = this.policy.zDim;
    const z = new Float32Array(options.length * Z);
    options.forEach((k, i) => z.set(this.policy.code(cls, k), i * Z));
    return { options, probs: options.map((k) => pi[k]!), images: this.decode(z, new Array<number>(options.length).fill(cls)) };
  }

  /** The session's learnable state: JSON + arrays (policy, classifier weights, Adam moments). */
  async save(): Promise<{ state: SessionState; arrays: Record<string, TensorToWrite> }> {
    const p = this.policy;
    const K = p.config.options;
    const arrays: Record<string, TensorToWrite> = {
      'policy.codes': { dtype: 'F32', shape: [NUM_CLASSES, K, p.zDim], data: p.codes },
      'policy.logits': { dtype: 'F32', shape: [NUM_CLASSES, K], data: p.logits },
      'policy.baseline': { dtype: 'F32', shape: [NUM_CLASSES], data: p.baseline },
      'policy.counts': { dtype: 'F32', shape: [NUM_CLASSES], data: p.counts },
      ...paramsToTensors(this.models.classifier.params, 'classifier.'),
      ...this.learner.optimizer.toArrays('classifier_adam'),
    };
    const state: SessionState = {
      rng: { policy: this.policyRng.state(), pool: this.poolRng.state(), replay: this.replayRng.state() },
      poolCursor: this.poolCursor,
      answers: [...this.learner.answers],
      ratings: this.ratings,
    };
    return { state, arrays };
  }

  /** Restores what save() wrote. */
  async restore(state: SessionState, arrays: Map<string, NamedTensor>, source: string): Promise<void> {
    const p = this.policy;
    for (const [name, target] of [['policy.codes', p.codes], ['policy.logits', p.logits], ['policy.baseline', p.baseline], ['policy.counts', p.counts]] as const) {
      const t = arrays.get(name);
      if (!t || t.data.length !== target.length) throw new CheckpointError(`${source}: "${name}" is missing or has ${t?.data.length ?? 0} values, expected ${target.length} (made with another config?)`);
      target.set(t.data);
    }
    assignParams(this.models.classifier.params, arrays, source, 'classifier.');
    this.learner.optimizer.fromArrays('classifier_adam', arrays, source);
    this.policyRng.setState(state.rng.policy);
    this.poolRng.setState(state.rng.pool);
    this.replayRng.setState(state.rng.replay);
    this.poolCursor = state.poolCursor;
    this.learner.answers.splice(0, this.learner.answers.length, ...state.answers);
    this.ratings = state.ratings;
  }
}

/** The simulated person's thumb: 👍 iff the judge recognises the requested class (argmax of its prediction). */
export function judgeThumb(judge: DigitsModels['judge'], image: Float32Array, cls: number): boolean {
  const probs = judge.predictProbs(image, 1);
  return argmax(probs) === cls;
}

/** Thumbs for a batch of images [n · 784] of classes cls[n]. */
export function judgeThumbs(judge: DigitsModels['judge'], images: Float32Array, cls: number[]): boolean[] {
  const pred = judge.predict(images, cls.length);
  return cls.map((c, i) => pred[i] === c);
}

/** The simulated person's answer: truthful, and always gives the true label when the prediction is wrong. */
export function truthfulAnswer(predicted: number, trueLabel: number): ClassifierAnswer {
  return predicted === trueLabel ? { predicted, correct: true } : { predicted, correct: false, label: trueLabel };
}
