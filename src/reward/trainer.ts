/**
 * A generic reward trainer in tfjs: any differentiable reward model (a score function over a batch of inputs plus its
 * variables) fitted to comparisons with the Bradley–Terry loss or to rankings with Plackett–Luce, by Adam.
 *
 *   comparisons:  loss = BT(R(xˡ), R(xʳ), μ[, w])          (losses.ts: ties μ = ½, skips left out by the caller)
 *   rankings:     loss = PL(R(x₁..x_K) per ranking, mask)   (best first, padded rankings masked)
 *
 * Steps are full-batch by default; `batchSize` draws shuffled minibatches from an Rng (deterministic given the seed).
 * Adam is written here (tensorAdam below) rather than tf.train.adam: its whole state is (m, v, t), with the bias
 * corrections computed from t, so a checkpoint restores it exactly (tf.train.adam keeps β^t as a float32 running
 * product that setWeights recomputes differently, so a resumed run would drift). Every step is tidied and the trainer
 * owns only the moment variables, so the number of live tensors is the same before and after a fit (tested).
 */
import { tf } from '../core/tensor.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
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

/** One Adam state per variable: moments m, v (non-trainable variables) and the shared step count t. */
export class TensorAdam {
  t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly variables: tf.Variable[],
    readonly config: Pick<PreferenceTrainerConfig, 'lr' | 'beta1' | 'beta2' | 'eps'>,
  ) {
    this.m = variables.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
    this.v = variables.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /**
   * One step on the gradient of `loss` (Kingma & Ba 2015, as torch.optim.Adam):
   *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
   * Returns nothing; the loss tensor is disposed.
   */
  step(loss: () => tf.Scalar): void {
    const { lr, beta1, beta2, eps } = this.config;
    this.t += 1;
    const bc1 = 1 - beta1 ** this.t; // bias corrections in double precision, from t alone
    const bc2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      const { grads } = tf.variableGrads(loss, this.variables);
      this.variables.forEach((x, i) => {
        const g = grads[x.name];
        if (!g) return;
        const m = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        x.assign(tf.sub(x, tf.div(tf.mul(m, lr / bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps))));
      });
    });
  }

  /** The state for a checkpoint: t and each variable's moments, named "<variable>/m" and "<variable>/v". */
  state(): { t: number; moments: Array<{ name: string; data: Float32Array; shape: number[] }> } {
    const moments = this.variables.flatMap((x, i) => [
      { name: `${x.name}/m`, data: Float32Array.from(this.m[i]!.dataSync()), shape: x.shape.slice() },
      { name: `${x.name}/v`, data: Float32Array.from(this.v[i]!.dataSync()), shape: x.shape.slice() },
    ]);
    return { t: this.t, moments };
  }

  /** Restores state() output, matching moments to variables by position (names may differ between processes). */
  setState(s: { t: number; moments: Array<{ data: Float32Array | ArrayLike<number>; shape: number[] }> }): void {
    if (s.moments.length !== 2 * this.variables.length) throw new ShapeError(`Adam state has ${s.moments.length} moments for ${this.variables.length} variables (expected 2 each)`);
    this.t = s.t;
    this.variables.forEach((x, i) => {
      for (const [slot, st] of [
        [this.m[i]!, s.moments[2 * i]!],
        [this.v[i]!, s.moments[2 * i + 1]!],
      ] as const) {
        if (st.data.length !== x.size) throw new ShapeError(`Adam moment for ${x.name} has ${st.data.length} values, expected ${x.size}`);
        slot.assign(tf.tidy(() => tf.tensor(Float32Array.from(st.data), x.shape)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

export class PreferenceTrainer {
  readonly config: PreferenceTrainerConfig;
  readonly adam: TensorAdam;

  constructor(
    private readonly score: ScoreFn,
    private readonly variables: tf.Variable[],
    config: Partial<PreferenceTrainerConfig> = {},
    private readonly rng?: Rng,
  ) {
    this.config = resolveTrainerConfig(config);
    if (this.config.batchSize > 0 && !rng) throw new ConfigError('batch-size', 'minibatches need an Rng (pass one to PreferenceTrainer) so shuffles are reproducible');
    this.adam = new TensorAdam(variables, this.config);
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
      this.adam.step(() => lossOn(idx));
      idx?.dispose();
    }
    return { lossBefore, loss: fullLoss(), steps };
  }

  dispose(): void {
    this.adam.dispose();
  }
}
