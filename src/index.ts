/**
 * rlhfkit's public API. Folders follow the loop: feedback → store → teachers → reward → policy, then the domains,
 * the loop plumbing, the report and the labeling server.
 */
// runtime
export * from './core/errors.js';
export { Rng, hashString, type RngState } from './core/rng.js';
export { initTensors, liveTensors, tensorFrom, tf, BACKEND_NAMES, type BackendName } from './core/tensor.js';
export * from './core/safetensors.js';
export * from './core/math.js';
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
// reward models
export * from './reward/losses.js';
export * from './reward/tabular.js';
export * from './reward/trainer.js';
export { Mlp, resolveMlpConfig, ACTIVATIONS, type Activation, type MlpConfig } from './reward/mlp.js';
export * from './reward/ensemble.js';
export * from './reward/querySelection.js';
export * from './reward/labelBudget.js';
export * as textReward from './reward/text/index.js';
// policy optimizers
export * from './policy/index.js';
// the loop, runs and reports
export * from './loop/orchestrator.js';
export * from './loop/runDir.js';
export * from './loop/progress.js';
export * from './loop/humanJudge.js';
export * as report from './report/index.js';
// the labeling server
export { createServer } from './server/app.js';
// domains, each under its own name
export * as gridworld from './domains/gridworld/index.js';
export * as line from './domains/line/index.js';
export * as adder from './domains/adder/index.js';
export * as digits from './domains/digits/index.js';
export * as text from './domains/text/index.js';
