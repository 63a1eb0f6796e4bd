/**
 * The digits domain's public surface: data, models, the latent policy, classifier corrections, the session, the
 * loop parts (sampler, judge, learner, evaluator, query maker), the task and the commands.
 */
export { DEFAULT_DATA_DIR, FASHION_CLASSES, NUM_CLASSES, type Dataset, loadIdxDir, loadIdxSplit, parseIdxImages, parseIdxLabels, seededSplit, subsetOf } from './data.js';
export { CondVae, DEFAULT_VAE_SHAPE, type VaeShape } from './vae.js';
export { Classifier } from './classifier.js';
export { trainVae, trainClassifier } from './train.js';
export { LatentPolicy, DEFAULT_LATENT_POLICY, resolveLatentPolicyConfig, type LatentPolicyConfig, type LatentAction } from './policy.js';
export { CorrectionLearner, DEFAULT_CORRECTIONS, resolveCorrectionsConfig, type CorrectionsConfig, type ClassifierAnswer } from './corrections.js';
export { type DigitsModels, type DigitsSplits, loadModels, saveModels, loadSplits } from './models.js';
export { pretrainDigits, resolvePretrainConfig, DEFAULT_PRETRAIN, type PretrainConfig } from './pretrain.js';
export { DigitsSession, judgeThumb, truthfulAnswer, type GenerationSample, type ClassificationSample } from './session.js';
export { type DigitsBatch, type DigitsLabel, type PredictionAnswer } from './batch.js';
export { DigitsSampler } from './sampler.js';
export { DigitsJudge } from './teacher.js';
export { DigitsLearner } from './learner.js';
export { DigitsEvaluator, snapshotPolicy } from './evaluator.js';
export { digitsQueryMaker, digitsClassNames } from './queries.js';
export { type DigitsPayload, type DigitsGenerationPayload, type DigitsClassificationPayload } from './payload.js';
export { resolveDigitsConfig, DEFAULT_DIGITS, type DigitsConfig } from './config.js';
export { digitsTask, runDigits, type DigitsRun, type DigitsState } from './run.js';
export type { DigitsSummary } from './summary.js';
export { initDigitsTensors } from './kernels.js';
export { digitsCommand, pretrainDigitsCommand } from './cli.js';
