/**
 * rlhfkit's public API. Folders follow the loop: feedback → store → teachers → reward → policy, then the domains,
 * the loop plumbing, the report and the labeling server.
 *
 * What is not here at top level: the command line's constants and parsers (flag tables, help texts, `…FromFlags`,
 * the default port) and any one domain's glue (its query maker, its people-in-the-loop wiring); each domain is
 * exported as a namespace instead. test/public-api.test.ts pins both.
 */
// runtime
export * from './core/errors.js';
export { Rng, hashString, type RngState } from './core/rng.js';
export { initTensors, liveTensors, tensorFrom, tf, BACKEND_NAMES, type BackendName } from './core/tensor.js';
export * from './core/safetensors.js';
export * from './core/math.js';
// declarative options: each option of a config described once (resolver, flags, --help)
export { defineOptions, renderHelp, type OptionSet, type Option, type FlagValues } from './core/config/options.js';
// numerics: Adam (typed arrays and tensors), clipping, clip-and-apply
export * from './optim/index.js';
// judgements and their storage
export * from './feedback/types.js';
export * from './feedback/validate.js';
export * from './feedback/jsonl.js';
export * from './store/index.js';
// judges
export * from './teachers/bpref.js';
export * from './teachers/sentiment.js';
export * from './teachers/rewardFunctions.js';
// reward models
export * from './reward/losses.js';
export * from './reward/tabular.js';
export * from './reward/trainer.js';
export { Mlp, resolveMlpConfig, ACTIVATIONS, type Activation, type MlpConfig } from './reward/mlp.js';
export * from './reward/ensemble.js';
export {
  QUERY_SELECTIONS,
  resolveQuerySelection,
  meanProbability,
  disagreementScores,
  entropyScores,
  binaryEntropy,
  selectionScores,
  selectQueries,
  type QuerySelection,
  type PairProbabilities,
} from './reward/querySelection.js';
export * from './reward/labelBudget.js';
export * as textReward from './reward/text/index.js';
// shared language models (GPT-2, LoRA, value head, sampling, tokenizers)
export * as models from './models/index.js';
// policy optimizers
export * from './policy/index.js';
// the loop, runs and reports
export * from './loop/parts.js';
export * from './loop/driver.js';
export * from './loop/runDir.js';
export * from './loop/progress.js';
export {
  JUDGE_MODES,
  HUMAN_JUDGE_DEFAULTS,
  resolveHumanJudgeConfig,
  HumanGatherer,
  combineJudgements,
  judgementTarget,
  queryId,
  teacherJudgeName,
  type JudgeMode,
  type HumanJudgeConfig,
  type GatherStats,
  type HumanGathererOptions,
} from './loop/people/gatherer.js';
export { startHumanSession, peopleInTheLoop, type HumanSession, type HumanSessionOptions, type HumanJudgeSetup } from './loop/people/session.js';
export * as report from './report/index.js';
// the labeling server
export { createServer } from './server/app.js';
// domains, each under its own name
export * as gridworld from './domains/gridworld/index.js';
export * as line from './domains/line/index.js';
export * as adder from './domains/adder/index.js';
export * as digits from './domains/digits/index.js';
export * as text from './domains/text/index.js';
export * as arithmetic from './domains/arithmetic/index.js';
