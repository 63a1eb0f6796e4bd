/**
 * `rlhf pretrain digits`: trains the conditional VAE, the classifier's warm start and the simulated judge, with a
 * progress bar, and saves them as one safetensors checkpoint.
 */
import { defineOptions } from '../../core/config/options.js';
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

/** Pretraining's options, each described once (`rlhf pretrain digits`, and `rlhf run digits` without --pretrained). */
export const PRETRAIN_OPTIONS = defineOptions<PretrainConfig>(
  'pretrain',
  [
    { key: 'data', type: 'string', nonEmpty: true, default: DEFAULT_DATA_DIR, metavar: 'DIR', help: 'MNIST-format IDX directory' },
    { key: 'seed', type: 'int', min: -2147483648, max: 2147483647, default: 0, metavar: 'N', help: 'seed of the splits and of every weight and batch' },
    { key: 'trainSize', type: 'int', min: 1, max: 60000, default: 15000, metavar: 'N', help: 'training subset (VAE and classifier warm start)' },
    { key: 'valSize', type: 'int', min: 1, max: 10000, default: 3000, metavar: 'N', help: 'held-out validation images from t10k' },
    { key: 'vaeEpochs', type: 'int', min: 0, max: 1000, default: 10, metavar: 'N', help: 'VAE epochs' },
    { key: 'vaeBatch', type: 'int', min: 1, max: 60000, default: 256, metavar: 'N', help: 'VAE batch' },
    { key: 'vaeLr', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-3, metavar: 'LR', help: 'VAE Adam learning rate' },
    { key: 'vaeHidden', flag: false, type: 'int', min: 1, max: 4096, default: 400, help: 'VAE hidden units' },
    { key: 'zDim', flag: false, type: 'int', min: 1, max: 256, default: 16, help: 'VAE latent size' },
    { key: 'classifierSteps', type: 'int', min: 0, max: 1_000_000, default: 200, metavar: 'N', help: 'classifier warm-start steps (Adam on uniform batches, as the seed)' },
    { key: 'classifierBatch', flag: false, type: 'int', min: 1, max: 60000, default: 256, help: 'classifier warm-start batch' },
    { key: 'classifierLr', flag: false, type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-3, help: 'classifier warm-start learning rate' },
    { key: 'classifierHidden', flag: false, type: 'int', min: 1, max: 4096, default: 128, help: 'classifier hidden units' },
    { key: 'judgeHidden', flag: false, type: 'int', min: 1, max: 4096, default: 256, help: 'simulated judge hidden units' },
    { key: 'judgeEpochs', type: 'int', min: 0, max: 1000, default: 5, metavar: 'N', help: 'simulated judge epochs on the full training set' },
    { key: 'judgeBatch', flag: false, type: 'int', min: 1, max: 60000, default: 128, help: 'simulated judge batch' },
    { key: 'judgeLr', flag: false, type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-3, help: 'simulated judge learning rate' },
  ],
  { section: 'pretraining' },
);

export const DEFAULT_PRETRAIN: PretrainConfig = PRETRAIN_OPTIONS.resolve();

/** Validates a partial pretrain config (unknown keys, ranges) and fills defaults. */
export function resolvePretrainConfig(partial: Partial<PretrainConfig> = {}): PretrainConfig {
  return PRETRAIN_OPTIONS.resolve(partial);
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
