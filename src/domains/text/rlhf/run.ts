/**
 * The text RLHF loop (Ziegler et al. 2019, with the seed's before/after table):
 *
 *   1. before:   the reference policy (adapters off) continues the held-out eval prompts; the judge's AFINN scores
 *   2. feedback: the reference continues training prompts twice; the simulated judge compares each pair
 *   3. reward:   a text reward model is fit to the comparisons (Bradley–Terry), held-out accuracy reported
 *   4a. PPO:     generate with the policy (LoRA on), score with the reward model, per-token KL leash to the reference,
 *                ppoStep; the KL coefficient adapts toward its target
 *   4b. DPO:     or: DPO on the preference pairs (chosen = the judge's pick), reference = adapters off
 *   5. after:    the policy continues the same eval prompts; AFINN, KL to the reference, win rate against the
 *                reference's continuations by the judge
 *
 * The model and tokenizer come in from outside (cli.ts loads them), so the loop runs on any GPT-2 checkpoint.
 */
import { tf } from '../../../core/tensor.js';
import { CheckpointError, ConfigError } from '../../../core/errors.js';
import type { TensorToWrite } from '../../../core/safetensors.js';
import { Rng, type RngState } from '../../../core/rng.js';
import { comparisonTarget, type Preference } from '../../../feedback/types.js';
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
import { gpt2LogprobForward, gpt2PolicyForward } from './forward.js';
import type { Prompt, TextCodec } from './corpus.js';
import type { TextRlhfConfig } from './config.js';
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

export interface TextRlhfHooks {
  /** one row per PPO iteration / DPO epoch (namespaced keys) */
  onMetrics?: (row: Record<string, number>) => void;
  /** progress of the current phase */
  onProgress?: (phase: string, done: number, total: number, fields?: Record<string, number>) => void;
  /**
   * Who compares the feedback pairs of batch `batch` (default: the simulated judge). People answer through the
   * labeling server (./people.ts); `simulated` is the judge, for answering what people leave open (--judge mixed).
   */
  compare?: (pairs: TextPairToJudge[], batch: number, simulated: (pairs: TextPairToJudge[]) => Preference[]) => Promise<Preference[]>;
}

/** Two continuations of one prompt, as a judge reads them. */
export interface TextPairToJudge {
  prompt: string;
  left: string;
  right: string;
}

export interface TextRlhfResult {
  summary: TextRlhfSummary;
  table: BeforeAfterRow[];
  metrics: Array<Record<string, number>>;
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
  /** P(left ≻ right): 1, 0 or ½ */
  mu: number;
}

/** What a checkpoint stores as JSON (arrays: policy adapters + value head, reward model, Adam moments). */
export interface TextRlhfCheckpointState {
  /** last finished optimization step (0 = feedback and reward model done) */
  iteration: number;
  beforeRaw: number[][];
  pairs: JudgedPair[];
  rewardFit: TextRewardFit;
  scoreNorm: { mu: number; sigma: number };
  klCoef: number;
  rngs: Record<'judge' | 'optimize' | 'minibatches', RngState>;
  /** seconds spent in earlier sessions */
  elapsed: number;
}

export class TextRlhf {
  readonly config: TextRlhfConfig;
  private readonly inputs: TextRlhfInputs;
  private readonly hooks: TextRlhfHooks;
  private readonly rng: Rng;
  private readonly judgeRng: Rng;
  private readonly optimizeRng: Rng;
  private readonly minibatchRng: Rng;
  readonly judge: SentimentJudge;
  readonly rewardModel: TextRewardModel;
  private readonly backbone: TextBackbone;
  /** Adam on the policy's adapters and value head (its state is in the checkpoint's `optimizer.*` arrays) */
  private readonly optimizer: TensorAdam;
  private readonly klController: KLController;
  readonly metrics: Array<Record<string, number>> = [];
  // phase results (restored from a checkpoint on resume)
  private iteration = -1;
  private before: Samples | null = null;
  private pairs: JudgedPair[] = [];
  private rewardFit: TextRewardFit | null = null;
  private scoreNorm = { mu: 0, sigma: 1 };
  private elapsed = 0;
  private readonly sessionStart = Date.now();

  constructor(config: TextRlhfConfig, inputs: TextRlhfInputs, hooks: TextRlhfHooks = {}) {
    this.config = config;
    this.inputs = inputs;
    this.hooks = hooks;
    this.rng = new Rng(config.seed);
    this.judgeRng = this.rng.fork('judge');
    this.optimizeRng = this.rng.fork(config.optimizer);
    this.minibatchRng = this.rng.fork('minibatches');
    this.judge = new SentimentJudge(this.judgeRng, { teacher: config.teacher, overrides: config.teacherConfig, mode: config.sentimentMode });
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
  get totalIterations(): number {
    return this.config.optimizer === 'ppo' ? this.config.iterations : this.config.dpoEpochs;
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
      const pol = evaluateResponses(gpt2LogprobForward(this.inputs.model, { adapters: true, temperature: this.config.temperature }), r, this.config.batchSize);
      const ref = evaluateResponses(gpt2LogprobForward(this.inputs.model, { adapters: false, temperature: this.config.temperature }), r, this.config.batchSize);
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

  /**
   * Runs the loop (from the restored checkpoint, if any) and returns the summary, the before/after table and the
   * metrics. `onCheckpoint(iteration)` is awaited after the reward model (iteration 0) and after every optimization
   * step; returning 'stop' ends the run there (no evaluation).
   */
  async run(opts: { onCheckpoint?: (iteration: number) => Promise<'stop' | void> | 'stop' | void } = {}): Promise<TextRlhfResult | null> {
    const c = this.config;
    const { trainPrompts, evalPrompts } = this.inputs;
    if (this.iteration < 0) {
      // 1. before: the reference on the eval prompts
      this.before = this.sample(evalPrompts, false, this.rng.fork('eval-before'));
      // 2. feedback on pairs of reference continuations
      this.pairs = await this.collectPairs(trainPrompts, this.rng.fork('feedback'));
      // 3. reward model
      this.hooks.onProgress?.('reward model', 0, c.rewardEpochs);
      this.rewardFit = fitTextRewardModel(
        this.rewardModel,
        { comparisons: this.pairs.map((p) => this.toComparison(p)) },
        { epochs: c.rewardEpochs, learningRate: c.rewardLr, batchSize: c.rewardBatchSize, validationFraction: c.rewardValidation, l2: c.rewardL2, seed: c.seed },
        { onEpoch: (e) => this.hooks.onProgress?.('reward model', e.epoch, c.rewardEpochs, { loss: e.trainLoss, accuracy: e.heldOutAccuracy }) },
      );
      // scores are standardized by their mean and std on the reference's continuations of the eval prompts
      if (c.normalizeScores) {
        const r = this.rewardOf(this.before);
        const mu = r.reduce((a, b) => a + b, 0) / r.length;
        const sigma = Math.sqrt(r.reduce((a, b) => a + (b - mu) ** 2, 0) / Math.max(1, r.length - 1)) || 1;
        this.scoreNorm = { mu, sigma };
      }
      this.iteration = 0;
      if ((await opts.onCheckpoint?.(0)) === 'stop') return null;
    }
    const before = this.before!;
    // 4. optimize: PPO iterations or DPO epochs
    const dpoData = c.optimizer === 'dpo' ? this.dpoData() : null;
    while (this.iteration < this.totalIterations) {
      const it = this.iteration + 1;
      const row = c.optimizer === 'ppo' ? this.ppoIteration(it, trainPrompts) : this.dpoEpoch(it, dpoData!);
      this.metrics.push(row);
      this.hooks.onMetrics?.(row);
      this.iteration = it;
      if ((await opts.onCheckpoint?.(it)) === 'stop') return null;
    }
    // 5. after: the policy on the same eval prompts
    const after = this.sample(evalPrompts, true, this.rng.fork('eval-after'));
    const scoreBefore = before.texts.map((t) => this.judge.score(t));
    const scoreAfter = after.texts.map((t) => this.judge.score(t));
    const kl = this.klOf(after);
    // the policy's continuation goes left or right at random: a judge's tie-breaking (B-Pref's rational teacher
    // gives exact ties to the left) must not favour either side
    const sideRng = this.rng.fork('win-rate-sides');
    const policyLeft = evalPrompts.map(() => sideRng.uniform() < 0.5);
    const verdicts = this.judge.compare(after.texts.map((t, i) => (policyLeft[i] ? { left: t, right: before.texts[i]! } : { left: before.texts[i]!, right: t })));
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
    const summary: TextRlhfSummary = {
      optimizer: c.optimizer,
      sentiment_before: mean(scoreBefore),
      sentiment_after: mean(scoreAfter),
      sentiment_gain: mean(scoreAfter) - mean(scoreBefore),
      kl,
      win_rate: judged > 0 ? wins / judged : null,
      equal_scores: ties / Math.max(1, scoreAfter.length),
      reward_model_accuracy: Number.isFinite(this.rewardFit!.heldOutAccuracy) ? this.rewardFit!.heldOutAccuracy : null,
      labels: this.pairs.length,
      seconds: this.elapsed + (Date.now() - this.sessionStart) / 1000,
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
    return { summary, table, metrics: this.metrics, rewardFit: this.rewardFit! };
  }

  /** Variables a checkpoint saves, by role: the policy's adapters + value head, and the reward model. */
  private checkpointVariables(): Array<[string, tf.Variable]> {
    return [
      ...this.inputs.model.trainableVariables('lora').map((v, i): [string, tf.Variable] => [`policy.${i}`, v]),
      ...this.rewardModel.trainableVariables().map((v, i): [string, tf.Variable] => [`reward.${i}`, v]),
    ];
  }

  /** The loop's state after the current iteration: JSON + named arrays (for RunDir.saveCheckpoint). */
  async snapshot(): Promise<{ state: TextRlhfCheckpointState; arrays: Record<string, TensorToWrite> }> {
    const arrays: Record<string, TensorToWrite> = {};
    for (const [name, v] of this.checkpointVariables()) arrays[name] = { shape: v.shape, data: Float32Array.from(v.dataSync()) };
    Object.assign(arrays, this.optimizer.toArrays('optimizer')); // t, m, v: an exact resume
    const state: TextRlhfCheckpointState = {
      iteration: this.iteration,
      beforeRaw: this.before?.raw ?? [],
      pairs: this.pairs,
      rewardFit: this.rewardFit!,
      scoreNorm: this.scoreNorm,
      klCoef: this.klController.value,
      rngs: { judge: this.judgeRng.state(), optimize: this.optimizeRng.state(), minibatches: this.minibatchRng.state() },
      elapsed: this.elapsed + (Date.now() - this.sessionStart) / 1000,
    };
    return { state, arrays };
  }

  /** Restores a snapshot (same config): the run continues after its iteration. */
  async restore(state: TextRlhfCheckpointState, arrays: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, metrics: Array<Record<string, number>>): Promise<void> {
    for (const [name, v] of this.checkpointVariables()) {
      const a = arrays.get(name);
      if (!a || a.data.length !== v.size) throw new CheckpointError(`checkpoint: ${name} is missing or has the wrong size; was the run made with other options?`);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(a.data), v.shape)));
    }
    this.optimizer.fromArrays('optimizer', arrays);
    this.iteration = state.iteration;
    this.before = this.samplesFrom(this.inputs.evalPrompts, state.beforeRaw);
    this.pairs = state.pairs;
    this.rewardFit = state.rewardFit;
    this.scoreNorm = state.scoreNorm;
    this.klController.value = state.klCoef;
    this.judgeRng.setState(state.rngs.judge);
    this.optimizeRng.setState(state.rngs.optimize);
    this.minibatchRng.setState(state.rngs.minibatches);
    this.elapsed = state.elapsed - (Date.now() - this.sessionStart) / 1000; // so that elapsed + session time continues the old clock
    this.metrics.splice(0, this.metrics.length, ...metrics);
  }

  /** Pairs of reference continuations of training prompts, judged; skips dropped. */
  private async collectPairs(prompts: Prompt[], rng: Rng): Promise<JudgedPair[]> {
    const c = this.config;
    const out: JudgedPair[] = [];
    const perBatch = 64; // pairs per generation batch (128 continuations)
    let asked = 0;
    this.hooks.onProgress?.('feedback', 0, c.labels);
    while (asked < c.labels) {
      const n = Math.min(perBatch, c.labels - asked);
      const chosen = Array.from({ length: n }, () => prompts[rng.int(prompts.length)]!);
      const s = this.sample(chosen.flatMap((p) => [p, p]), false, rng);
      const toJudge = chosen.map((p, i) => ({ prompt: p.text, left: s.texts[2 * i]!, right: s.texts[2 * i + 1]! }));
      const simulated = (pairs: TextPairToJudge[]) => this.judge.compare(pairs);
      const verdicts = this.hooks.compare ? await this.hooks.compare(toJudge, Math.floor(asked / perBatch), simulated) : simulated(toJudge);
      verdicts.forEach((v, i) => {
        const mu = comparisonTarget(v);
        if (mu !== undefined) out.push({ prompt: chosen[i]!.ids, left: s.raw[2 * i]!, right: s.raw[2 * i + 1]!, mu });
      });
      asked += n;
      this.hooks.onProgress?.('feedback', asked, c.labels);
    }
    return out;
  }

  /** The reward model's view of a pair: prompt + continuation (without the end token). */
  private toComparison(p: JudgedPair): TextComparison {
    const eos = this.inputs.codec.eosId;
    return { left: [...p.prompt, ...p.left.filter((t) => t !== eos)], right: [...p.prompt, ...p.right.filter((t) => t !== eos)], mu: p.mu };
  }

  /** 4a. One PPO iteration: generate, score, ppoStep. */
  private ppoIteration(it: number, prompts: Prompt[]): Record<string, number> {
    const c = this.config;
    const model = this.inputs.model;
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
    const t0 = Date.now();
    const batch = Array.from({ length: c.batchSize }, () => prompts[rng.int(prompts.length)]!);
    const s = this.sample(batch, true, rng); // 1) generate with the policy
    const r = packRollout(s.prompts, s.raw, this.inputs.codec.eosId);
    const tGen = Date.now();
    const old = evaluateResponses(gpt2PolicyForward(model, { adapters: true, temperature: c.temperature }), r, c.batchSize); // 2) old log-probs and values
    const refLp = evaluateResponses(gpt2LogprobForward(model, { adapters: false, temperature: c.temperature }), r, c.batchSize); //    reference log-probs
    const raw = this.rewardOf(s); //    reward-model scores (or the judge's, as an ablation), standardized
    const scores = Float32Array.from(raw, (x) => (x - this.scoreNorm.mu) / this.scoreNorm.sigma);
    const tokenRewards = c.tokenRewards ? this.tokenRewards(r, scores) : undefined; // moves each token's share out of `scores`
    if (c.scoreClip > 0) clipReturns(scores, tokenRewards, r.responseLength, c.scoreClip);
    const tScore = Date.now();
    const stats = ppoStep(
      { ...r, logprobs: old.logprobs, refLogprobs: refLp.logprobs, values: old.values!, scores, ...(tokenRewards ? { tokenRewards } : {}) },
      {
        config: ppoConfig,
        forward: gpt2PolicyForward(model, { adapters: true, entropy: true, temperature: c.temperature }),
        optimizer: this.optimizer,
        variables: model.trainableVariables('lora'),
        klController: this.klController,
        rng: this.minibatchRng,
      },
    ); // 3) optimize
    const tOpt = Date.now();
    const trueScores = s.texts.map((t) => this.judge.score(t));
    const row: Record<string, number> = {
      iteration: it,
      ...stats,
      'objective/true_reward': trueScores.reduce((a, b) => a + b, 0) / trueScores.length,
      'objective/raw_scores': raw.reduce((a, b) => a + b, 0) / raw.length,
      'objective/response_length': maskedMean(s.raw.map((x) => x.length)),
      'time/generation': (tGen - t0) / 1000,
      'time/scoring': (tScore - tGen) / 1000,
      'time/optimization': (tOpt - tScore) / 1000,
    };
    this.hooks.onProgress?.('ppo', it, c.iterations, { kl: stats['objective/kl']!, afinn: row['objective/true_reward']!, beta: stats['objective/kl_coef']! });
    return row;
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

  /** The DPO pairs (chosen = the judge's pick; ties dropped) and their reference log-probs, computed once. */
  private dpoData(): { pairs: DpoPair[]; refChosen: Float32Array; refRejected: Float32Array } {
    const c = this.config;
    const pairs = this.pairs
      .filter((x) => x.mu !== 0.5 && x.left.length > 0 && x.right.length > 0)
      .map((x) => (x.mu > 0.5 ? { prompt: x.prompt, chosen: x.left, rejected: x.right } : { prompt: x.prompt, chosen: x.right, rejected: x.left }));
    const ref = gpt2LogprobForward(this.inputs.model, { adapters: false, temperature: this.config.temperature });
    const refChosen = new Float32Array(pairs.length);
    const refRejected = new Float32Array(pairs.length);
    for (let s = 0; s < pairs.length; s += c.batchSize) {
      const b = packDpo(pairs.slice(s, s + c.batchSize), this.inputs.codec.eosId); // padding does not change a sequence's log-prob
      refChosen.set(sequenceLogprobs(ref, b.chosenIds, b.chosenMask, b.chosenLossMask, b.n, b.length, c.batchSize, b.responseLength), s);
      refRejected.set(sequenceLogprobs(ref, b.rejectedIds, b.rejectedMask, b.rejectedLossMask, b.n, b.length, c.batchSize, b.responseLength), s);
    }
    return { pairs, refChosen, refRejected };
  }

  /** 4b. One DPO epoch over the pairs. */
  private dpoEpoch(epoch: number, d: { pairs: DpoPair[]; refChosen: Float32Array; refRejected: Float32Array }): Record<string, number> {
    const c = this.config;
    const dpoConfig = resolveDPOConfig({ beta: c.dpoBeta, lossType: c.dpoLoss, learningRate: c.learningRate, batchSize: c.dpoBatchSize, epochs: c.dpoEpochs, maxGradNorm: 1 });
    const policy = gpt2LogprobForward(this.inputs.model, { adapters: true, temperature: this.config.temperature });
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
      this.hooks.onProgress?.('dpo', (epoch - 1) * steps + s + 1, c.dpoEpochs * steps, { loss: st.loss!, acc: st['rewards/accuracies']! });
    }
    const row: Record<string, number> = { iteration: epoch };
    for (const [k, v] of Object.entries(sums)) row[`dpo/${k}`] = v / Math.max(1, steps);
    return row;
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
