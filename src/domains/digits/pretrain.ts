/**
 * `rlhf pretrain digits`: trains the conditional VAE, the classifier's warm start and the simulated judge, with a
 * progress bar, and saves them as one safetensors checkpoint.
 */
import { ConfigError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { TensorAdam } from '../../optim/tensorAdam.js';
import { createProgress } from '../../loop/progress.js';
import { DEFAULT_DATA_DIR } from './data.js';
import { CondVae, DEFAULT_VAE_SHAPE } from './vae.js';
import { Classifier } from './classifier.js';
import { stepsPerEpoch, trainClassifier, trainVae } from './train.js';
import { type DigitsModels, type DigitsSplits, loadSplits } from './models.js';

export interface PretrainConfig {
  /** MNIST-format directory. Default /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist). */
  data: string;
  /** seed of the splits and of every weight and batch. Default 0. */
  seed: number;
  /** images in the training subset (VAE and classifier warm start). Default 15000. */
  trainSize: number;
  /** held-out validation images (from the t10k file). Default 3000. */
  valSize: number;
  /** VAE: epochs, batch, Adam learning rate, hidden units, latent size. Defaults 10, 256, 1e-3, 400, 16. */
  vaeEpochs: number;
  vaeBatch: number;
  vaeLr: number;
  vaeHidden: number;
  zDim: number;
  /** classifier warm start (as the seed): Adam steps on uniform batches. Defaults 200 steps, batch 256, lr 1e-3, hidden 128. */
  classifierSteps: number;
  classifierBatch: number;
  classifierLr: number;
  classifierHidden: number;
  /** simulated judge: a wider MLP trained on the full training set. Defaults hidden 256, 5 epochs, batch 128, lr 1e-3. */
  judgeHidden: number;
  judgeEpochs: number;
  judgeBatch: number;
  judgeLr: number;
}

export const DEFAULT_PRETRAIN: PretrainConfig = {
  data: DEFAULT_DATA_DIR,
  seed: 0,
  trainSize: 15000,
  valSize: 3000,
  vaeEpochs: 10,
  vaeBatch: 256,
  vaeLr: 1e-3,
  vaeHidden: 400,
  zDim: 16,
  classifierSteps: 200,
  classifierBatch: 256,
  classifierLr: 1e-3,
  classifierHidden: 128,
  judgeHidden: 256,
  judgeEpochs: 5,
  judgeBatch: 128,
  judgeLr: 1e-3,
};

const INT_RANGES: Partial<Record<keyof PretrainConfig, [number, number]>> = {
  trainSize: [1, 60000],
  valSize: [1, 10000],
  vaeEpochs: [0, 1000],
  vaeBatch: [1, 60000],
  vaeHidden: [1, 4096],
  zDim: [1, 256],
  classifierSteps: [0, 1_000_000],
  classifierBatch: [1, 60000],
  classifierHidden: [1, 4096],
  judgeHidden: [1, 4096],
  judgeEpochs: [0, 1000],
  judgeBatch: [1, 60000],
};

/** Validates a partial pretrain config (unknown keys, integer ranges, positive learning rates) and fills defaults. */
export function resolvePretrainConfig(partial: Partial<PretrainConfig> = {}): PretrainConfig {
  for (const k of Object.keys(partial)) if (!(k in DEFAULT_PRETRAIN)) throw new ConfigError(k, `unknown pretrain option "${k}"`);
  const c = { ...DEFAULT_PRETRAIN, ...partial };
  if (typeof c.data !== 'string' || c.data.length === 0) throw new ConfigError('data', 'data must name a directory');
  if (!Number.isInteger(c.seed)) throw new ConfigError('seed', `seed must be an integer, got ${c.seed}`);
  for (const [k, [lo, hi]] of Object.entries(INT_RANGES) as Array<[keyof PretrainConfig, [number, number]]>) {
    const v = c[k] as number;
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new ConfigError(k, `${k} must be an integer in ${lo}..${hi}, got ${v}`);
  }
  for (const k of ['vaeLr', 'classifierLr', 'judgeLr'] as const)
    if (!(c[k] > 0 && c[k] <= 1)) throw new ConfigError(k, `${k} must be in (0, 1], got ${c[k]}`);
  return c;
}

/**
 * Trains the three models on the splits. `splits` may be passed when already loaded.
 * Progress: one bar over all optimizer steps (to stderr; off with quiet).
 */
export function pretrainDigits(config: PretrainConfig, opts: { quiet?: boolean; splits?: DigitsSplits } = {}): { models: DigitsModels; splits: DigitsSplits } {
  const c = config;
  const t0 = performance.now();
  const splits = opts.splits ?? loadSplits(c.data, c.trainSize, c.valSize, c.seed);
  const tLoad = performance.now();
  const rng = new Rng(c.seed);
  const vaeShape = { inputDim: splits.train.dim, hidden: c.vaeHidden, zDim: c.zDim };
  const vae = new CondVae(vaeShape, rng.fork('vae/init'));
  const classifier = new Classifier(splits.train.dim, c.classifierHidden, rng.fork('classifier/init'));
  const judge = new Classifier(splits.train.dim, c.judgeHidden, rng.fork('judge/init'));
  const vaeSteps = c.vaeEpochs * stepsPerEpoch(splits.train.n, c.vaeBatch);
  const judgeSteps = c.judgeEpochs * stepsPerEpoch(splits.full.n, c.judgeBatch);
  const total = vaeSteps + c.classifierSteps + judgeSteps;
  const bar = createProgress('pretrain digits', total, { quiet: opts.quiet });
  let done = 0;
  let lastLoss = Number.NaN;

  // 1) conditional VAE
  const vaeOpt = new TensorAdam(vae.variables, { lr: c.vaeLr });
  const vaeLosses = trainVae(vae, splits.train, { epochs: c.vaeEpochs, batch: c.vaeBatch, lr: c.vaeLr, lossEvery: 20, onStep: (_s, l) => {
    if (Number.isFinite(l)) lastLoss = l;
    bar.update(++done, { model: 'vae', loss: lastLoss });
  } }, rng.fork('vae/train'), vaeOpt);
  const tVae = performance.now();

  // 2) classifier warm start (as the seed: few steps, so feedback has something to fix)
  const clfOpt = new TensorAdam(classifier.variables, { lr: c.classifierLr });
  trainClassifier(classifier, splits.train, { batch: c.classifierBatch, lr: c.classifierLr, steps: c.classifierSteps, onStep: () => bar.update(++done, { model: 'classifier' }) }, rng.fork('classifier/train'), clfOpt);
  const tClf = performance.now();

  // 3) simulated judge on the full training set
  const judgeOpt = new TensorAdam(judge.variables, { lr: c.judgeLr });
  trainClassifier(judge, splits.full, { batch: c.judgeBatch, lr: c.judgeLr, epochs: c.judgeEpochs, onStep: () => bar.update(++done, { model: 'judge' }) }, rng.fork('judge/train'), judgeOpt);
  const tJudge = performance.now();
  bar.stop();

  const meta = {
    data: c.data,
    splitSeed: c.seed,
    trainSize: c.trainSize,
    valSize: c.valSize,
    vae: vaeShape,
    classifierHidden: c.classifierHidden,
    judgeHidden: c.judgeHidden,
    classifierAccuracy: classifier.accuracy(splits.validation),
    judgeAccuracy: judge.accuracy(splits.validation),
    vaeLosses,
    seconds: {
      load: (tLoad - t0) / 1000,
      vae: (tVae - tLoad) / 1000,
      classifier: (tClf - tVae) / 1000,
      judge: (tJudge - tClf) / 1000,
    },
  };
  return { models: { vae, classifier, judge, meta }, splits };
}
