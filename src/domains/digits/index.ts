/**
 * The digits domain's public surface: data, models, the latent policy, classifier corrections, the session people
 * and simulated judges drive, the run and the commands.
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
export { applyDigitsJudgement, generationSample, classificationSample, saveSession, loadSession } from './feedback.js';
export { classifyRunId, generateRunId, type DigitsPayload, type DigitsGenerationPayload, type DigitsClassificationPayload, type GeneratePagePayload, type ClassifyPagePayload, type DigitsPageStats } from './payload.js';
export { resolveDigitsConfig, DEFAULT_DIGITS, type DigitsConfig } from './config.js';
export { runDigits } from './run.js';
export type { DigitsSummary } from './summary.js';
export { initDigitsTensors } from './kernels.js';
export { digitsCommand, pretrainDigitsCommand } from './cli.js';
