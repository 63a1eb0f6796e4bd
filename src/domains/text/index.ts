/** The text domain: a GPT-2-architecture policy with LoRA and a value head, tuned by PPO or DPO against a learned reward. */
export { Gpt2 } from '../../models/gpt2/model.js';
export type { ForwardOptions, ForwardOutput } from '../../models/causalLm.js';
export { generate, leftPad, type SamplingOptions, type Generation } from '../../models/generate.js';
export { loadGpt2, saveGpt2, saveTrainable, loadTrainable } from '../../models/load.js';
export { LoraAdapters, resolveLoraConfig, DEFAULT_LORA, type LoraConfig } from '../../models/lora.js';
export { tokenLogProbs, entropyFromLogits, scoreResponses, type ResponseScores } from '../../models/logprobs.js';
export { loadTokenizer, saveTokenizer } from '../../models/load.js';
export { tokenizerFromJson } from '../../models/tokenizers/json.js';
export { loadCorpus, splitCorpus, promptsFrom, promptSplit, textCodecOf, DEFAULT_CORPUS, type CorpusEntry } from './corpus.js';
export { ByteCodec, makePrompts, type Prompt, type TextCodec } from './rlhf/corpus.js';
export { TextRlhf, type TextRlhfInputs, type TextRlhfOptions, type TextRlhfResult, type TextRlhfState } from './rlhf/run.js';
export { textQueryMaker, type TextPairBatch, type TextPairToJudge } from './rlhf/queries.js';
export { runText, textTask, textConfigJson, DEFAULT_TEXT_MODEL, type TextRun, type TextRunOptions, type TextRunResult } from './rlhf/task.js';
export type { TextRlhfSummary, BeforeAfterRow } from './summary.js';
export type { TextSamplePayload } from './payload.js';
export { resolveTextRlhfConfig, DEFAULT_TEXT_RLHF, TEXT_RLHF_OPTIONS, type TextRlhfConfig, type TextRlhfOverrides } from './rlhf/config.js';
export { pretrainTextCommand } from './pretrain.js';
