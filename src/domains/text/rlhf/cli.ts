/**
 * `rlhf run text --optimizer ppo|dpo --judge simulated [--model DIR]`: RLHF on a GPT-2 against a simulated
 * sentiment judge. Every flag is validated first (a bad value exits 2 with one line naming the flag and writes
 * nothing); then the run writes DIR/config.json, metrics.jsonl (one row per PPO iteration / DPO epoch), a checkpoint
 * after the reward model and after every step, summary.json, table.json (before/after), policy/ (the tuned LoRA
 * adapters and value head, PEFT layout) and report.html.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process (exit 75) right after checkpoint k, as a kill would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandFlags, COMMON_RUN_FLAGS, FlagReader, runTargetFromFlags, type FlagSpec } from '../../../cli/args.js';
import { DataError } from '../../../core/errors.js';
import { BACKEND_NAMES, initTensors, type BackendName } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { TEACHER_NAMES, type TeacherConfig } from '../../../teachers/bpref.js';
import { SENTIMENT_MODES } from '../../../teachers/sentiment.js';
import { DPO_LOSS_TYPES } from '../../../policy/dpo.js';
import { RunDir, writeJson } from '../../../loop/runDir.js';
import { createProgress, type Progress } from '../../../loop/progress.js';
import { humanJudgeFromFlags, HUMAN_JUDGE_FLAGS, HUMAN_JUDGE_HELP } from '../../../loop/people/flags.js';
import type { HumanJudgeSetup } from '../../../loop/people/session.js';
import type { JsonObject } from '../../../store/types.js';
import { textPeople } from './people.js';
import { loadGpt2 } from '../../../models/load.js';
import { saveTrainable } from '../../../models/load.js';
import type { Gpt2 } from '../../../models/gpt2/model.js';
import { ByteCodec, hashSplit, makePrompts, type TextCodec } from './corpus.js';
import { DEFAULT_CORPUS, loadCorpus, splitCorpus } from '../corpus.js';
import { loadTokenizer } from '../../../models/load.js';
import { DEFAULT_TEXT_RLHF, REWARD_BACKBONES, REWARD_SOURCES, TEXT_JUDGES, TEXT_OPTIMIZERS, resolveTextRlhfConfig, type TextRlhfConfig, type TextRlhfOverrides } from './config.js';
import { TextRlhf, type TextRlhfCheckpointState, type TextRlhfResult } from './run.js';

/** Where `rlhf pretrain text` leaves the default model. */
export const DEFAULT_TEXT_MODEL = join('models', 'fortunes-tiny');

export const TEXT_FLAGS = {
  optimizer: { type: 'string' },
  judge: { type: 'string' },
  teacher: { type: 'string' },
  beta: { type: 'string' },
  gamma: { type: 'string' },
  mistake: { type: 'string' },
  skip: { type: 'string' },
  equal: { type: 'string' },
  'sentiment-mode': { type: 'string' },
  model: { type: 'string' },
  corpus: { type: 'string' },
  'prompt-min-tokens': { type: 'string' },
  'prompt-max-tokens': { type: 'string' },
  'train-prompts': { type: 'string' },
  'eval-prompts': { type: 'string' },
  'response-length': { type: 'string' },
  temperature: { type: 'string' },
  labels: { type: 'string' },
  'reward-backbone': { type: 'string' },
  'reward-l2': { type: 'string' },
  'reward-source': { type: 'string' },
  'reward-epochs': { type: 'string' },
  'reward-lr': { type: 'string' },
  'reward-batch-size': { type: 'string' },
  'reward-validation': { type: 'string' },
  'lora-r': { type: 'string' },
  'lora-alpha': { type: 'string' },
  iterations: { type: 'string' },
  'batch-size': { type: 'string' },
  'mini-batch-size': { type: 'string' },
  'ppo-epochs': { type: 'string' },
  lr: { type: 'string' },
  'kl-coef': { type: 'string' },
  'kl-target': { type: 'string' },
  'kl-horizon': { type: 'string' },
  'fixed-kl': { type: 'boolean' },
  'no-normalize-scores': { type: 'boolean' },
  'token-rewards': { type: 'boolean' },
  'score-clip': { type: 'string' },
  'no-token-rewards': { type: 'boolean' },
  'dpo-beta': { type: 'string' },
  'dpo-loss': { type: 'string' },
  'dpo-epochs': { type: 'string' },
  'dpo-batch-size': { type: 'string' },
  'no-report': { type: 'boolean' },
} as const satisfies FlagSpec;

const D = DEFAULT_TEXT_RLHF;
export const TEXT_HELP = `rlhf run text — tune a GPT-2 toward more positive continuations with a simulated sentiment judge

options (defaults in brackets):
  --optimizer NAME        ${TEXT_OPTIMIZERS.join(' | ')}: reward model + PPO with a KL leash, or DPO on the pairs [${D.optimizer}]
  --judge NAME            ${TEXT_JUDGES.join(' | ')} (people label text through \`rlhf serve\`) [${D.judge}]
  --teacher NAME          B-Pref noise of the judge: ${TEACHER_NAMES.join(', ')} [${D.teacher}]
  --beta B --gamma G --mistake E --skip E --equal E   override the teacher's parameters
  --sentiment-mode M      ${SENTIMENT_MODES.join(' | ')}: AFINN total or per word [${D.sentimentMode}]
  --model DIR             GPT-2 directory (config.json + model.safetensors) [${DEFAULT_TEXT_MODEL}]
  --corpus PATH           prompt source: a text/fortune file or directory [the model's pretraining corpus, else ${DEFAULT_CORPUS}]
  --prompt-min-tokens K   prompts are the first K..M tokens of corpus entries [${D.promptMinTokens}]
  --prompt-max-tokens M   [${D.promptMaxTokens}]
  --train-prompts N       distinct training prompts (non-held-out entries) [512]
  --eval-prompts N        held-out prompts of the before/after evaluation [${D.evalPrompts}]
  --response-length N     tokens per continuation [${D.responseLength}]
  --temperature T         sampling temperature [${D.temperature}]
  --labels N              comparisons asked of the judge [${D.labels}]
  --reward-backbone B     ${REWARD_BACKBONES.join(' | ')}: linear in token counts, a tanh layer over token frequencies, or the model's transformer (own LoRA) [${D.rewardBackbone}]
  --reward-l2 L           L2 penalty on the reward model's weights [${D.rewardL2}]
  --reward-source S       ${REWARD_SOURCES.join(' | ')}: PPO maximizes the learned reward model, or the judge's score itself (ablation) [${D.rewardSource}]
  --reward-epochs N --reward-lr LR --reward-batch-size N --reward-validation F   reward model training [${D.rewardEpochs}, ${D.rewardLr}, ${D.rewardBatchSize}, ${D.rewardValidation}]
  --lora-r R --lora-alpha A   LoRA adapters of the policy [${D.loraR}, ${D.loraAlpha}]
  --iterations N          PPO steps [${D.iterations}]
  --batch-size N          rollouts per PPO step [${D.batchSize}]
  --mini-batch-size N     rollouts per gradient step [${D.miniBatchSize}]
  --ppo-epochs N          passes per PPO step [${D.ppoEpochs}]
  --lr LR                 Adam learning rate of the policy [${D.learningRate}]
  --kl-coef B             β₀ of the per-token KL penalty [${D.klCoef}]
  --kl-target K           target KL (nats per sequence) of the adaptive controller [${D.klTarget}]
  --kl-horizon H          horizon of the adaptive controller [${D.klHorizon}]
  --fixed-kl              keep β fixed
  --no-normalize-scores   use raw reward-model scores (default: standardized on reference samples)
  --score-clip C          clip each continuation's standardized reward to [−C, C]; 0 = off [${D.scoreClip}]
  --token-rewards         pay each token its reward-model weight w[x_t] when generated (dense credit; needs
                          --reward-backbone linear) [on with the linear reward model]
  --no-token-rewards      pay the whole score on the last token (standard RLHF placement)
  --dpo-beta B            DPO β [${D.dpoBeta}]
  --dpo-loss L            ${DPO_LOSS_TYPES.join(' | ')} [${D.dpoLoss}]
  --dpo-epochs N          passes over the pairs [${D.dpoEpochs}]
  --dpo-batch-size N      pairs per DPO step [${D.dpoBatchSize}]
  --no-report             skip plots and report.html
  --seed S                master seed [${D.seed}]
  --out DIR               run directory [runs/text-<timestamp>]
  --resume                continue the run in --out from its last checkpoint
  --backend NAME          ${BACKEND_NAMES.join(', ')} [auto]
  --quiet                 no progress bar
  --json                  print the summary as the last line of stdout`;

/** Reads and validates every text flag into config overrides. */
export function textConfigFromFlags(f: FlagReader): { config: TextRlhfConfig; trainPrompts: number } {
  const teacherOverrides: Partial<TeacherConfig> = {};
  if (f.has('beta')) teacherOverrides.beta = f.string('beta') === 'inf' ? Infinity : f.number('beta', 1, { min: 0, exclusiveMin: true });
  if (f.has('gamma')) teacherOverrides.gamma = f.number('gamma', 1, { min: 0, max: 1, exclusiveMin: true });
  if (f.has('mistake')) teacherOverrides.epsMistake = f.number('mistake', 0, { min: 0, max: 0.999 });
  if (f.has('skip')) teacherOverrides.epsSkip = f.number('skip', 0, { min: 0 });
  if (f.has('equal')) teacherOverrides.epsEqual = f.number('equal', 0, { min: 0 });
  const o: TextRlhfOverrides = {
    optimizer: f.choice('optimizer', TEXT_OPTIMIZERS, D.optimizer),
    judge: f.choice('judge', TEXT_JUDGES, D.judge),
    teacher: f.choice('teacher', TEACHER_NAMES, D.teacher as (typeof TEACHER_NAMES)[number]),
    sentimentMode: f.choice('sentiment-mode', SENTIMENT_MODES, D.sentimentMode),
    model: f.string('model') ?? null,
    corpus: f.string('corpus') ?? null,
    seed: f.int('seed', D.seed, { min: 0, max: 2 ** 31 - 1 }),
    promptMinTokens: f.int('prompt-min-tokens', D.promptMinTokens, { min: 1 }),
    promptMaxTokens: f.int('prompt-max-tokens', D.promptMaxTokens, { min: 1 }),
    evalPrompts: f.int('eval-prompts', D.evalPrompts, { min: 1 }),
    responseLength: f.int('response-length', D.responseLength, { min: 1 }),
    temperature: f.number('temperature', D.temperature, { min: 0, exclusiveMin: true }),
    labels: f.int('labels', D.labels, { min: 2 }),
    rewardBackbone: f.choice('reward-backbone', REWARD_BACKBONES, D.rewardBackbone),
    rewardL2: f.number('reward-l2', D.rewardL2, { min: 0 }),
    rewardSource: f.choice('reward-source', REWARD_SOURCES, D.rewardSource),
    rewardEpochs: f.int('reward-epochs', D.rewardEpochs, { min: 1 }),
    rewardLr: f.number('reward-lr', D.rewardLr, { min: 0, exclusiveMin: true }),
    rewardBatchSize: f.int('reward-batch-size', D.rewardBatchSize, { min: 1 }),
    rewardValidation: f.number('reward-validation', D.rewardValidation, { min: 0, max: 0.9 }),
    loraR: f.int('lora-r', D.loraR, { min: 1 }),
    loraAlpha: f.number('lora-alpha', D.loraAlpha, { min: 0, exclusiveMin: true }),
    iterations: f.int('iterations', D.iterations, { min: 0 }),
    batchSize: f.int('batch-size', D.batchSize, { min: 1 }),
    miniBatchSize: f.int('mini-batch-size', D.miniBatchSize, { min: 1 }),
    ppoEpochs: f.int('ppo-epochs', D.ppoEpochs, { min: 1 }),
    learningRate: f.number('lr', D.learningRate, { min: 0, exclusiveMin: true }),
    klCoef: f.number('kl-coef', D.klCoef, { min: 0 }),
    klTarget: f.number('kl-target', D.klTarget, { min: 0, exclusiveMin: true }),
    klHorizon: f.number('kl-horizon', D.klHorizon, { min: 0, exclusiveMin: true }),
    fixedKl: f.bool('fixed-kl'),
    normalizeScores: !f.bool('no-normalize-scores'),
    scoreClip: f.number('score-clip', D.scoreClip, { min: 0 }),
    tokenRewards: f.bool('token-rewards') ? true : f.bool('no-token-rewards') ? false : undefined,
    dpoBeta: f.number('dpo-beta', D.dpoBeta, { min: 0, exclusiveMin: true }),
    dpoLoss: f.choice('dpo-loss', DPO_LOSS_TYPES, D.dpoLoss),
    dpoEpochs: f.int('dpo-epochs', D.dpoEpochs, { min: 1 }),
    dpoBatchSize: f.int('dpo-batch-size', D.dpoBatchSize, { min: 1 }),
    teacherOverrides,
  };
  return { config: resolveTextRlhfConfig(o), trainPrompts: f.int('train-prompts', 512, { min: 1 }) };
}

/** The tokenizer of a model directory (tokenizer.json, or GPT-2 BPE); a 257-token model without one reads bytes. */
export function loadCodec(model: Gpt2, dir: string): TextCodec {
  const V = model.config.vocab_size;
  if (V === 257 && !existsSync(join(dir, 'tokenizer.json'))) return new ByteCodec();
  return loadTokenizer(dir, V);
}

/**
 * Training and held-out entries for the prompts. When the model was pretrained here (pretrain.json beside it) on
 * the same corpus, its own validation split is the held-out set, so evaluation prompts were never trained on;
 * otherwise a fixed hash split (10 % held out).
 */
export function promptSplit(corpus: string | null, modelDir: string): { train: string[]; heldout: string[]; source: 'pretrain' | 'hash' } {
  const pj = join(modelDir, 'pretrain.json');
  let pre: { corpus?: unknown; seed?: unknown; valFraction?: unknown } | undefined;
  if (existsSync(pj)) {
    try {
      pre = (JSON.parse(readFileSync(pj, 'utf8')) as { config?: typeof pre }).config;
    } catch {
      pre = undefined;
    }
  }
  const path = corpus ?? (typeof pre?.corpus === 'string' ? pre.corpus : DEFAULT_CORPUS);
  const entries = loadCorpus(path);
  if (pre && pre.corpus === path && typeof pre.seed === 'number' && typeof pre.valFraction === 'number') {
    const { train, val } = splitCorpus(entries, pre.valFraction, new Rng(pre.seed).fork('split')); // the pretraining's split
    return { train: train.map((e) => e.text), heldout: val.map((e) => e.text), source: 'pretrain' };
  }
  return { ...hashSplit(entries.map((e) => e.text)), source: 'hash' };
}

export interface TextRunOptions {
  out?: string;
  resume?: boolean;
  quiet?: boolean;
  report?: boolean;
  backend?: BackendName;
  /** distinct training prompts */
  trainPrompts?: number;
  /** stop after this checkpoint (as if killed) */
  stopAfter?: number;
  stopHard?: boolean;
  /** --judge human|mixed: people compare the feedback pairs in the web app (./people.ts) */
  people?: HumanJudgeSetup;
}

function jsonRow(m: Record<string, number>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

/** Runs the text loop with a run directory, checkpoints, progress and report. */
export async function runText(config: TextRlhfConfig, opts: TextRunOptions = {}): Promise<{ result: TextRlhfResult | null; dir?: string }> {
  await initTensors(opts.backend ?? 'auto');
  // 1. model, tokenizer, prompts
  const modelDir = config.model ?? DEFAULT_TEXT_MODEL;
  if (!existsSync(join(modelDir, 'config.json'))) throw new DataError(`no model in ${modelDir}: run \`rlhf pretrain text\` first, or pass --model DIR (config.json + model.safetensors)`);
  const model = loadGpt2(modelDir);
  const rewardBase = config.rewardBackbone === 'gpt2' ? loadGpt2(modelDir) : undefined;
  const codec = loadCodec(model, modelDir);
  const split = promptSplit(config.corpus, modelDir);
  const rng = new Rng(config.seed).fork('prompts');
  const trainPrompts = makePrompts(split.train, codec, opts.trainPrompts ?? 512, config.promptMinTokens, config.promptMaxTokens, rng.fork('train'), 'training prompts');
  const evalPrompts = makePrompts(split.heldout, codec, config.evalPrompts, config.promptMinTokens, config.promptMaxTokens, rng.fork('eval'), 'held-out prompts');
  // 2. the run directory
  let dir: RunDir | undefined;
  if (opts.out) dir = RunDir.open(opts.out, { ...config, trainPrompts: opts.trainPrompts ?? 512 }, { resume: opts.resume ?? false, ignoreKeys: ['iterations', 'dpoEpochs'] });
  // 3. progress per phase
  const quiet = opts.quiet ?? false;
  let bar: Progress | undefined;
  let phase = '';
  const people = opts.people && config.judge !== 'simulated' && opts.out ? textPeople(opts.people, { out: opts.out, config: JSON.parse(JSON.stringify(config)) as JsonObject }) : undefined;
  let ok = false;
  const loop = new TextRlhf(
    config,
    { model, rewardBase, codec, vocabSize: model.config.vocab_size, trainPrompts, evalPrompts },
    {
      ...(people ? { compare: people.compare } : {}),
      onMetrics: (row) => {
        dir?.appendMetrics(jsonRow(row));
        void people?.emit(row, row.iteration ?? loop.metrics.length).catch(() => undefined);
      },
      onProgress: (p, done, total, fields) => {
        if (p !== phase) {
          bar?.stop();
          bar = createProgress(`text ${p}`, total, { quiet });
          phase = p;
        }
        bar?.update(done, fields);
      },
    },
  );
  try {
    if (dir && opts.resume && dir.hasCheckpoint()) {
      const ck = dir.loadCheckpoint<TextRlhfCheckpointState>();
      dir.truncateMetrics(ck.iteration);
      await loop.restore(ck.state, ck.arrays as Map<string, { shape: number[]; data: Float32Array }>, dir.readMetrics());
    } else dir?.truncateMetrics(0);
    const result = await loop.run({
      onCheckpoint: async (it) => {
        if (dir) {
          const { state, arrays } = await loop.snapshot();
          dir.saveCheckpoint(it, state, arrays);
        }
        if (opts.stopAfter !== undefined && it >= opts.stopAfter) {
          if (opts.stopHard) process.exit(75);
          return 'stop';
        }
      },
    });
    bar?.stop();
    if (result && dir) {
      dir.writeSummary(result.summary);
      writeJson(dir.file('table.json'), result.table);
      saveTrainable(dir.file('policy'), model);
      if (opts.report ?? true) {
        const { writeTextReport } = await import('./report.js');
        await writeTextReport(dir.path, config, result);
      }
    }
    ok = true;
    return { result, ...(dir ? { dir: dir.path } : {}) };
  } finally {
    await people?.close(ok);
    bar?.stop();
    loop.dispose();
    model.dispose();
    rewardBase?.dispose();
  }
}

const pct = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);

export async function textCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const f = commandFlags(argv, { ...COMMON_RUN_FLAGS, ...TEXT_FLAGS, ...HUMAN_JUDGE_FLAGS }, TEXT_HELP + HUMAN_JUDGE_HELP);
  if (!f) return 0;
  const { config, trainPrompts } = textConfigFromFlags(f);
  const human = humanJudgeFromFlags(f); // --judge human|mixed: people compare continuations in the web app
  const backend = f.choice('backend', BACKEND_NAMES, 'auto') as BackendName;
  const { out, resume, stopAfter } = runTargetFromFlags(f, 'text', { minStopAfter: 0 });
  // 2. run
  const quiet = f.bool('quiet');
  const { result, dir } = await runText(config, { out, resume, quiet: quiet || (human !== undefined && config.judge !== 'simulated'), report: !f.bool('no-report'), backend, trainPrompts, ...(human ? { people: human } : {}), ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}) });
  if (!result) return 0;
  const s = result.summary;
  if (f.bool('json')) console.log(JSON.stringify(s));
  else if (!quiet) {
    console.log(
      `text ${s.optimizer}: AFINN ${s.sentiment_before.toFixed(2)} → ${s.sentiment_after.toFixed(2)} (${s.sentiment_gain >= 0 ? '+' : ''}${s.sentiment_gain.toFixed(2)}), ` +
        `KL ${s.kl.toFixed(2)} nats, win rate ${pct(s.win_rate)}, reward model accuracy ${pct(s.reward_model_accuracy)}, ${s.labels} labels, ${s.seconds.toFixed(0)} s → ${dir}`,
    );
  }
  return 0;
}
