/**
 * The digits domain's data splits and pretrained models (VAE, classifier, simulated judge), and their checkpoint.
 *
 * Splits, all drawn from one seed so `pretrain` and `run` agree on them:
 *   train file (60k) → `train` (trainSize, for the VAE and the classifier's warm start) + `pool` (the rest: images the
 *                      classifier never saw; the correction phase draws from it)
 *   t10k file (10k)  → `validation` (valSize, held-out accuracy of classifier and judge; never trained on)
 * The judge trains on the whole train file (the "full training set").
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../core/rng.js';
import { readSafetensors, writeSafetensors } from '../../core/safetensors.js';
import { CheckpointError } from '../../core/errors.js';
import { type Dataset, loadIdxDir, seededSplit } from './data.js';
import { CondVae, type VaeShape } from './vae.js';
import { Classifier } from './classifier.js';
import { assignParams, disposeParams, paramsToTensors } from './nn.js';

export interface DigitsSplits {
  train: Dataset;
  pool: Dataset;
  validation: Dataset;
  /** the whole train file (the judge's training set) */
  full: Dataset;
}

/** Loads the data directory and draws the splits from `splitSeed`. */
export function loadSplits(dataDir: string, trainSize: number, valSize: number, splitSeed: number): DigitsSplits {
  const { train: full, test } = loadIdxDir(dataDir);
  const rng = new Rng(splitSeed).fork('digits/splits');
  const t = seededSplit(full, [Math.min(trainSize, full.n)], rng);
  const v = seededSplit(test, [Math.min(valSize, test.n)], rng);
  return { train: t.parts[0]!, pool: t.rest, validation: v.parts[0]!, full };
}

/** What a pretrained checkpoint records besides the weights. */
export interface PretrainedMeta {
  /** the data directory and split the models were trained on */
  data: string;
  splitSeed: number;
  trainSize: number;
  valSize: number;
  vae: VaeShape;
  classifierHidden: number;
  judgeHidden: number;
  /** held-out accuracies at the end of pretraining */
  classifierAccuracy: number;
  judgeAccuracy: number;
  /** VAE loss per epoch (negative ELBO per image) */
  vaeLosses: number[];
  seconds: Record<string, number>;
}

export interface DigitsModels {
  vae: CondVae;
  classifier: Classifier;
  judge: Classifier;
  meta: PretrainedMeta;
}

export const MODELS_FILE = 'digits-models.safetensors';

/** Writes DIR/digits-models.safetensors (weights under vae./classifier./judge., meta as JSON metadata). */
export function saveModels(dir: string, m: DigitsModels): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, MODELS_FILE);
  writeSafetensors(
    path,
    { ...paramsToTensors(m.vae.params, 'vae.'), ...paramsToTensors(m.classifier.params, 'classifier.'), ...paramsToTensors(m.judge.params, 'judge.') },
    { format: 'rlhfkit-digits-v1', meta: JSON.stringify(m.meta) },
  );
  return path;
}

/** Loads models saved by saveModels from DIR (or the file itself). */
export function loadModels(dirOrFile: string): DigitsModels {
  const path = dirOrFile.endsWith('.safetensors') ? dirOrFile : join(dirOrFile, MODELS_FILE);
  if (!existsSync(path)) throw new CheckpointError(`no pretrained digits models at ${path}: run \`rlhf pretrain digits --out ${dirOrFile}\` first`);
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== 'rlhfkit-digits-v1' || !metadata.meta) throw new CheckpointError(`${path} is not a digits checkpoint (format ${metadata.format ?? 'missing'}, expected rlhfkit-digits-v1)`);
  const meta = JSON.parse(metadata.meta) as PretrainedMeta;
  const rng = new Rng(0); // weights are overwritten below
  const vae = new CondVae(meta.vae, rng);
  const classifier = new Classifier(meta.vae.inputDim, meta.classifierHidden, rng);
  const judge = new Classifier(meta.vae.inputDim, meta.judgeHidden, rng);
  assignParams(vae.params, tensors, path, 'vae.');
  assignParams(classifier.params, tensors, path, 'classifier.');
  assignParams(judge.params, tensors, path, 'judge.');
  return { vae, classifier, judge, meta };
}

export function disposeModels(m: DigitsModels): void {
  disposeParams(m.vae.params);
  disposeParams(m.classifier.params);
  disposeParams(m.judge.params);
}
