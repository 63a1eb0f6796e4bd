/**
 * Supervised training loops for the digits models (minibatch Adam), shared by `pretrain`, the run and the benchmark.
 */
import { tf } from '../../core/tensor.js';
import type { Rng } from '../../core/rng.js';
import { NUM_CLASSES, type Dataset } from './data.js';
import type { CondVae } from './vae.js';
import type { Classifier } from './classifier.js';
import { TensorAdam } from '../../optim/tensorAdam.js';

/** Copies rows `idx[from..from+b)` of a dataset into a batch: x [b · dim], onehot y [b · 10]. */
export function gatherBatch(ds: Dataset, idx: ArrayLike<number>, from: number, b: number, x: Float32Array, y: Float32Array): void {
  y.fill(0);
  for (let i = 0; i < b; i++) {
    const j = idx[from + i]!;
    x.set(ds.images.subarray(j * ds.dim, (j + 1) * ds.dim), i * ds.dim);
    y[i * NUM_CLASSES + ds.labels[j]!] = 1;
  }
}

export interface EpochOptions {
  epochs: number;
  batch: number;
  /** Adam learning rate */
  lr: number;
  /** called after each optimizer step with the step's loss (read back only every `lossEvery` steps, else NaN) */
  onStep?: (step: number, loss: number) => void;
  /** read the loss back from the backend every this many steps (a sync point; 1 = every step) */
  lossEvery?: number;
}

/** Steps per epoch for n examples (the last, smaller batch is kept). */
export function stepsPerEpoch(n: number, batch: number): number {
  return Math.ceil(n / batch);
}

/**
 * Trains the VAE by minibatch Adam on the negative ELBO; reshuffles each epoch from `rng`, draws ε from `rng`.
 * Returns the mean loss per epoch (per image).
 */
export function trainVae(vae: CondVae, ds: Dataset, opts: EpochOptions, rng: Rng, optimizer: TensorAdam = new TensorAdam(vae.variables, { lr: opts.lr })): number[] {
  const { batch } = opts;
  const lossEvery = opts.lossEvery ?? 1;
  const x = new Float32Array(batch * ds.dim);
  const y = new Float32Array(batch * NUM_CLASSES);
  const losses: number[] = [];
  let step = 0;
  for (let ep = 0; ep < opts.epochs; ep++) {
    const perm = rng.shuffle(Array.from({ length: ds.n }, (_, i) => i));
    let total = 0;
    let counted = 0;
    for (let from = 0; from < ds.n; from += batch) {
      const b = Math.min(batch, ds.n - from);
      gatherBatch(ds, perm, from, b, x, y);
      const eps = rng.normalArray(b * vae.shape.zDim);
      const read = (step + 1) % lossEvery === 0 || from + batch >= ds.n;
      const xt = tf.tensor2d(x.subarray(0, b * ds.dim), [b, ds.dim]); // [B, 784]
      const yt = tf.tensor2d(y.subarray(0, b * NUM_CLASSES), [b, NUM_CLASSES]); // [B, 10]
      const et = tf.tensor2d(eps, [b, vae.shape.zDim]); // [B, zDim]
      const l = optimizer.minimize(() => vae.loss(xt, yt, et, { exact: read }).loss, read);
      tf.dispose([xt, yt, et]);
      if (read) {
        total += l * b;
        counted += b;
      }
      step++;
      opts.onStep?.(step, l);
    }
    losses.push(counted ? total / counted : Number.NaN);
  }
  return losses;
}

/**
 * Trains a classifier by minibatch Adam on cross-entropy. With `steps`, draws each batch uniformly with
 * replacement (as the seed's warm start); otherwise runs `epochs` reshuffled epochs. Returns the last loss.
 */
export function trainClassifier(
  clf: Classifier,
  ds: Dataset,
  opts: { batch: number; lr: number; steps?: number; epochs?: number; onStep?: (step: number, loss: number) => void },
  rng: Rng,
  optimizer: TensorAdam = new TensorAdam(clf.variables, { lr: opts.lr }),
): number {
  const { batch } = opts;
  const x = new Float32Array(batch * ds.dim);
  const y = new Float32Array(batch * NUM_CLASSES);
  let last = Number.NaN;
  let step = 0;
  const one = (idx: ArrayLike<number>, from: number, b: number, read: boolean): void => {
    gatherBatch(ds, idx, from, b, x, y);
    const xt = tf.tensor2d(x.subarray(0, b * ds.dim), [b, ds.dim]); // [B, 784]
    const yt = tf.tensor2d(y.subarray(0, b * NUM_CLASSES), [b, NUM_CLASSES]); // [B, 10]
    const l = optimizer.minimize(() => clf.crossEntropy(xt, yt), read);
    tf.dispose([xt, yt]);
    if (read) last = l;
    step++;
    opts.onStep?.(step, read ? last : Number.NaN);
  };
  if (opts.steps !== undefined) {
    const idx = new Int32Array(batch);
    for (let s = 0; s < opts.steps; s++) {
      for (let i = 0; i < batch; i++) idx[i] = rng.int(ds.n);
      one(idx, 0, Math.min(batch, ds.n), s === opts.steps - 1 || s % 50 === 0);
    }
  } else {
    const epochs = opts.epochs ?? 1;
    for (let ep = 0; ep < epochs; ep++) {
      const perm = rng.shuffle(Array.from({ length: ds.n }, (_, i) => i));
      for (let from = 0; from < ds.n; from += batch) one(perm, from, Math.min(batch, ds.n - from), from + batch >= ds.n || step % 50 === 0);
    }
  }
  return last;
}
