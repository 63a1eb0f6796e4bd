/**
 * A generic reward trainer in tfjs: any differentiable reward model (a score function over a batch of inputs plus its
 * variables) fitted to comparisons with the Bradley–Terry loss or to rankings with Plackett–Luce, by Adam.
 *
 *   comparisons:  loss = BT(R(xˡ), R(xʳ), μ[, w])          (losses.ts: ties μ = ½, skips left out by the caller)
 *   rankings:     loss = PL(R(x₁..x_K) per ranking, mask)   (best first, padded rankings masked)
 *
 * Steps are full-batch by default; `batchSize` draws shuffled minibatches from an Rng (deterministic given the seed).
 * The optimizer is src/optim's TensorAdam: its whole state is (m, v, t), so `adam.state()`/`setState()` (or a
 * checkpoint through toArrays) restore it exactly. The trainer owns no tensors: the number of live tensors is the
 * same before and after a fit (tested).
 */
import { tf } from '../core/tensor.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { TensorAdam } from '../optim/tensorAdam.js';
import { bradleyTerryLoss, plackettLuceLoss } from './losses.js';

export interface PreferenceTrainerConfig {
  /** Adam learning rate (default 1e-3) */
  lr: number;
  /** optimisation steps per fit() call (default 50) */
  steps: number;
  /** minibatch size; 0 = full batch (default 0) */
  batchSize: number;
  /** Adam β₁, β₂, ε (defaults 0.9, 0.999, 1e-8 as in PyTorch) */
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_TRAINER: PreferenceTrainerConfig = { lr: 1e-3, steps: 50, batchSize: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export function resolveTrainerConfig(c: Partial<PreferenceTrainerConfig> = {}): PreferenceTrainerConfig {
  const r = { ...DEFAULT_TRAINER, ...c };
  if (!(r.lr > 0 && Number.isFinite(r.lr))) throw new ConfigError('lr', `learning rate must be a finite number > 0, got ${r.lr}`);
  if (!(Number.isInteger(r.steps) && r.steps >= 0)) throw new ConfigError('reward-steps', `reward steps must be an integer ≥ 0, got ${r.steps}`);
  if (!(Number.isInteger(r.batchSize) && r.batchSize >= 0)) throw new ConfigError('batch-size', `batch size must be an integer ≥ 0, got ${r.batchSize}`);
  return r;
}

/** Maps a batch of inputs [N, ...] to predicted returns [N]. Called inside tf.tidy/minimize: do not dispose here. */
export type ScoreFn = (x: tf.Tensor) => tf.Tensor1D;

export interface ComparisonBatch {
  /** [N, ...] inputs of the left segments */
  left: tf.Tensor;
  /** [N, ...] inputs of the right segments */
  right: tf.Tensor;
  /** [N] targets P(left ≻ right) ∈ [0, 1] (1 left, 0 right, ½ tie) */
  mu: Float32Array;
  /** [N] optional weights (bootstrap counts) */
  weights?: Float32Array;
}

export interface RankingBatch {
  /** [N·K, ...] inputs of the ranked items, ranking by ranking, best first */
  items: tf.Tensor;
  /** N rankings of K items */
  rankings: number;
  k: number;
  /** [N, K] 1 for real items, 0 for padding (optional) */
  mask?: Float32Array;
}

export interface TrainerFitStats {
  /** loss before the first step */
  lossBefore: number;
  /** loss after the last step */
  loss: number;
  steps: number;
}

export class PreferenceTrainer {
  readonly config: PreferenceTrainerConfig;
  readonly adam: TensorAdam;

  constructor(
    private readonly score: ScoreFn,
    variables: tf.Variable[],
    config: Partial<PreferenceTrainerConfig> = {},
    private readonly rng?: Rng,
  ) {
    this.config = resolveTrainerConfig(config);
    if (this.config.batchSize > 0 && !rng) throw new ConfigError('batch-size', 'minibatches need an Rng (pass one to PreferenceTrainer) so shuffles are reproducible');
    this.adam = new TensorAdam(variables, { lr: this.config.lr, beta1: this.config.beta1, beta2: this.config.beta2, eps: this.config.eps });
  }

  /** BT loss of a comparison batch (no update). */
  comparisonLoss(b: ComparisonBatch): number {
    return tf.tidy(() => this.btLoss(b).dataSync()[0]!);
  }

  private btLoss(b: ComparisonBatch, idx?: tf.Tensor1D): tf.Scalar {
    const pick = (t: tf.Tensor) => (idx ? tf.gather(t, idx) : t);
    const mu = tf.tensor1d(b.mu); // [N]
    const w = b.weights ? tf.tensor1d(b.weights) : undefined; // [N]
    return bradleyTerryLoss(this.score(pick(b.left)), this.score(pick(b.right)), pick(mu) as tf.Tensor1D, w ? (pick(w) as tf.Tensor1D) : undefined);
  }

  /** Fits to comparisons: `steps` Adam steps on the Bradley–Terry loss. */
  fitComparisons(b: ComparisonBatch): TrainerFitStats {
    const n = b.mu.length;
    if (b.left.shape[0] !== n || b.right.shape[0] !== n) throw new ShapeError(`comparisons: ${b.left.shape[0]} left and ${b.right.shape[0]} right inputs for ${n} targets`);
    if (b.weights && b.weights.length !== n) throw new ShapeError(`comparisons: ${b.weights.length} weights for ${n} pairs`);
    if (n === 0) return { lossBefore: Number.NaN, loss: Number.NaN, steps: 0 };
    return this.optimize(n, (idx) => this.btLoss(b, idx), () => this.comparisonLoss(b));
  }

  private plLoss(b: RankingBatch, idx?: tf.Tensor1D): tf.Scalar {
    const scores = tf.reshape(this.score(b.items), [b.rankings, b.k]) as tf.Tensor2D; // [N, K]
    const mask = b.mask ? (tf.tensor2d(b.mask, [b.rankings, b.k]) as tf.Tensor2D) : undefined; // [N, K]
    const pick = <T extends tf.Tensor>(t: T) => (idx ? (tf.gather(t, idx) as T) : t);
    return plackettLuceLoss(pick(scores), mask ? pick(mask) : undefined);
  }

  /** Fits to rankings: `steps` Adam steps on the Plackett–Luce loss. */
  fitRankings(b: RankingBatch): TrainerFitStats {
    if (b.items.shape[0] !== b.rankings * b.k) throw new ShapeError(`rankings: ${b.items.shape[0]} items for ${b.rankings} rankings of ${b.k}`);
    if (b.rankings === 0) return { lossBefore: Number.NaN, loss: Number.NaN, steps: 0 };
    // minibatches index rankings; the score is computed on all items then rows are gathered (rankings are small)
    return this.optimize(b.rankings, (idx) => this.plLoss(b, idx), () => tf.tidy(() => this.plLoss(b).dataSync()[0]!));
  }

  private optimize(n: number, lossOn: (idx?: tf.Tensor1D) => tf.Scalar, fullLoss: () => number): TrainerFitStats {
    const { steps, batchSize } = this.config;
    const lossBefore = fullLoss();
    const order: number[] = Array.from({ length: n }, (_, i) => i);
    let cursor = n;
    for (let s = 0; s < steps; s++) {
      let idx: tf.Tensor1D | undefined;
      if (batchSize > 0 && batchSize < n) {
        if (cursor + batchSize > n) {
          this.rng!.shuffle(order);
          cursor = 0;
        }
        idx = tf.tensor1d(order.slice(cursor, cursor + batchSize), 'int32');
        cursor += batchSize;
      }
      this.adam.minimize(() => lossOn(idx));
      idx?.dispose();
    }
    return { lossBefore, loss: fullLoss(), steps };
  }
}
