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
import { commandFlags, parseArgv, runHelp, runTargetFromFlags, type FlagValues } from '../../../cli/args.js';
import { defineOptions } from '../../../core/config/options.js';
import { RUN_OPTIONS } from '../../../core/config/runOptions.js';
import { DataError } from '../../../core/errors.js';
import { initTensors, type BackendName } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { RunDir, writeJson } from '../../../loop/runDir.js';
import { createProgress, type Progress } from '../../../loop/progress.js';
import { humanJudgeFromFlags, HUMAN_JUDGE_FLAG_SETS } from '../../../loop/people/flags.js';
import type { HumanJudgeSetup } from '../../../loop/people/session.js';
import type { JsonObject } from '../../../store/types.js';
import { textPeople } from './people.js';
import { loadGpt2 } from '../../../models/load.js';
import { saveTrainable } from '../../../models/load.js';
import type { Gpt2 } from '../../../models/gpt2/model.js';
import { ByteCodec, hashSplit, makePrompts, type TextCodec } from './corpus.js';
import { DEFAULT_CORPUS, loadCorpus, splitCorpus } from '../corpus.js';
import { loadTokenizer } from '../../../models/load.js';
import { TEXT_RLHF_OPTIONS, type TextRlhfConfig } from './config.js';
import { TextRlhf, type TextRlhfCheckpointState, type TextRlhfResult } from './run.js';

/** Where `rlhf pretrain text` leaves the default model. */
export const DEFAULT_TEXT_MODEL = join('models', 'fortunes-tiny');

/** Options of `rlhf run text` that are not the loop's config (written to config.json beside it). */
export interface TextRunExtras {
  /** distinct training prompts (non-held-out corpus entries). Default 512. */
  trainPrompts: number;
}

export const TEXT_RUN_EXTRAS = defineOptions<TextRunExtras>('text run', [{ key: 'trainPrompts', type: 'int', min: 1, default: 512, metavar: 'N', help: 'distinct training prompts (non-held-out entries)' }]);

/** The option sets whose flags `rlhf run text` takes. */
export const TEXT_COMMAND_SETS = [TEXT_RLHF_OPTIONS, TEXT_RUN_EXTRAS, RUN_OPTIONS, ...HUMAN_JUDGE_FLAG_SETS] as const;

/** `rlhf run text --help`. */
export function textHelp(): string {
  return runHelp('rlhf run text — tune a GPT-2 toward more positive continuations with a simulated sentiment judge', [TEXT_RLHF_OPTIONS, TEXT_RUN_EXTRAS, ...HUMAN_JUDGE_FLAG_SETS], 'rlhf run text [options]');
}

/** Reads and validates every text flag into the config. */
export function textConfigFromFlags(values: FlagValues): { config: TextRlhfConfig; trainPrompts: number } {
  return { config: TEXT_RLHF_OPTIONS.resolveFlags(values), trainPrompts: TEXT_RUN_EXTRAS.resolveFlags(values).trainPrompts };
}

/** The config a command line gives (every flag of `rlhf run text` is accepted): for tests and embedders. */
export function textConfigFromArgv(argv: readonly string[]): { config: TextRlhfConfig; trainPrompts: number } {
  return textConfigFromFlags(parseArgv(argv, TEXT_COMMAND_SETS).values);
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
  const values = commandFlags(argv, TEXT_COMMAND_SETS, textHelp);
  if (!values) return 0;
  const { config, trainPrompts } = textConfigFromFlags(values);
  const human = humanJudgeFromFlags(values); // --judge human|mixed: people compare continuations in the web app
  const run = RUN_OPTIONS.resolveFlags(values);
  const { out, resume, stopAfter } = runTargetFromFlags(run, 'text', { minStopAfter: 0 });
  // 2. run
  const quiet = run.quiet;
  const { result, dir } = await runText(config, { out, resume, quiet: quiet || (human !== undefined && config.judge !== 'simulated'), report: run.report, backend: run.backend, trainPrompts, ...(human ? { people: human } : {}), ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}) });
  if (!result) return 0;
  const s = result.summary;
  if (run.json) console.log(JSON.stringify(s));
  else if (!quiet) {
    console.log(
      `text ${s.optimizer}: AFINN ${s.sentiment_before.toFixed(2)} → ${s.sentiment_after.toFixed(2)} (${s.sentiment_gain >= 0 ? '+' : ''}${s.sentiment_gain.toFixed(2)}), ` +
        `KL ${s.kl.toFixed(2)} nats, win rate ${pct(s.win_rate)}, reward model accuracy ${pct(s.reward_model_accuracy)}, ${s.labels} labels, ${s.seconds.toFixed(0)} s → ${dir}`,
    );
  }
  return 0;
}
