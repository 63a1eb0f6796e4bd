/**
 * Shared language models: the causal-LM interface, GPT-2, the Llama family, LoRA, the value head, sampling,
 * log-probabilities, tokenizers and chat templates. Every module here is browser-safe except load.ts (config.json, safetensors and tokenizer files on
 * disk), re-exported last.
 */
export type { CausalLm, ForwardOptions, ForwardOutput, KvCache, LayerKv } from './causalLm.js';
export { generate, leftPad, sampleToken, type Generation, type SamplingOptions } from './generate.js';
export { tokenLogProbs, entropyFromLogits, scoreResponses, type ResponseScores } from './logprobs.js';
export { LoraAdapters, resolveLoraConfig, DEFAULT_LORA, type LoraConfig, type LoraPair, type LoraSites, type LinearModule, type PeftAdapters } from './lora.js';
export { createValueHead, applyValueHead, valueHeadFromTensors, valueHeadTensors, VALUE_HEAD_WEIGHT, VALUE_HEAD_BIAS, type ValueHead, type ValueHeadArrays } from './valueHead.js';
export { embeddingLookup, layerNorm, geluNew, attentionInputs, cachedAttentionBias, variableFrom } from './layers.js';
export { registerMissingWasmKernels } from './kernels.js';
// GPT-2
export { Gpt2 } from './gpt2/model.js';
export { GPT2_SMALL, resolveGpt2Config, gpt2ConfigFromJson, gpt2ConfigJson, innerDim, type Gpt2Config } from './gpt2/config.js';
export { paramSpecs, initParams, paramsFromCheckpoint, linearModules, gpt2LoraSites, type ParamSpec } from './gpt2/params.js';
// Llama family (Llama, Qwen2, SmolLM2)
export { Llama } from './llama/model.js';
export {
  LLAMA_DEFAULTS,
  QWEN2_DEFAULTS,
  SMOLLM2_135M,
  resolveLlamaConfig,
  llamaConfigFromJson,
  llamaConfigJson,
  isLlamaFamily,
  type LlamaConfig,
  type RopeScaling,
  type Llama3RopeScaling,
  type LinearRopeScaling,
} from './llama/config.js';
export { llamaParamSpecs, initLlamaParams, llamaParamsFromCheckpoint, llamaLinearModules, llamaLoraSites, type LlamaParamSpec } from './llama/params.js';
export { rmsNorm, siluGate, ropeInvFreq, ropeTables, applyRope } from './llama/layers.js';
// tokenizers and chat templates
export { HfTokenizer, isHfTokenizerJson, type HfTokenizerFiles } from './tokenizers/hf.js';
export { renderChat, chatTemplateFromConfig, type ChatMessage, type ChatRenderOptions } from './chat.js';
export type { HfTokenizerJson } from './tokenizers/types.js';
export { EOT, TOKENIZER_FORMAT, type Tokenizer, type TokenizerJson } from './tokenizers/types.js';
export { ByteBpeTokenizer, trainByteBpe, GPT2_PATTERN } from './tokenizers/bpe.js';
export { Gpt2Tokenizer } from './tokenizers/tiktoken.js';
export { tokenizerFromJson, tokenizerFromModelJson } from './tokenizers/json.js';
// files (Node only)
export { loadGpt2, saveGpt2, saveTrainable, loadTrainable, readGpt2Config, writeGpt2Config, loadLora, saveLora, loadTokenizer, saveTokenizer } from './load.js';
export {
  loadLlama,
  saveLlama,
  writeLlamaConfig,
  loadCausalLm,
  readCheckpointTensors,
  readModelConfigJson,
  modelArchitecture,
  type LoadedCausalLm,
  type ModelArchitecture,
} from './load.js';
