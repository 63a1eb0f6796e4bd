/**
 * The adder domain's public surface: configure (presets 'default' and 'seed'), run (runAdder, adderTask), drive the
 * trainer yourself, or assemble the loop from its parts.
 */
export { resolveAdderConfig, adderConfigToJson, ADDER_OPTIONS, ADDER_MODELS, ADDER_PRESETS, ADDER_PRESET_VALUES, type AdderConfig, type AdderOverrides, type AdderModel, type AdderPreset } from './config.js';
export { LinearFeatureReward, MlpReward, greedyActions, type AdderRewardModel, type AscentOptions } from './model.js';
export type { AdderBatch } from './batch.js';
export { AdderSampler } from './sampler.js';
export { AdderTeacher, trueReward } from './teacher.js';
export { AdderReward, type AdderFit } from './reward.js';
export { AdderEvaluator, ADDER_EVAL_SEED, type AdderEval } from './evaluator.js';
export { adderQueryMaker, type AdderQueryOptions } from './queries.js';
export type { AdderAnswerPayload } from './payload.js';
export { AdderTrainer, ADDER_TARGETS, type AdderMetrics, type AdderState, type AdderTrainerOptions } from './train.js';
export { runAdder, adderTask, type AdderRun, type AdderRunResult } from './run.js';
export { summarizeAdder, type AdderSummary } from './summary.js';
