/**
 * The tabular Bradley–Terry fit as a tfjs graph (`--reward-impl tfjs`), through the generic PreferenceTrainer: the
 * same model (r = log softmax θ), loss and Adam as the typed-array trainer, kept for comparison (bench/gridworld.ts
 * measures both) and as the example of plugging a tensor model into the gridworld loop.
 *
 *   d = R(D) − R(0) with R(x) = x · log softmax(θ): a segment's return is linear in its visit counts, so the count
 *   difference D = c_σˡ − c_σʳ scored against an all-zero "right" input gives exactly R(σˡ) − R(σʳ).
 */
import { tf } from '../../core/tensor.js';
import { PreferenceTrainer } from '../../reward/trainer.js';
import { comparisonAccuracy, type Adam, type CountComparisons, type TabularFitStats, type TabularStateReward } from '../../reward/tabular.js';
import type { TabularFitter } from './experiment.js';

let nextId = 0;

export class TfjsTabularFitter implements TabularFitter {
  private readonly theta: tf.Variable;
  private readonly trainer: PreferenceTrainer;
  private readonly S: number;

  constructor(
    private readonly model: TabularStateReward,
    private readonly adam: Adam,
    steps: number,
  ) {
    this.S = model.numStates;
    const init = tf.tensor1d(model.logits); // [S]
    this.theta = tf.variable(init, true, `gridworld_theta_${nextId++}`); // variable names must be unique per process
    init.dispose();
    const S = this.S;
    const theta = this.theta;
    const score = (x: tf.Tensor) => tf.reshape(tf.matMul(x as tf.Tensor2D, tf.reshape(tf.logSoftmax(theta), [S, 1])), [-1]) as tf.Tensor1D; // [N]
    this.trainer = new PreferenceTrainer(score, [this.theta], { lr: adam.config.lr, steps, beta1: adam.config.beta1, beta2: adam.config.beta2, eps: adam.config.eps });
  }

  /** Loads θ and Adam's state from the typed-array model (after a checkpoint restore). */
  syncFromModel(): void {
    this.theta.assign(tf.tidy(() => tf.tensor1d(this.model.logits)));
    this.trainer.adam.setState(this.adam.state());
  }

  fit(c: CountComparisons): TabularFitStats {
    const S = this.S;
    const N = c.mu.length;
    const accuracyBefore = comparisonAccuracy(c, this.model.reward());
    // dense count differences D [N, S] from the CSR rows
    const D = new Float32Array(N * S);
    for (let i = 0; i < N; i++) for (let k = c.rowPtr[i]!; k < c.rowPtr[i + 1]!; k++) D[i * S + c.cols[k]!] = c.vals[k]!;
    const left = tf.tensor2d(D, [N, S]); // [N, S]
    const right = tf.zeros([N, S]); // [N, S]
    let stats;
    try {
      stats = this.trainer.fitComparisons({ left, right, mu: Float32Array.from(c.mu), weights: Float32Array.from(c.weight) });
    } finally {
      left.dispose();
      right.dispose();
    }
    // mirror θ and Adam's moments into the typed arrays: the checkpoint format is the same for both implementations
    this.model.logits.set(this.theta.dataSync());
    const st = this.trainer.adam.state();
    this.adam.t = st.t;
    this.adam.m.set(st.m[0]!);
    this.adam.v.set(st.v[0]!);
    const accuracy = comparisonAccuracy(c, this.model.reward());
    return { loss: stats.loss, lossBefore: stats.lossBefore, accuracyBefore, accuracy, comparisons: N };
  }

  dispose(): void {
    this.theta.dispose();
  }
}
