/**
 * The line domain's public surface: configure (presets 'default' and 'seed'), run with or without a run directory
 * (runLine, lineTask), drive the trainer one iteration at a time, or assemble the loop yourself from its parts.
 */
export { LineEnv, LEFT, RIGHT, successProbability, greedySuccess, rollout, episodeFrom, type Episode } from './env.js';
export { resolveLineConfig, lineConfigToJson, lineIterations, LINE_OPTIONS, LINE_PRESETS, LINE_PRESET_VALUES, type LineConfig, type LineOverrides, type LinePreset } from './config.js';
export type { LineBatch, LineQuery, LineSegment } from './batch.js';
export { LineSampler, type LineSamplerSources } from './sampler.js';
export { LineTeacher } from './teacher.js';
export { LineReward, type LineFit } from './reward.js';
export { LinePolicy } from './policy.js';
export { evaluatePolicy, rewardGapStats, type LinePolicyEval } from './evaluator.js';
export { lineQueryMaker, linePayload, lineRewardHeatmaps, type LineQueryOptions } from './queries.js';
export type { LineSegmentPayload, LineAction } from './payload.js';
export { LineTrainer, LINE_SUCCESS_TARGET, type LineMetrics, type LineState, type LineTrainerOptions } from './train.js';
export { runLine, lineTask, type LineRun, type LineRunResult } from './run.js';
export { summarizeLine, type LineSummary } from './summary.js';
