/**
 * The adder domain's public surface: configure (presets 'default' and 'seed'), run, or drive the trainer yourself.
 */
export { resolveAdderConfig, adderConfigToJson, ADDER_OPTIONS, ADDER_MODELS, ADDER_PRESETS, ADDER_PRESET_VALUES, type AdderConfig, type AdderOverrides, type AdderModel, type AdderPreset } from './config.js';
export { LinearFeatureReward, MlpReward, greedyActions, type AdderRewardModel, type AscentOptions } from './model.js';
export { AdderTrainer, ADDER_TARGETS, ADDER_EVAL_SEED, type AdderEval, type AdderMetrics, type AdderState } from './train.js';
export { runAdder, summarizeAdder, type AdderRunOptions, type AdderRunResult } from './run.js';
export type { AdderSummary } from './summary.js';
export { adderCommand, adderConfigFromFlags, adderHelp } from './cli.js';
