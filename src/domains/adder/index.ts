/**
 * The adder domain's public surface: configure (presets 'default' and 'seed'), run, or drive the trainer yourself.
 */
export { resolveAdderConfig, ADDER_OPTIONS, ADDER_MODELS, ADDER_PRESETS, ADDER_PRESET_VALUES, type AdderConfig, type AdderOverrides, type AdderModel, type AdderPreset } from './config.js';
export { LinearFeatureReward, MlpReward, greedyActions, type AdderRewardModel, type AscentOptions } from './model.js';
export { AdderTrainer, ADDER_TARGETS, ADDER_EVAL_SEED, type AdderEval, type AdderMetrics, type AdderState } from './train.js';
export { runAdder, summarizeAdder, adderConfigToJson, type AdderRunOptions, type AdderRunResult, type AdderSummary } from './run.js';
export { adderCommand, adderConfigFromFlags, adderHelp } from './cli.js';
