/**
 * The text RLHF loop (Ziegler et al. 2019, with the seed's before/after table), one iteration of the run driver at a
 * time (src/loop/driver.ts; ./task.ts makes it a Task):
 *
 *   iteration 1       1. before:   the reference policy (adapters off) continues the held-out eval prompts
 *                     2. feedback: rounds of pairs of reference continuations of training prompts; the judge — a
 *                                  Gatherer: the AFINN teacher, people, or people and the teacher — answers each pair
 *                                  with μ = P(left ≻ right) (null: skipped)
 *                     3. reward:   a text reward model is fit to μ (Bradley–Terry), held-out accuracy reported
 *   iteration k ≥ 2   4a. PPO step k − 1: generate with the policy (LoRA on), score with the reward model, per-token
 *                                  KL leash to the reference, ppoStep; the KL coefficient adapts toward its target
 *                     4b. or DPO epoch k − 1 over the preference pairs (chosen = the judge's pick), reference = adapters off
 *   last iteration    5. after:    the policy continues the same eval prompts; AFINN, KL to the reference, win rate
 *                                  against the reference's continuations by the judge
 *
 * The model, tokenizer and prompts come in from outside (./task.ts loads them), so the loop runs on any GPT-2
 * checkpoint, in Node or in a browser.
 */
import { tf } from '../../../core/tensor.js';
import { CheckpointError, ConfigError, FeedbackError } from '../../../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../../../core/safetensors.js';
import { Rng, type RngState } from '../../../core/rng.js';
import { comparisonTarget } from '../../../feedback/types.js';
import type { Gatherer, IterationEvent, Label, Metrics } from '../../../loop/parts.js';
import { evaluateResponses, makeKLController, ppoStep, resolvePPOConfig, type KLController, type PPORollouts } from '../../../policy/ppo.js';
import { dpoStep, resolveDPOConfig, sequenceLogprobs, type DPOBatch } from '../../../policy/dpo.js';
import { TensorAdam } from '../../../optim/tensorAdam.js';
import { maskedMean } from '../../../policy/masked.js';
import { SentimentJudge } from '../../../teachers/sentiment.js';
import { BagOfTokensBackbone, gpt2Backbone, type TextBackbone } from '../../../reward/text/backbone.js';
import { TextRewardModel } from '../../../reward/text/model.js';
import { fitTextRewardModel, type TextComparison, type TextRewardFit } from '../../../reward/text/trainer.js';
import type { Gpt2 } from '../../../models/gpt2/model.js';
import { generate } from '../../../models/generate.js';
import { causalLmLogprobForward, causalLmPolicyForward } from '../../../models/policyForward.js';
import type { Prompt, TextCodec } from './corpus.js';
import type { TextRlhfConfig } from './config.js';
import type { TextPairBatch } from './queries.js';
import type { BeforeAfterRow, TextRlhfSummary } from '../summary.js';

export interface TextRlhfInputs {
  /** the policy's base model; LoRA adapters and a value head are added when missing */
  model: Gpt2;
  /** a second copy of the base model for a gpt2 reward backbone (it gets its own LoRA adapters) */
  rewardBase?: Gpt2;
  codec: TextCodec;
  /** vocabulary size (for a bag-of-tokens reward backbone) */
  vocabSize: number;
  trainPrompts: Prompt[];
  evalPrompts: Prompt[];
}

export interface TextRlhfOptions {
  /**
   * The gatherer that answers the feedback rounds, given the simulated AFINN teacher: the run driver's
   * `ctx.judge(teacher, textQueryMaker)` (people, or people with the teacher filling gaps). Default: the teacher.
   */
  judge?: (teacher: Gatherer<TextPairBatch>) => Gatherer<TextPairBatch>;
}

/** The evaluation of the last iteration (5) and what the report shows beside it. */
export interface TextRlhfResult {
  /** summary.json without `seconds` (the run driver's clock) */
  summary: Omit<TextRlhfSummary, 'seconds'>;
  table: BeforeAfterRow[];
  rewardFit: TextRewardFit;
}

/** Continuations of prompts. */
interface Samples {
  prompts: Prompt[];
  /** generated tokens, with the end token when one was emitted */
  raw: number[][];
  /** response tokens without the end token */
  responses: number[][];
  texts: string[];
}

/** A judged pair of continuations of one prompt (token ids as generated). */
interface JudgedPair {
  prompt: number[];
  left: number[];
  right: number[];
  /** μ = P(left ≻ right) ∈ [0, 1]: 1, 0 or ½ from one judge; the mean over annotators when several judged (⅔ for 2:1) */
  mu: number;
}

/** What a checkpoint stores as JSON (arrays: policy adapters + value head, reward model, Adam moments). */
export interface TextRlhfState {
  /** the reference's continuations of the eval prompts (step 1) */
  beforeRaw: number[][];
  pairs: JudgedPair[];
  rewardFit: TextRewardFit;
  scoreNorm: { mu: number; sigma: number };
  klCoef: number;
  rngs: Record<'judge' | 'optimize' | 'minibatches', RngState>;
  /** the evaluation, once the last iteration made it (so a run resumed after its last checkpoint can summarize) */
  result: TextRlhfResult | null;
}

/** What iterate() returns: the driver's event, with timings always present. */
type TextIterationEvent = IterationEvent & { timing: Metrics };

export class TextRlhf {
  readonly config: TextRlhfConfig;
  private readonly inputs: TextRlhfInputs;
  private readonly rng: Rng;
  private readonly judgeRng: Rng;
  private readonly optimizeRng: Rng;
  private readonly minibatchRng: Rng;
  /** the simulated judge: AFINN-165 through a B-Pref teacher */
  readonly judge: SentimentJudge;
  /** the judge as a loop part: μ per pair of a round (null for a skip) */
  readonly teacher: Gatherer<TextPairBatch>;
  /** who answers the feedback rounds: the teacher, or people (TextRlhfOptions.judge) */
  readonly gatherer: Gatherer<TextPairBatch>;
  readonly rewardModel: TextRewardModel;
  private readonly backbone: TextBackbone;
  /** Adam on the policy's adapters and value head (its state is in the checkpoint's `optimizer.*` arrays) */
  private readonly optimizer: TensorAdam;
  private readonly klController: KLController;
  // results of iteration 1 (restored from a checkpoint on resume)
  private before: Samples | null = null;
  private pairs: JudgedPair[] = [];
  private rewardFit: TextRewardFit | null = null;
  private scoreNorm = { mu: 0, sigma: 1 };
  /** the DPO pairs and their reference log-probs, computed once per session */
  private dpo: DpoData | null = null;
  private final: TextRlhfResult | null = null;

  constructor(config: TextRlhfConfig, inputs: TextRlhfInputs, opts: TextRlhfOptions = {}) {
    this.config = config;
    this.inputs = inputs;
    this.rng = new Rng(config.seed);
    this.judgeRng = this.rng.fork('judge');
    this.optimizeRng = this.rng.fork(config.optimizer);
    this.minibatchRng = this.rng.fork('minibatches');
    this.judge = new SentimentJudge(this.judgeRng, { teacher: config.teacher, overrides: config.teacherConfig, mode: config.sentimentMode });
    this.teacher = { name: 'sentiment', gather: (b) => this.judge.compare(b.pairs).map((p): Label => comparisonTarget(p) ?? null) };
    this.gatherer = opts.judge ? opts.judge(this.teacher) : this.teacher;
    const m = inputs.model;
    const lora = { r: config.loraR, alpha: config.loraAlpha, dropout: 0, targetModules: ['c_attn', 'c_proj', 'c_fc'] };
    if (!m.lora) m.addLora(lora, this.rng.fork('policy-lora'));
    if (!m.valueHead) m.addValueHead(this.rng.fork('value-head'));
    if (config.rewardBackbone === 'gpt2') {
      const base = inputs.rewardBase;
      if (!base) throw new ConfigError('reward-backbone', '--reward-backbone gpt2 needs a second copy of the model (inputs.rewardBase)');
      if (!base.lora) base.addLora(lora, this.rng.fork('reward-lora'));
      this.backbone = gpt2Backbone(base, { adapters: true });
    } else if (config.rewardBackbone === 'linear') {
      this.backbone = new BagOfTokensBackbone(inputs.vocabSize, 0, this.rng.fork('reward-bag'), { pooling: 'sum' });
    } else {
      this.backbone = new BagOfTokensBackbone(inputs.vocabSize, 32, this.rng.fork('reward-bag'));
    }
    this.rewardModel = new TextRewardModel(this.backbone, this.rng.fork('reward-head'), inputs.codec.eosId);
    // ε 1e-7: tf.train.adam's (the float32 backend's ε), which the text runs were tuned with
    this.optimizer = new TensorAdam(m.trainableVariables('lora'), { lr: config.learningRate, eps: 1e-7 });
    this.klController = makeKLController({ adaptiveKl: !config.fixedKl, initKlCoef: config.klCoef, klTarget: config.klTarget, klHorizon: config.klHorizon });
  }

  /** Optimization steps of the run: PPO iterations or DPO epochs. */
  get steps(): number {
    return this.config.optimizer === 'ppo' ? this.config.iterations : this.config.dpoEpochs;
  }

  /** Iterations of the run: 1 (feedback and reward model) + the optimization steps. */
  get iterations(): number {
    return 1 + this.steps;
  }

  /** The last iteration's evaluation (null before it ran). */
  get result(): TextRlhfResult | null {
    return this.final;
  }

  /**
   * Iteration `it` (1-based): 1 = before, feedback and reward model; k ≥ 2 = PPO step / DPO epoch k − 1; the last
   * one also evaluates the tuned policy (result). Metrics keys: docs/algorithms.md ("The text RLHF run").
   */
  async iterate(it: number): Promise<IterationEvent> {
    if (!Number.isInteger(it) || it < 1 || it > this.iterations) throw new CheckpointError(`text: iteration ${it} is outside 1..${this.iterations}`);
    if (it > 1 && !this.rewardFit) throw new CheckpointError(`text: iteration ${it} needs iteration 1 (feedback and reward model) first; restore a checkpoint or start at 1`);
    const t0 = performance.now();
    const event = it === 1 ? await this.feedbackIteration() : this.config.optimizer === 'ppo' ? this.ppoIteration(it) : this.dpoIteration(it);
    if (it === this.iterations) {
      const t = performance.now();
      this.final = this.evaluate(); // 5. after
      event.timing['time/evaluate'] = (performance.now() - t) / 1000;
    }
    event.timing['time/iteration'] = (performance.now() - t0) / 1000;
    return event;
  }

  /**
   * Samples continuations of `prompts`, adapters on (policy) or off (reference), in generation batches of at least
   * 128 (one decoding step costs about the same for 32 or 128 rows on a small model).
   */
  sample(prompts: Prompt[], adapters: boolean, rng: Rng): Samples {
    const raw: number[][] = [];
    const size = Math.max(this.config.batchSize, 128);
    for (let s = 0; s < prompts.length; s += size) {
      const chunk = prompts.slice(s, s + size);
      const gen = generate(this.inputs.model, chunk.map((p) => p.ids), { maxNewTokens: this.config.responseLength, temperature: this.config.temperature, adapters }, rng);
      raw.push(...gen.responses);
    }
    return this.samplesFrom(prompts, raw);
  }

  private samplesFrom(prompts: Prompt[], raw: number[][]): Samples {
    const eos = this.inputs.codec.eosId;
    const responses = raw.map((r) => r.filter((t) => t !== eos));
    return { prompts, raw, responses, texts: responses.map((r) => this.inputs.codec.decode(r)) };
  }

  /** Σ_t (log π − log π_ref) per continuation, averaged: the KL of the policy to the reference on its own samples. */
  private klOf(samples: Samples): number {
    let total = 0;
    for (let s = 0; s < samples.prompts.length; s += this.config.batchSize) {
      const r = packRollout(samples.prompts.slice(s, s + this.config.batchSize), samples.raw.slice(s, s + this.config.batchSize), this.inputs.codec.eosId);
      const pol = evaluateResponses(causalLmLogprobForward(this.inputs.model, { adapters: true, temperature: this.config.temperature }), r, this.config.batchSize);
      const ref = evaluateResponses(causalLmLogprobForward(this.inputs.model, { adapters: false, temperature: this.config.temperature }), r, this.config.batchSize);
      for (let i = 0; i < r.batchSize * r.responseLength; i++) total += r.responseMask[i]! * (pol.logprobs[i]! - ref.logprobs[i]!);
    }
    return total / samples.prompts.length;
  }

  /** What PPO maximizes: the reward model's scores, or (rewardSource 'judge') the judge's own scores. */
  private rewardOf(samples: Samples): Float32Array {
    return this.config.rewardSource === 'judge' ? Float32Array.from(samples.texts, (t) => this.judge.score(t)) : this.scores(samples);
  }

  /** Reward-model scores of prompt + continuation. */
  private scores(samples: Samples): Float32Array {
    return this.rewardModel.scoreSequences(samples.prompts.map((p, i) => [...p.ids, ...samples.responses[i]!]));
  }

  /** Iteration 1: before (1), feedback (2) and the reward model (3). */
  private async feedbackIteration(): Promise<TextIterationEvent> {
    const c = this.config;
    const { trainPrompts, evalPrompts } = this.inputs;
    const t0 = performance.now();
    // 1. before: the reference on the eval prompts
    this.before = this.sample(evalPrompts, false, this.rng.fork('eval-before'));
    const tBefore = performance.now();
    // 2. feedback on pairs of reference continuations
    const fb = await this.collectPairs(trainPrompts, this.rng.fork('feedback'));
    this.pairs = fb.pairs;
    const tFeedback = performance.now();
    // 3. reward model: Bradley–Terry on μ, −[μ log σ(r_l − r_r) + (1 − μ) log σ(r_r − r_l)]
    if (this.pairs.length === 0) throw new FeedbackError(`text: none of the ${c.labels} pairs got a label (all skipped or unanswered): the reward model has nothing to learn from`);
    const fit = fitTextRewardModel(
      this.rewardModel,
      { comparisons: this.pairs.map((p) => this.toComparison(p)) },
      { epochs: c.rewardEpochs, learningRate: c.rewardLr, batchSize: c.rewardBatchSize, validationFraction: c.rewardValidation, l2: c.rewardL2, seed: c.seed },
    );
    this.rewardFit = fit;
    // scores are standardized by their mean and std on the reference's continuations of the eval prompts
    if (c.normalizeScores) {
      const r = this.rewardOf(this.before);
      const mu = r.reduce((a, b) => a + b, 0) / r.length;
      const sigma = Math.sqrt(r.reduce((a, b) => a + (b - mu) ** 2, 0) / Math.max(1, r.length - 1)) || 1;
      this.scoreNorm = { mu, sigma };
    }
    const tReward = performance.now();
    const last = fit.history[fit.history.length - 1];
    return {
      iteration: 1,
      metrics: {
        iteration: 1,
        'feedback/asked': c.labels,
        'feedback/labels': this.pairs.length,
        'feedback/ties': this.pairs.filter((p) => p.mu === 0.5).length,
        'feedback/skips': c.labels - this.pairs.length,
        'reward/loss': last?.trainLoss ?? Number.NaN,
        'reward/train_accuracy': last?.trainAccuracy ?? Number.NaN,
        'reward/accuracy': fit.heldOutAccuracy,
        'reward/score_mean': this.scoreNorm.mu,
        'reward/score_std': this.scoreNorm.sigma,
      },
      timing: {
        iteration: 1,
        'time/sample': (tBefore - t0) / 1000 + fb.sampleSeconds,
        'time/judge': fb.judgeSeconds,
        'time/reward': (tReward - tFeedback) / 1000,
      },
    };
  }

  /**
   * 2. Rounds of `feedbackBatch` pairs of reference continuations of training prompts, each round answered by the
   * gatherer (round r = its "iteration": query ids and waits for people); unlabelled pairs (null) are dropped.
   */
  private async collectPairs(prompts: Prompt[], rng: Rng): Promise<{ pairs: JudgedPair[]; sampleSeconds: number; judgeSeconds: number }> {
    const c = this.config;
    const pairs: JudgedPair[] = [];
    let sampleSeconds = 0;
    let judgeSeconds = 0;
    for (let asked = 0, round = 1; asked < c.labels; round++) {
      const n = Math.min(c.feedbackBatch, c.labels - asked);
      const t0 = performance.now();
      const chosen = Array.from({ length: n }, () => prompts[rng.int(prompts.length)]!);
      const s = this.sample(chosen.flatMap((p) => [p, p]), false, rng);
      const batch: TextPairBatch = { pairs: chosen.map((p, i) => ({ prompt: p.text, left: s.texts[2 * i]!, right: s.texts[2 * i + 1]! })) };
      const t1 = performance.now();
      const labels = await this.gatherer.gather(batch, round);
      judgeSeconds += (performance.now() - t1) / 1000;
      sampleSeconds += (t1 - t0) / 1000;
      if (labels.length !== n) throw new FeedbackError(`text: the judge "${this.gatherer.name}" returned ${labels.length} labels for ${n} pairs`);
      labels.forEach((mu, i) => {
        if (mu !== null) pairs.push({ prompt: chosen[i]!.ids, left: s.raw[2 * i]!, right: s.raw[2 * i + 1]!, mu });
      });
      asked += n;
    }
    return { pairs, sampleSeconds, judgeSeconds };
  }

  /** The reward model's view of a pair: prompt + continuation (without the end token). */
  private toComparison(p: JudgedPair): TextComparison {
    const eos = this.inputs.codec.eosId;
    return { left: [...p.prompt, ...p.left.filter((t) => t !== eos)], right: [...p.prompt, ...p.right.filter((t) => t !== eos)], mu: p.mu };
  }

  /** 4a. One PPO step: generate, score, ppoStep. */
  private ppoIteration(it: number): TextIterationEvent {
    const c = this.config;
    const model = this.inputs.model;
    const prompts = this.inputs.trainPrompts;
    const ppoConfig = resolvePPOConfig({
      learningRate: c.learningRate,
      adaptiveKl: !c.fixedKl,
      initKlCoef: c.klCoef,
      klTarget: c.klTarget,
      klHorizon: c.klHorizon,
      ppoEpochs: c.ppoEpochs,
      batchSize: c.batchSize,
      miniBatchSize: c.miniBatchSize,
      maxGradNorm: 1,
    });
    const rng = this.optimizeRng;
    const t0 = performance.now();
    const batch = Array.from({ length: c.batchSize }, () => prompts[rng.int(prompts.length)]!);
    const s = this.sample(batch, true, rng); // 1) generate with the policy
    const r = packRollout(s.prompts, s.raw, this.inputs.codec.eosId);
    const tGen = performance.now();
    const old = evaluateResponses(causalLmPolicyForward(model, { adapters: true, temperature: c.temperature }), r, c.batchSize); // 2) old log-probs and values
    const refLp = evaluateResponses(causalLmLogprobForward(model, { adapters: false, temperature: c.temperature }), r, c.batchSize); //    reference log-probs
    const raw = this.rewardOf(s); //    reward-model scores (or the judge's, as an ablation), standardized
    const scores = Float32Array.from(raw, (x) => (x - this.scoreNorm.mu) / this.scoreNorm.sigma);
    const tokenRewards = c.tokenRewards ? this.tokenRewards(r, scores) : undefined; // moves each token's share out of `scores`
    if (c.scoreClip > 0) clipReturns(scores, tokenRewards, r.responseLength, c.scoreClip);
    const tScore = performance.now();
    const stats = ppoStep(
      { ...r, logprobs: old.logprobs, refLogprobs: refLp.logprobs, values: old.values!, scores, ...(tokenRewards ? { tokenRewards } : {}) },
      {
        config: ppoConfig,
        forward: causalLmPolicyForward(model, { adapters: true, entropy: true, temperature: c.temperature }),
        optimizer: this.optimizer,
        variables: model.trainableVariables('lora'),
        klController: this.klController,
        rng: this.minibatchRng,
      },
    ); // 3) optimize
    const tOpt = performance.now();
    const trueScores = s.texts.map((t) => this.judge.score(t));
    return {
      iteration: it,
      metrics: {
        iteration: it,
        ...stats,
        'objective/true_reward': trueScores.reduce((a, b) => a + b, 0) / trueScores.length,
        'objective/raw_scores': raw.reduce((a, b) => a + b, 0) / raw.length,
        'objective/response_length': maskedMean(s.raw.map((x) => x.length)),
      },
      timing: { iteration: it, 'time/generation': (tGen - t0) / 1000, 'time/scoring': (tScore - tGen) / 1000, 'time/optimization': (tOpt - tScore) / 1000 },
    };
  }

  /**
   * Per-token rewards of the linear reward model r = b + Σ_t w[x_t]: response token t gets w[x_t] / σ (the end
   * token, which the reward model never sees, gets 0), and each row's `scores` entry keeps the rest (bias, prompt,
   * normalization), so every row's total return is unchanged.
   */
  private tokenRewards(r: Pick<PPORollouts, 'batchSize' | 'responseLength' | 'responses' | 'responseMask'>, scores: Float32Array): Float32Array {
    const w = this.rewardModel.headArrays().w; // [V]
    const eos = this.inputs.codec.eosId;
    const N = r.responseLength;
    const out = new Float32Array(r.batchSize * N);
    for (let b = 0; b < r.batchSize; b++) {
      for (let t = 0; t < N; t++) {
        const i = b * N + t;
        const tok = r.responses[i]!;
        if (r.responseMask[i] === 0 || tok === eos) continue;
        out[i] = w[tok]! / this.scoreNorm.sigma;
        scores[b] = scores[b]! - out[i]!;
      }
    }
    return out;
  }

  /** The DPO pairs (chosen = the judge's pick: μ > ½; ties dropped) and their reference log-probs. */
  private dpoData(): DpoData {
    const c = this.config;
    const pairs = this.pairs
      .filter((x) => x.mu !== 0.5 && x.left.length > 0 && x.right.length > 0)
      .map((x) => (x.mu > 0.5 ? { prompt: x.prompt, chosen: x.left, rejected: x.right } : { prompt: x.prompt, chosen: x.right, rejected: x.left }));
    const ref = causalLmLogprobForward(this.inputs.model, { adapters: false, temperature: this.config.temperature });
    const refChosen = new Float32Array(pairs.length);
    const refRejected = new Float32Array(pairs.length);
    for (let s = 0; s < pairs.length; s += c.batchSize) {
      const b = packDpo(pairs.slice(s, s + c.batchSize), this.inputs.codec.eosId); // padding does not change a sequence's log-prob
      refChosen.set(sequenceLogprobs(ref, b.chosenIds, b.chosenMask, b.chosenLossMask, b.n, b.length, c.batchSize, b.responseLength), s);
      refRejected.set(sequenceLogprobs(ref, b.rejectedIds, b.rejectedMask, b.rejectedLossMask, b.n, b.length, c.batchSize, b.responseLength), s);
    }
    return { pairs, refChosen, refRejected };
  }

  /** 4b. One DPO epoch over the pairs (iteration it = epoch it − 1); the row holds the epoch's mean dpoStep stats. */
  private dpoIteration(it: number): TextIterationEvent {
    const c = this.config;
    const t0 = performance.now();
    const d = (this.dpo ??= this.dpoData());
    const dpoConfig = resolveDPOConfig({ beta: c.dpoBeta, lossType: c.dpoLoss, learningRate: c.learningRate, batchSize: c.dpoBatchSize, epochs: c.dpoEpochs, maxGradNorm: 1 });
    const policy = causalLmLogprobForward(this.inputs.model, { adapters: true, temperature: this.config.temperature });
    const variables = this.inputs.model.trainableVariables('lora');
    const steps = Math.ceil(d.pairs.length / c.dpoBatchSize);
    const order = this.optimizeRng.shuffle(d.pairs.map((_, i) => i));
    const sums: Record<string, number> = {};
    for (let s = 0; s < steps; s++) {
      const idx = order.slice(s * c.dpoBatchSize, (s + 1) * c.dpoBatchSize);
      const b = packDpo(idx.map((i) => d.pairs[i]!), this.inputs.codec.eosId);
      b.refChosenLogps = Float32Array.from(idx, (i) => d.refChosen[i]!);
      b.refRejectedLogps = Float32Array.from(idx, (i) => d.refRejected[i]!);
      const st = dpoStep(b, { config: dpoConfig, policy, optimizer: this.optimizer, variables });
      for (const [k, v] of Object.entries(st)) sums[k] = (sums[k] ?? 0) + v;
    }
    const metrics: Metrics = { iteration: it };
    for (const [k, v] of Object.entries(sums)) metrics[`dpo/${k}`] = v / Math.max(1, steps);
    return { iteration: it, metrics, timing: { iteration: it, 'time/optimization': (performance.now() - t0) / 1000 } };
  }

  /**
   * 5. after: the policy continues the eval prompts; AFINN before and after, KL to the reference, the judge's win
   * rate. A pure function of the policy: the judge's random state is put back afterwards.
   */
  evaluate(): TextRlhfResult {
    const c = this.config;
    const before = this.before;
    const rewardFit = this.rewardFit;
    if (!before || !rewardFit) throw new CheckpointError('text: evaluate() needs iteration 1 (feedback and reward model) first');
    const evalPrompts = this.inputs.evalPrompts;
    const judgeState = this.judgeRng.state();
    const after = this.sample(evalPrompts, true, this.rng.fork('eval-after'));
    const scoreBefore = before.texts.map((t) => this.judge.score(t));
    const scoreAfter = after.texts.map((t) => this.judge.score(t));
    const kl = this.klOf(after);
    // the policy's continuation goes left or right at random: a judge's tie-breaking (B-Pref's rational teacher
    // gives exact ties to the left) must not favour either side
    const sideRng = this.rng.fork('win-rate-sides');
    const policyLeft = evalPrompts.map(() => sideRng.uniform() < 0.5);
    const verdicts = this.judge.compare(after.texts.map((t, i) => (policyLeft[i] ? { left: t, right: before.texts[i]! } : { left: before.texts[i]!, right: t })));
    this.judgeRng.setState(judgeState);
    let wins = 0;
    let judged = 0;
    verdicts.forEach((v, i) => {
      if (v === 'skip') return;
      judged++;
      const policyWon = policyLeft[i] ? v === 'left' : v === 'right';
      wins += v === 'tie' ? 0.5 : policyWon ? 1 : 0;
    });
    let ties = 0;
    for (let i = 0; i < scoreAfter.length; i++) if (scoreAfter[i] === scoreBefore[i]) ties++;
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
    const summary: TextRlhfResult['summary'] = {
      optimizer: c.optimizer,
      sentiment_before: mean(scoreBefore),
      sentiment_after: mean(scoreAfter),
      sentiment_gain: mean(scoreAfter) - mean(scoreBefore),
      kl,
      win_rate: judged > 0 ? wins / judged : null,
      equal_scores: ties / Math.max(1, scoreAfter.length),
      reward_model_accuracy: Number.isFinite(rewardFit.heldOutAccuracy) ? rewardFit.heldOutAccuracy : null,
      labels: this.pairs.length,
      seed: c.seed,
      eval_prompts: evalPrompts.length,
    };
    const table: BeforeAfterRow[] = evalPrompts.map((p, i) => ({
      query: p.text,
      responseBefore: before.texts[i]!,
      responseAfter: after.texts[i]!,
      rewardBefore: scoreBefore[i]!,
      rewardAfter: scoreAfter[i]!,
    }));
    return { summary, table, rewardFit };
  }

  /** summary.json: the last iteration's evaluation and the run's wall-clock seconds. */
  summarize(seconds: number): TextRlhfSummary {
    const r = this.final;
    if (!r) throw new CheckpointError(`text: no evaluation yet; summarize after the last iteration (${this.iterations})`);
    const { seed, eval_prompts, ...rest } = r.summary;
    return { ...rest, seconds, seed, eval_prompts };
  }

  /** Variables a checkpoint saves, by role: the policy's adapters + value head, and the reward model. */
  private checkpointVariables(): Array<[string, tf.Variable]> {
    return [
      ...this.inputs.model.trainableVariables('lora').map((v, i): [string, tf.Variable] => [`policy.${i}`, v]),
      ...this.rewardModel.trainableVariables().map((v, i): [string, tf.Variable] => [`reward.${i}`, v]),
    ];
  }

  /** The loop's state after an iteration: JSON + named arrays (the driver's checkpoint). */
  snapshot(): { state: TextRlhfState; arrays: Record<string, TensorToWrite> } {
    if (!this.before || !this.rewardFit) throw new CheckpointError('text: nothing to checkpoint before iteration 1 (feedback and reward model) ran');
    const arrays: Record<string, TensorToWrite> = {};
    for (const [name, v] of this.checkpointVariables()) arrays[name] = { shape: v.shape, data: Float32Array.from(v.dataSync()) };
    Object.assign(arrays, this.optimizer.toArrays('optimizer')); // t, m, v: an exact resume
    const state: TextRlhfState = {
      beforeRaw: this.before.raw,
      pairs: this.pairs,
      rewardFit: this.rewardFit,
      scoreNorm: this.scoreNorm,
      klCoef: this.klController.value,
      rngs: { judge: this.judgeRng.state(), optimize: this.optimizeRng.state(), minibatches: this.minibatchRng.state() },
      result: this.final,
    };
    return { state, arrays };
  }

  /** Restores a snapshot (same config): the run continues after the checkpoint's iteration. */
  restore(state: TextRlhfState, arrays: ReadonlyMap<string, Pick<NamedTensor, 'data'>>): void {
    for (const [name, v] of this.checkpointVariables()) {
      const a = arrays.get(name);
      if (!a || a.data.length !== v.size) throw new CheckpointError(`checkpoint: ${name} is missing or has the wrong size; was the run made with other options?`);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(a.data), v.shape)));
    }
    this.optimizer.fromArrays('optimizer', arrays);
    this.before = this.samplesFrom(this.inputs.evalPrompts, state.beforeRaw);
    this.pairs = state.pairs;
    this.rewardFit = state.rewardFit;
    this.scoreNorm = state.scoreNorm;
    this.klController.value = state.klCoef;
    this.judgeRng.setState(state.rngs.judge);
    this.optimizeRng.setState(state.rngs.optimize);
    this.minibatchRng.setState(state.rngs.minibatches);
    this.final = state.result;
    this.dpo = null;
  }

  dispose(): void {
    this.rewardModel.dispose();
    if (this.backbone instanceof BagOfTokensBackbone) this.backbone.dispose();
  }
}

/**
 * Clips each row's total reward (final score + its token rewards) to [−c, c] by scaling the row's rewards, so the
 * token rewards keep their proportions (TRL's score_clip, extended to per-token rewards).
 */
export function clipReturns(scores: Float32Array, tokenRewards: Float32Array | undefined, N: number, c: number): void {
  for (let b = 0; b < scores.length; b++) {
    let total = scores[b]!;
    if (tokenRewards) for (let t = 0; t < N; t++) total += tokenRewards[b * N + t]!;
    if (Math.abs(total) <= c) continue;
    const k = c / Math.abs(total); // scale the row's rewards so that they sum to ±c
    scores[b] = scores[b]! * k;
    if (tokenRewards) for (let t = 0; t < N; t++) tokenRewards[b * N + t] = tokenRewards[b * N + t]! * k;
  }
}

interface DpoPair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

interface DpoData {
  pairs: DpoPair[];
  /** log π_ref(chosen | prompt), log π_ref(rejected | prompt) per pair */
  refChosen: Float32Array;
  refRejected: Float32Array;
}

/** PPO arrays from prompts and generated tokens: left-padded queries [B, P], right-padded responses [B, N]. */
export function packRollout(prompts: Prompt[], raw: number[][], padId: number): Pick<PPORollouts, 'batchSize' | 'queryLength' | 'responseLength' | 'queries' | 'queryMask' | 'responses' | 'responseMask'> {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.ids.length));
  const N = Math.max(1, ...raw.map((r) => r.length));
  const queries = new Int32Array(B * P).fill(padId);
  const queryMask = new Float32Array(B * P);
  const responses = new Int32Array(B * N).fill(padId);
  const responseMask = new Float32Array(B * N);
  prompts.forEach((p, b) => {
    const off = b * P + (P - p.ids.length);
    p.ids.forEach((t, i) => {
      queries[off + i] = t;
      queryMask[off + i] = 1;
    });
    raw[b]!.forEach((t, i) => {
      responses[b * N + i] = t;
      responseMask[b * N + i] = 1;
    });
  });
  return { batchSize: B, queryLength: P, responseLength: N, queries, queryMask, responses, responseMask };
}

/** DPO rows [left-padded prompt | right-padded response]; the loss mask covers the response. */
function packDpo(pairs: DpoPair[], padId: number): DPOBatch {
  const n = pairs.length;
  const P = Math.max(1, ...pairs.map((p) => p.prompt.length));
  const N = Math.max(...pairs.map((p) => Math.max(p.chosen.length, p.rejected.length)));
  const T = P + N;
  const rows = (key: 'chosen' | 'rejected'): { ids: Int32Array; mask: Float32Array; loss: Float32Array } => {
    const ids = new Int32Array(n * T).fill(padId);
    const mask = new Float32Array(n * T);
    const loss = new Float32Array(n * T);
    pairs.forEach((p, b) => {
      const off = b * T + (P - p.prompt.length);
      p.prompt.forEach((t, i) => {
        ids[off + i] = t;
        mask[off + i] = 1;
      });
      p[key].forEach((t, i) => {
        ids[b * T + P + i] = t;
        mask[b * T + P + i] = 1;
        loss[b * T + P + i] = 1;
      });
    });
    return { ids, mask, loss };
  };
  const ch = rows('chosen');
  const rj = rows('rejected');
  return { n, length: T, responseLength: N, chosenIds: ch.ids, chosenMask: ch.mask, chosenLossMask: ch.loss, rejectedIds: rj.ids, rejectedMask: rj.mask, rejectedLossMask: rj.loss };
}
