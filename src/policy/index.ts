/**
 * Policy optimizers, domain-independent: GAE, PPO (RLHF form), DPO, REINFORCE, and the small model interfaces they
 * are written against (the optimizer and gradient clipping: src/optim). docs/algorithms.md has every formula and metric key.
 */
export type { LogprobForward, LogprobOutput, PolicyForward, PolicyOutput } from './types.js';
export { gae, discountedReturns, type GaeOptions, type GaeResult } from './gae.js';
export { maskedMean, maskedVar, maskedWhiten, tfMaskedMean } from './masked.js';
export {
  AdaptiveKLController,
  DEFAULT_PPO_CONFIG,
  FixedKLController,
  KL_PENALTIES,
  computeAdvantages,
  computeRewards,
  evaluateResponses,
  explainedVariance,
  klPenaltyValue,
  makeKLController,
  packSequences,
  ppoLosses,
  ppoStep,
  resolvePPOConfig,
  type KLController,
  type KlPenalty,
  type PPOConfig,
  type PPOLossInputs,
  type PPOLossOutputs,
  type PPORollouts,
  type PPOStats,
  type PPOStepContext,
  type TokenRewards,
} from './ppo.js';
export {
  DEFAULT_DPO_CONFIG,
  DPO_LOSS_TYPES,
  dpoLoss,
  dpoStep,
  resolveDPOConfig,
  sequenceLogprobs,
  tfSequenceLogprobs,
  type DPOBatch,
  type DPOConfig,
  type DPOLossOutputs,
  type DPOLossType,
  type DPOStats,
  type DPOStepContext,
} from './dpo.js';
export { MovingBaseline, returnsToGo, softmaxReinforceGrad } from './reinforce.js';
export { ToyPolicy, type ToyPolicyOptions } from './toy.js';
