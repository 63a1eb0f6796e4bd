/** The text reward model: backbones, the scalar-head model, and its Bradley–Terry / Plackett–Luce trainer. */
export { BagOfTokensBackbone, gpt2Backbone, lastTokenSelector, type TextBackbone } from './backbone.js';
export { TextRewardModel, rightPad } from './model.js';
export {
  DEFAULT_TEXT_REWARD_TRAIN,
  fitTextRewardModel,
  preferenceAccuracy,
  rankingPairs,
  resolveTextRewardTrainConfig,
  type TextComparison,
  type TextRanking,
  type TextRewardEpoch,
  type TextRewardFit,
  type TextRewardTrainConfig,
} from './trainer.js';
