/**
 * The line domain's public surface: configure (presets 'default' and 'seed'), run with or without a run
 * directory, or drive the trainer one iteration at a time.
 */
export { LineEnv, LEFT, RIGHT, successProbability, greedySuccess, type Episode } from './env.js';
export { resolveLineConfig, lineConfigToJson, lineIterations, LINE_OPTIONS, LINE_PRESETS, LINE_PRESET_VALUES, type LineConfig, type LineOverrides, type LinePreset } from './config.js';
export { LineTrainer, LINE_SUCCESS_TARGET, type LineMetrics, type LineState } from './train.js';
export { runLine, summarizeLine, type LineRunOptions, type LineRunResult } from './run.js';
export type { LineSummary } from './summary.js';
export { lineCommand, lineConfigFromFlags, lineHelp } from './cli.js';
