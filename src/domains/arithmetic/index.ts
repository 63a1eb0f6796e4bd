/**
 * The arithmetic domain's public surface: the task (a + b as text, a verifiable reward), its config, the pretraining
 * of its tiny Llama, the trainer (GRPO, RLOO or PPO) and the run.
 */
export { ARITHMETIC_OPTIONS, ARITHMETIC_OPTIMIZERS, DEFAULT_ARITHMETIC, DEFAULT_ARITHMETIC_MODEL_DIR, resolveArithmeticConfig, arithmeticConfigJson, type ArithmeticConfig, type ArithmeticOptimizer } from './config.js';
export { Problems, problemOf, isCorrect, maxAnswerLength, maxPromptLength, HELD_OUT_SEED, type Problem, type ProblemSpace } from './problems.js';
export { arithmeticTokenizer, arithmeticTokenizerJson, arithmeticTokenizerConfig, ARITHMETIC_ALPHABET, ARITHMETIC_EOS, ARITHMETIC_EOS_ID, ARITHMETIC_VOCAB_SIZE } from './tokenizer.js';
export { greedyAccuracy, klToReference, completionTexts, type AccuracyResult } from './evaluate.js';
export { PRETRAIN_ARITHMETIC_OPTIONS, pretrainArithmetic, arithmeticLlamaConfig, encodeBatch, answerLoss, type PretrainArithmeticConfig, type PretrainArithmeticResult, type PretrainPoint } from './pretrain.js';
export { ArithmeticTrainer, batchFromGeneration, type ArithmeticEval, type ArithmeticModelInfo, type ArithmeticState, type ArithmeticStepResult, type ArithmeticTrainerInputs } from './trainer.js';
export { arithmeticTask, runArithmetic, arithmeticModelInfo, type ArithmeticRun, type ArithmeticRunOptions, type ArithmeticRunResult, type ArithmeticTaskOptions } from './run.js';
export { summarizeArithmetic, type ArithmeticSummary } from './summary.js';
