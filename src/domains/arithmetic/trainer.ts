/**
 * One RL step on the arithmetic task, with GRPO, RLOO or PPO (src/policy), and what a checkpoint keeps of it:
 *
 *   1. sample    P training problems, G completions each, from the policy (KV cache, temperature T)
 *   2. reward    every reward function on every completion (src/teachers/rewardFunctions.ts); r = Σ_k w_k r_k
 *   3. score     log π_old of the completion tokens (no gradient); log π_ref when a KL term needs it (adapters off, or
 *                the frozen copy of a full fine-tune); PPO: the value head too
 *   4. advantage GRPO: (r − mean_g r)/(std_g r + 10⁻⁴); RLOO: r − mean of the other k − 1; PPO: GAE on per-token rewards
 *   5. optimise  the optimizer's step: shuffled minibatches, one clipped Adam step each
 *   6. measure   every --eval-every steps and after the last: greedy exact-match accuracy on held-out problems and
 *                KL(π ‖ π_ref) on them
 * Each step also returns its completions (prompt, completion, every reward function's value, advantage) for
 * completions.jsonl. Browser-safe: the model comes in loaded.
 */
import { tf } from '../../core/tensor.js';
import { Rng, type RngState } from '../../core/rng.js';
import { ShapeError } from '../../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import type { CausalLm } from '../../models/causalLm.js';
import type { Tokenizer } from '../../models/tokenizers/types.js';
import { generate, type Generation } from '../../models/generate.js';
import { causalLmPolicyForward } from '../../models/policyForward.js';
import { TensorAdam } from '../../optim/tensorAdam.js';
import { groupAdvantages, grpoStep, resolveGRPOConfig, type GRPOConfig } from '../../policy/grpo.js';
import { resolveRLOOConfig, rlooAdvantages, rlooStep, sequenceKl, type RLOOConfig } from '../../policy/rloo.js';
import { computeAdvantages, computeRewards, evaluateResponses, FixedKLController, ppoStep, resolvePPOConfig, type PPOConfig } from '../../policy/ppo.js';
import type { LogprobForward, PolicyForward } from '../../policy/types.js';
import { rewardFunctionMetrics, scoreRewards, type RewardFunction, type RewardSample } from '../../teachers/rewardFunctions.js';
import type { JsonObject } from '../../store/types.js';
import type { MetricsRow } from '../../loop/parts.js';
import type { ArithmeticConfig } from './config.js';
import { maxAnswerLength, Problems, type Problem, type ProblemSpace } from './problems.js';
import { completionTexts, greedyAccuracy, klToReference } from './evaluate.js';

/** What a model directory says about its task (config.json's "arithmetic" entry, written by the pretraining). */
export type ArithmeticModelInfo = ProblemSpace;

export interface ArithmeticTrainerInputs {
  config: ArithmeticConfig;
  /** the policy: a pretrained arithmetic model (LoRA adapters are added when config.loraR > 0) */
  model: CausalLm;
  /** a frozen copy of the model for a full fine-tune's reference; null with LoRA (the reference is adapters off) */
  reference: CausalLm | null;
  tokenizer: Tokenizer;
  info: ArithmeticModelInfo;
  rewardFns: readonly RewardFunction[];
}

/** One evaluation: greedy held-out accuracy and KL(π ‖ π_ref) (nats per completion). */
export interface ArithmeticEval {
  iteration: number;
  accuracy: number;
  kl: number;
}

/** The JSON part of a checkpoint. */
export interface ArithmeticState {
  rng: { prompts: RngState; sample: RngState; shuffle: RngState };
  before: ArithmeticEval;
  last: ArithmeticEval;
}

/** One step's results: its metrics row (key order = metrics.jsonl), completions.jsonl rows and timings. */
export interface ArithmeticStepResult {
  metrics: MetricsRow;
  completions: JsonObject[];
  timing: Record<string, number>;
}

/** The arrays of a batch of completions, as the optimizers take them (rows grouped by problem, G per problem). */
interface Batch {
  batchSize: number;
  queryLength: number;
  responseLength: number;
  queries: Int32Array;
  queryMask: Float32Array;
  responses: Int32Array;
  responseMask: Float32Array;
}

/** Splits a generation [B, P + N] into prompt and completion arrays. */
export function batchFromGeneration(g: Generation): Batch {
  const B = g.batch;
  const P = g.promptLength;
  const N = g.newTokens;
  const L = P + N;
  const b: Batch = {
    batchSize: B,
    queryLength: P,
    responseLength: N,
    queries: new Int32Array(B * P),
    queryMask: new Float32Array(B * P),
    responses: new Int32Array(B * N),
    responseMask: Float32Array.from(g.responseMask),
  };
  for (let r = 0; r < B; r++) {
    b.queries.set(g.sequences.subarray(r * L, r * L + P), r * P);
    for (let t = 0; t < P; t++) b.queryMask[r * P + t] = g.attentionMask[r * L + t]!;
    b.responses.set(g.sequences.subarray(r * L + P, (r + 1) * L), r * N);
  }
  return b;
}

const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : Number.NaN;
};

export class ArithmeticTrainer {
  readonly config: ArithmeticConfig;
  readonly problems: Problems;
  readonly evalSet: readonly Problem[];
  /** tokens generated per completion: the longest answer and the end token */
  readonly maxNewTokens: number;
  readonly optimizer: TensorAdam;
  readonly variables: tf.Variable[];
  before!: ArithmeticEval;
  last!: ArithmeticEval;
  private readonly model: CausalLm;
  private readonly reference: { model: CausalLm; adapters: boolean };
  private readonly tok: Tokenizer;
  private readonly rewardFns: readonly RewardFunction[];
  private readonly root: Rng;
  private readonly promptRng: Rng;
  private readonly sampleRng: Rng;
  private readonly shuffleRng: Rng;
  private readonly policyForward: PolicyForward;
  private readonly referenceForward: LogprobForward;
  private readonly grpo: GRPOConfig;
  private readonly rloo: RLOOConfig;
  private readonly ppo: PPOConfig;

  constructor(inp: ArithmeticTrainerInputs) {
    const c = (this.config = inp.config);
    this.model = inp.model;
    this.tok = inp.tokenizer;
    this.rewardFns = inp.rewardFns;
    this.problems = new Problems(inp.info);
    this.evalSet = this.problems.evalSet(c.evalProblems);
    this.maxNewTokens = maxAnswerLength(inp.info) + 1;
    this.root = new Rng(c.seed);
    this.promptRng = this.root.fork('prompts');
    this.sampleRng = this.root.fork('sample');
    this.shuffleRng = this.root.fork('shuffle');
    // the policy's trainable parts and its reference
    if (c.loraR > 0) {
      this.model.addLora({ r: c.loraR, alpha: 2 * c.loraR, dropout: 0, targetModules: this.loraTargets() }, this.root.fork('lora'));
      this.reference = { model: this.model, adapters: false };
    } else {
      if (!inp.reference) throw new ShapeError('ArithmeticTrainer: a full fine-tune needs a frozen reference copy of the model');
      this.reference = { model: inp.reference, adapters: false };
    }
    if (c.optimizer === 'ppo' && !this.model.valueHead) this.model.addValueHead(this.root.fork('value-head'));
    this.variables = this.model.trainableVariables(c.loraR > 0 ? 'lora' : 'full');
    this.optimizer = new TensorAdam(this.variables, { lr: c.learningRate });
    this.policyForward = causalLmPolicyForward(this.model, { adapters: true, temperature: c.temperature });
    this.referenceForward = causalLmPolicyForward(this.reference.model, { adapters: this.reference.adapters, temperature: c.temperature });
    const B = c.prompts * c.generations;
    const maxGradNorm = c.maxGradNorm > 0 ? c.maxGradNorm : null;
    const common = { numGenerations: c.generations, beta: c.beta, epsilon: c.epsilon, epsilonHigh: c.epsilonHigh, numIterations: c.passes, miniBatchSize: c.miniBatchSize, temperature: c.temperature, learningRate: c.learningRate, maxGradNorm };
    this.grpo = resolveGRPOConfig({ ...common, lossType: c.lossType, scaleRewards: c.scaleRewards, maxCompletionLength: this.maxNewTokens });
    this.rloo = resolveRLOOConfig(common);
    this.ppo = resolvePPOConfig({ learningRate: c.learningRate, adaptiveKl: false, initKlCoef: c.beta, cliprange: c.epsilon, vfCoef: c.vfCoef, ppoEpochs: c.passes, batchSize: B, miniBatchSize: c.miniBatchSize, maxGradNorm });
  }

  /** every projection of the model (Llama's seven; GPT-2's c_attn, c_proj, c_fc) */
  private loraTargets(): string[] {
    const names = new Set(this.model.loraSites().modules.map((m) => m.name.split('.').pop()!));
    return [...names];
  }

  /** Greedy held-out accuracy and the KL to the reference (iteration 0: before any step). */
  evaluate(iteration: number): ArithmeticEval {
    const c = this.config;
    const accuracy = greedyAccuracy(this.model, this.tok, this.evalSet, this.maxNewTokens).accuracy;
    const kl = klToReference(this.model, this.reference, this.tok, this.evalSet.slice(0, c.klProblems), this.maxNewTokens, c.temperature, this.root.fork(`kl/${iteration}`));
    return { iteration, accuracy, kl };
  }

  /** The evaluation before training (called once by a new run; a resumed run restores it). */
  start(): ArithmeticEval {
    this.before = this.last = this.evaluate(0);
    return this.before;
  }

  /** One step (see the file comment). */
  async step(iteration: number): Promise<ArithmeticStepResult> {
    const c = this.config;
    const G = c.generations;
    const t0 = performance.now();
    // 1. sample
    const problems = this.problems.sampleMany(this.promptRng, c.prompts);
    const prompts = problems.flatMap((p) => Array.from({ length: G }, () => this.tok.encode(p.prompt)));
    const gen = generate(this.model, prompts, { maxNewTokens: this.maxNewTokens, temperature: c.temperature, adapters: true }, this.sampleRng);
    const batch = batchFromGeneration(gen);
    const B = batch.batchSize;
    const Tr = batch.responseLength;
    const texts = completionTexts(this.tok, gen, this.model.eosId);
    const t1 = performance.now();
    // 2. reward
    const samples: RewardSample[] = texts.map((completion, i) => {
      const p = problems[Math.floor(i / G)]!;
      return { prompt: p.prompt, completion, extra: { answer: p.answer, a: p.a, b: p.b } };
    });
    const scored = await scoreRewards(this.rewardFns, samples);
    const rewards = scored.total;
    const t2 = performance.now();
    // 3. score (no gradient)
    const chunk = Math.max(c.miniBatchSize, 64);
    const old = evaluateResponses(this.policyForward, batch, chunk);
    const needRef = c.beta > 0 || c.optimizer === 'ppo';
    const refLogprobs = needRef ? evaluateResponses(this.referenceForward, batch, chunk).logprobs : null;
    const t3 = performance.now();
    // 4–5. advantages and the optimizer's step
    const groups = groupAdvantages(rewards, G, c.scaleRewards);
    let advantages: Float32Array; // [B] one number per completion, for completions.jsonl
    let stats: Record<string, number>;
    if (c.optimizer === 'grpo') {
      advantages = groups.advantages;
      stats = grpoStep({ ...batch, logprobs: old.logprobs, refLogprobs: c.beta > 0 ? refLogprobs : null, advantages }, { config: this.grpo, forward: this.policyForward, optimizer: this.optimizer, variables: this.variables, rng: this.shuffleRng });
    } else if (c.optimizer === 'rloo') {
      const kl = refLogprobs ? sequenceKl(old.logprobs, refLogprobs, batch.responseMask, B, Tr) : null;
      advantages = rlooAdvantages(rewards, kl, this.rloo).advantages;
      stats = rlooStep({ ...batch, logprobs: old.logprobs, advantages }, { config: this.rloo, forward: this.policyForward, optimizer: this.optimizer, variables: this.variables, rng: this.shuffleRng });
    } else {
      const values = old.values ?? new Float32Array(B * Tr);
      // the advantage ppoStep will use, as logged: GAE (whitened) at each completion's first token
      const tr = computeRewards(rewards, old.logprobs, refLogprobs!, batch.responseMask, B, Tr, c.beta, this.ppo.klPenalty);
      const gae = computeAdvantages(tr.rewards, values, batch.responseMask, B, Tr, this.ppo).advantages;
      advantages = Float32Array.from({ length: B }, (_, b) => gae[b * Tr]!);
      stats = ppoStep(
        { ...batch, logprobs: old.logprobs, refLogprobs: refLogprobs!, values, scores: rewards },
        { config: this.ppo, forward: this.policyForward, optimizer: this.optimizer, variables: this.variables, klController: new FixedKLController(c.beta), rng: this.shuffleRng },
      );
    }
    const t4 = performance.now();
    // 6. measure
    const evalNow = iteration % c.evalEvery === 0 || iteration === c.iterations;
    if (evalNow) this.last = this.evaluate(iteration);
    const t5 = performance.now();

    let right = 0;
    texts.forEach((t, i) => {
      if (t === problems[Math.floor(i / G)]!.answer) right++;
    });
    let tokens = 0;
    for (let i = 0; i < B * Tr; i++) tokens += batch.responseMask[i]!;
    let sq = 0;
    const m = mean(rewards);
    for (const r of rewards) sq += (r - m) ** 2;
    const metrics: MetricsRow = {
      iteration,
      'eval/accuracy': evalNow ? this.last.accuracy : null,
      'eval/kl': evalNow ? this.last.kl : null,
      'objective/accuracy': right / B,
      'objective/reward': m,
      'objective/reward_std': B > 1 ? Math.sqrt(sq / (B - 1)) : 0,
      'objective/frac_reward_zero_std': groups.fracZeroStd,
      'objective/completion_length': tokens / B,
      ...rewardFunctionMetrics(scored),
      'feedback/labels': 0,
      ...stats,
    };
    const names = [...scored.byFunction.keys()];
    const completions: JsonObject[] = texts.map((completion, i) => {
      const p = problems[Math.floor(i / G)]!;
      const perFn: JsonObject = {};
      for (const n of names) perFn[n] = scored.byFunction.get(n)![i]!;
      return { step: iteration, prompt: p.prompt, answer: p.answer, completion, reward: rewards[i]!, rewards: perFn, advantage: advantages[i]! };
    });
    const timing = {
      iteration,
      'time/sample': (t1 - t0) / 1000,
      'time/reward': (t2 - t1) / 1000,
      'time/score': (t3 - t2) / 1000,
      'time/optimize': (t4 - t3) / 1000,
      'time/evaluate': (t5 - t4) / 1000,
      'time/iteration': (t5 - t0) / 1000,
    };
    return { metrics, completions, timing };
  }

  /** The checkpoint: RNG states and evaluations (JSON), the trained variables and Adam's state (arrays). */
  snapshot(): { state: ArithmeticState; arrays: Record<string, TensorToWrite> } {
    const arrays: Record<string, TensorToWrite> = { ...this.optimizer.toArrays('adam') };
    this.variables.forEach((v, i) => {
      arrays[`policy.${i}`] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
    });
    return {
      state: { rng: { prompts: this.promptRng.state(), sample: this.sampleRng.state(), shuffle: this.shuffleRng.state() }, before: this.before, last: this.last },
      arrays,
    };
  }

  /** Continues from a checkpoint (the model must be the one the run started from). */
  restore(state: ArithmeticState, arrays: Map<string, NamedTensor>): void {
    this.variables.forEach((v, i) => {
      const a = arrays.get(`policy.${i}`);
      if (!a || a.data.length !== v.size) throw new ShapeError(`arithmetic checkpoint: policy.${i} is missing or has the wrong size (expected ${v.size} values for ${v.name})`);
      const t = tf.tensor(a.data as Float32Array, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    });
    this.optimizer.fromArrays('adam', arrays, 'checkpoint');
    this.promptRng.setState(state.rng.prompts);
    this.sampleRng.setState(state.rng.sample);
    this.shuffleRng.setState(state.rng.shuffle);
    this.before = state.before;
    this.last = state.last;
  }
}
