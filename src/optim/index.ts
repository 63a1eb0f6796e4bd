/**
 * The numerics kit: one Adam (typed arrays and tfjs variables share its update), gradient clipping, clip-and-apply.
 * (The stable sigmoid / log-sigmoid / softplus live in src/core/math.ts.)
 */
export { ADAM_PRECISIONS, Adam, DEFAULT_ADAM_CONFIG, adamStateFromArrays, adamStateToArrays, adamStepConstants, adamUpdate, resolveAdamConfig, type AdamConfig, type AdamPrecision, type AdamState, type AdamStepConstants } from './adam.js';
export { TensorAdam, type GradientApplier, type TensorAdamConfig } from './tensorAdam.js';
export { clipByNorm, clipByValue } from './clip.js';
export { clipAndApply, clipByGlobalNorm, disposeGrads, globalNorm, gradientStep } from './gradients.js';
