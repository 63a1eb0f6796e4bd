/**
 * The text domain as a task of the run driver (src/loop/driver.ts): `rlhf run text`, the example and the tests all run
 * it through runTask. create() loads the model (and a second copy for a gpt2 reward backbone), its tokenizer and the
 * prompts, and puts the judge in the loop: the AFINN teacher, or people through ctx.judge (src/loop/people/).
 *
 * Files (DIR = out): config.json, metrics.jsonl (iteration 1: feedback and reward model; iteration k ≥ 2: PPO step or
 * DPO epoch k − 1), timing.jsonl, checkpoint.json + checkpoint-{0,1}.safetensors (policy adapters and value head,
 * reward model, Adam's state; the judged pairs, RNG states, the "before" continuations in the JSON), summary.json,
 * table.json (the before/after table), policy/ (the tuned LoRA adapters and value head, PEFT layout), report.html
 * and its figures (report.ts).
 */
import { initTensors, type BackendName } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { runTask, type DomainRun, type RunOptions, type RunResult, type Task, type TaskContext } from '../../../loop/driver.js';
import type { MetricsRow } from '../../../loop/parts.js';
import { writeJson } from '../../../loop/runDir.js';
import { loadGpt2, saveTrainable } from '../../../models/load.js';
import type { Gpt2 } from '../../../models/gpt2/model.js';
import type { JsonObject } from '../../../store/types.js';
import { promptSplit, textCodecOf } from '../corpus.js';
import type { TextRlhfSummary } from '../summary.js';
import { TEXT_RLHF_OPTIONS, type TextRlhfConfig } from './config.js';
import { makePrompts } from './corpus.js';
import { textQueryMaker } from './queries.js';
import { TextRlhf, type TextRlhfState } from './run.js';

/** Where `rlhf pretrain text` leaves the default model (relative to the working directory). */
export const DEFAULT_TEXT_MODEL = 'models/fortunes-tiny';

/** A text run: the loop behind the driver's DomainRun. */
export interface TextRun extends DomainRun<TextRlhfSummary, TextRlhfState> {
  readonly loop: TextRlhf;
}

/** config.json: the resolved config (β = ∞ as the string "Infinity"). */
export function textConfigJson(c: TextRlhfConfig): JsonObject {
  const beta = c.teacherConfig.beta;
  return { ...c, teacherConfig: { ...c.teacherConfig, beta: Number.isFinite(beta) ? beta : 'Infinity' } } as unknown as JsonObject;
}

/** The values beside the progress bar: what the iteration's row has of these. */
const PROGRESS_KEYS: Record<string, string> = {
  labels: 'feedback/labels',
  'rm acc': 'reward/accuracy',
  kl: 'objective/kl',
  afinn: 'objective/true_reward',
  beta: 'objective/kl_coef',
  loss: 'dpo/loss',
  acc: 'dpo/rewards/accuracies',
};

function progressFields(m: MetricsRow): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, key] of Object.entries(PROGRESS_KEYS)) {
    const v = m[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
  }
  return out;
}

/** The text task; `backend` is the tensor backend. */
export function textTask(opts: { backend?: BackendName } = {}): Task<TextRlhfConfig, TextRlhfSummary, TextRlhfState, TextRun> {
  return {
    name: 'text',
    configJson: textConfigJson,
    resumeIgnoreKeys: TEXT_RLHF_OPTIONS.resumeKeys,
    create: (config, ctx) => createTextRun(config, ctx, opts.backend ?? 'auto'),
  };
}

async function createTextRun(config: TextRlhfConfig, ctx: TaskContext, backend: BackendName): Promise<TextRun> {
  await initTensors(backend);
  // 1. the model (a second copy for a gpt2 reward backbone), its tokenizer, the prompts
  const modelDir = config.model ?? DEFAULT_TEXT_MODEL;
  const models: Gpt2[] = [];
  try {
    const model = loadGpt2(modelDir);
    models.push(model);
    const rewardBase = config.rewardBackbone === 'gpt2' ? loadGpt2(modelDir) : undefined;
    if (rewardBase) models.push(rewardBase);
    const codec = textCodecOf(model.config.vocab_size, modelDir);
    const split = promptSplit(config.corpus, modelDir);
    const rng = new Rng(config.seed).fork('prompts');
    const trainPrompts = makePrompts(split.train, codec, config.trainPrompts, config.promptMinTokens, config.promptMaxTokens, rng.fork('train'), 'training prompts');
    const evalPrompts = makePrompts(split.heldout, codec, config.evalPrompts, config.promptMinTokens, config.promptMaxTokens, rng.fork('eval'), 'held-out prompts');
    // 2. the loop; the judge: the AFINN teacher, or people shown each round's pairs
    const loop = new TextRlhf(
      config,
      { model, ...(rewardBase ? { rewardBase } : {}), codec, vocabSize: model.config.vocab_size, trainPrompts, evalPrompts },
      { judge: (teacher) => ctx.judge(teacher, textQueryMaker) },
    );
    return {
      loop,
      iterations: loop.iterations,
      iterate: (it) => loop.iterate(it),
      afterIteration: (it) => {
        // the run's products, once the last iteration evaluated the tuned policy (with or without --no-report)
        const result = loop.result;
        if (it !== loop.iterations || !ctx.dir || !result) return;
        writeJson(`${ctx.dir}/table.json`, result.table);
        saveTrainable(`${ctx.dir}/policy`, model);
      },
      snapshot: () => loop.snapshot(),
      restore: (state, arrays) => loop.restore(state, arrays),
      progressFields,
      summarize: (_rows, seconds) => loop.summarize(seconds),
      writeReport: async (dir, rows, summary) => (await import('./report.js')).writeTextReport(dir, config, rows, summary, loop.result!),
      dispose: () => {
        loop.dispose();
        for (const m of models) m.dispose();
      },
    };
  } catch (e) {
    for (const m of models) m.dispose();
    throw e;
  }
}

export type TextRunOptions = RunOptions & { backend?: BackendName };
export type TextRunResult = RunResult<TextRlhfSummary, TextRun>;

/** Runs the text loop end to end (runTask over textTask): with `out`, a run directory, checkpoints and a report. */
export function runText(config: TextRlhfConfig, opts: TextRunOptions = {}): Promise<TextRunResult> {
  return runTask(textTask(opts.backend ? { backend: opts.backend } : {}), config, opts);
}
