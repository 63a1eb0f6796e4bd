/**
 * Policy optimizers, domain-independent: GAE, PPO (RLHF form), GRPO, RLOO, DPO, KTO, REINFORCE, and the small model interfaces they
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
export {
  DEFAULT_GRPO_CONFIG,
  GRPO_LOSS_TYPES,
  IMPORTANCE_SAMPLING_LEVELS,
  SCALE_REWARDS,
  groupAdvantages,
  grpoLoss,
  grpoStep,
  resolveGRPOConfig,
  type GRPOBatch,
  type GRPOConfig,
  type GRPOLossInputs,
  type GRPOLossOutputs,
  type GRPOLossType,
  type GRPOStats,
  type GRPOStepContext,
  type GroupAdvantages,
  type ImportanceSamplingLevel,
  type ScaleRewards,
} from './grpo.js';
export {
  DEFAULT_RLOO_CONFIG,
  resolveRLOOConfig,
  rlooAdvantages,
  rlooLoss,
  rlooStep,
  sequenceKl,
  type RLOOAdvantages,
  type RLOOBatch,
  type RLOOConfig,
  type RLOOLossInputs,
  type RLOOLossOutputs,
  type RLOOStepContext,
} from './rloo.js';
export {
  DEFAULT_KTO_CONFIG,
  KTO_LOSS_TYPES,
  ktoKlEstimate,
  ktoLoss,
  ktoMismatchedPairs,
  ktoStep,
  resolveKTOConfig,
  type KTOBatch,
  type KTOConfig,
  type KTOLossOutputs,
  type KTOLossType,
  type KTOStepContext,
} from './kto.js';
export { MovingBaseline, returnsToGo, softmaxReinforceGrad } from './reinforce.js';
export { ToyPolicy, type ToyPolicyOptions } from './toy.js';
