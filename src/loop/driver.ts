/**
 * THE run driver. Every `rlhf run <domain>` — and a user's own task — goes through runTask:
 *
 *   1. the run directory: a new one (config.json) or, with `resume`, the checkpoint of an earlier session
 *   2. the domain makes its DomainRun from the resolved config (its loop parts, or a stepped trainer adapted to them); the
 *      judge is the domain's simulated teacher, or people through the labeling server (ctx.judge)
 *   3. the iterations: metrics.jsonl (deterministic) and timing.jsonl (wall clock) rows, the progress bar, the live
 *      dashboard when people are in the loop, a checkpoint after every iteration, the stop-after test hook
 *   4. summary.json and report.html
 *
 * Files (DIR = out): config.json, metrics.jsonl, timing.jsonl, the task's own record files (e.g. completions.jsonl),
 * checkpoint.json + checkpoint-{0,1}.safetensors, summary.json, report.html and its figures. Without `out` nothing is
 * written (an in-memory run: tests, benchmarks).
 *
 * Where the run is kept and how progress shows are injected, so the same driver runs in Node and in a browser tab:
 * `out` keeps it in a run directory (runDir.ts, loaded only then) and the progress bar is cli-progress on stderr
 * (progress.ts, loaded only when not quiet); the playground (web/playground) passes `storage` (its IndexedDB run) and
 * `progress` instead. This module itself is browser-safe: it imports no Node-only module statically.
 */
import type { OptionSet } from '../core/config/options.js';
import type { NamedTensor, TensorToWrite } from '../core/safetensors.js';
import type { JsonObject } from '../store/types.js';
import type { FigureEvent, Gatherer, IterationEvent, JudgeMode, Label, MetricsRow, PeopleHooks, QueryMaker } from './parts.js';
import type { Progress } from './progress.js';

/** A checkpoint as the driver reads it back: the iteration it was taken after, the JSON state and the named arrays. */
export interface StoredCheckpoint<S> {
  iteration: number;
  state: S;
  arrays: Map<string, NamedTensor>;
}

/**
 * Where a run is kept between sessions: a run directory on disk (RunDir, for `out`) or the playground's IndexedDB
 * store. Each method may be synchronous or return a promise.
 */
export interface RunStorage {
  /** where the run is kept (RunResult.dir, and the directory report.html is written to); undefined: no files */
  readonly path?: string;
  hasCheckpoint(): boolean | Promise<boolean>;
  loadCheckpoint<S>(): StoredCheckpoint<S> | Promise<StoredCheckpoint<S>>;
  /**
   * keeps only the rows of a JSONL file (metrics, timing, or a task's record file) whose `key` (default
   * `iteration`) is ≤ last: later rows are redone
   */
  truncate(last: number, file: string, key?: string): void | Promise<void>;
  /** the metrics rows kept so far */
  readMetrics(): MetricsRow[] | Promise<MetricsRow[]>;
  /** appends one row to a JSONL file (metrics, timing, or a task's record file) */
  append(file: string, row: object): void | Promise<void>;
  saveCheckpoint<S>(iteration: number, state: S, arrays: Record<string, TensorToWrite>): void | Promise<void>;
  writeSummary(summary: object): void | Promise<void>;
}

/** The Node run directory as the driver's storage (runDir.ts is imported only when a run has `out`). */
async function runDirStorage(out: string, config: JsonObject, resume: boolean, ignoreKeys: string[]): Promise<RunStorage> {
  const { RunDir } = await import('./runDir.js');
  const dir = RunDir.open(out, config, { resume, ignoreKeys });
  return {
    path: dir.path,
    hasCheckpoint: () => dir.hasCheckpoint(),
    loadCheckpoint: <S>() => dir.loadCheckpoint<S>(),
    truncate: (last, file, key = 'iteration') => dir.truncateMetrics(last, key, `${file}.jsonl`),
    readMetrics: () => dir.readMetrics(),
    append: (file, row) => dir.appendJsonl(`${file}.jsonl`, row),
    saveCheckpoint: (it, state, arrays) => dir.saveCheckpoint(it, state, arrays),
    writeSummary: (summary) => dir.writeSummary(summary),
  };
}

/** What a DomainRun hands the driver to checkpoint: JSON state and named arrays (safetensors). */
export interface Snapshot<State> {
  state: State;
  arrays: Record<string, TensorToWrite>;
}

/** One run of a domain, made by the domain from its resolved config (Task.create). */
export interface DomainRun<Summary extends object, State = unknown> {
  /** iterations in the whole run (the progress bar's total; the run ends after this one) */
  readonly iterations: number;
  /** one iteration (1-based): the loop parts in order (runIteration) or a stepped trainer's step */
  iterate(iteration: number): Promise<IterationEvent>;
  /** the state a checkpoint keeps, after an iteration */
  snapshot(): Snapshot<State> | Promise<Snapshot<State>>;
  /** continues from a checkpoint; `rows` are the metrics rows written up to it */
  restore(state: State, arrays: Map<string, NamedTensor>, rows: MetricsRow[]): void | Promise<void>;
  /** after an iteration's metrics, before its checkpoint (e.g. keep sample paths that the checkpoint then holds) */
  afterIteration?(iteration: number): void;
  /** the values shown beside the progress bar */
  progressFields(metrics: MetricsRow): Record<string, number>;
  /** summary.json */
  summarize(rows: MetricsRow[], seconds: number): Summary;
  /** report.html and its figures */
  writeReport?(dir: string, rows: MetricsRow[], summary: Summary): Promise<unknown>;
  /** the live dashboard's figures after an iteration (only asked when people are in the loop) */
  figures?(iteration: number): FigureEvent[];
  /** releases tensors, workers, … (always called, also after an error) */
  dispose?(): void | Promise<void>;
}

/** What the driver gives a domain that makes a DomainRun. */
export interface TaskContext {
  /** who judges: the simulated teacher, people, or people with the teacher filling the gaps */
  readonly judgeMode: JudgeMode;
  /**
   * The gatherer to put in the loop: `teacher` itself for a simulated run without a store, else a gatherer that posts
   * `maker`'s queries to the feedback store and returns what people (and, mixed, the teacher) said.
   */
  judge<B, L = Label>(teacher: Gatherer<B, L>, maker: QueryMaker<B, L>): Gatherer<B, L>;
  /** operator messages (stderr) */
  log(line: string): void;
  /** the run directory, when the run has one: for a domain's own files beside the driver's (pretrained models, tuned adapters) */
  readonly dir?: string;
}

/** A domain (or a user's task) as the driver runs it. */
export interface Task<Config, Summary extends object, State = unknown, R extends DomainRun<Summary, State> = DomainRun<Summary, State>> {
  /** the domain's name: progress label, run id prefix, the store's run domain */
  readonly name: string;
  /** config.json: the resolved config as JSON (Infinity as a string) */
  configJson(config: Config): JsonObject;
  /** config keys that may differ on --resume (e.g. a longer run) */
  readonly resumeIgnoreKeys?: readonly string[];
  /** JSONL files besides metrics.jsonl that its iterations append to (IterationEvent.records), e.g. ['completions'] */
  readonly records?: readonly string[];
  create(config: Config, ctx: TaskContext): Promise<R>;
}

export interface RunOptions {
  /** run directory; without it (and without `storage`) nothing is written */
  out?: string;
  /** where the run is kept instead of a run directory (the playground's IndexedDB); `out` is then ignored */
  storage?: RunStorage;
  /** continue the run in `out` (or `storage`) from its last checkpoint */
  resume?: boolean;
  /** no progress bar */
  quiet?: boolean;
  /** shows progress instead of the stderr bar (the playground's page); called once with the label and the total */
  progress?: (label: string, total: number) => Progress;
  /** draw the figures and report.html (default true when `out` is set) */
  report?: boolean;
  /** test hook: stop after this iteration's checkpoint (with stopHard: exit the process at once, as a kill would) */
  stopAfter?: number;
  stopHard?: boolean;
  /** called after every iteration (after the metrics are written) */
  onIteration?: (event: IterationEvent) => void | Promise<void>;
  /** people in the loop (the labeling server); without it the domain's simulated teacher judges */
  people?: (out: string | undefined) => PeopleHooks;
  /** operator messages (default: stderr) */
  log?: (line: string) => void;
}

export interface RunResult<Summary, R> {
  /** undefined when the run stopped early (stopAfter) */
  summary: Summary | undefined;
  run: R;
  /** every metrics row, including rows of earlier sessions of a resumed run */
  metrics: MetricsRow[];
  stopped: boolean;
  /** the run directory, when one was used */
  dir?: string;
}

interface CheckpointState<State> {
  run: State;
  /** seconds spent in earlier sessions of the run */
  elapsed: number;
}

/** Replaces non-finite numbers by null so a row is valid JSON. */
export function jsonRow(m: MetricsRow): MetricsRow {
  const out: MetricsRow = {};
  for (const [k, v] of Object.entries(m)) out[k] = v !== null && Number.isFinite(v) ? v : null;
  return out;
}

/** Runs a task to its end (or to stopAfter); see the file comment for the steps. */
export async function runTask<Config, Summary extends object, State, R extends DomainRun<Summary, State> = DomainRun<Summary, State>>(
  task: Task<Config, Summary, State, R>,
  config: Config,
  opts: RunOptions = {},
): Promise<RunResult<Summary, R>> {
  const t0 = performance.now();
  const log = opts.log ?? ((line: string) => console.error(line));
  // 1. the run's storage (a new run directory, or the checkpoint of an earlier session): checked before any work starts
  const dir =
    opts.storage ?? (opts.out ? await runDirStorage(opts.out, task.configJson(config), opts.resume ?? false, [...(task.resumeIgnoreKeys ?? [])]) : undefined);
  const people = opts.people?.(dir?.path);
  // 2. the domain's run
  const ctx: TaskContext = {
    judgeMode: people?.mode ?? 'simulated',
    judge: (teacher, maker) => (people ? people.judge(teacher, maker) : teacher),
    log,
    ...(dir ? { dir: dir.path } : {}),
  };
  let ok = false;
  let made: R | undefined;
  let progress: Progress | undefined;
  try {
    const run = (made = await task.create(config, ctx));
    let start = 0;
    let elapsed = 0;
    let rows: MetricsRow[] = [];
    if (dir) {
      if (opts.resume && (await dir.hasCheckpoint())) {
        const ck = await dir.loadCheckpoint<CheckpointState<State>>();
        start = ck.iteration;
        elapsed = ck.state.elapsed;
        await dir.truncate(start, 'metrics');
        await dir.truncate(start, 'timing');
        for (const r of task.records ?? []) await dir.truncate(start, r, 'step');
        rows = await dir.readMetrics();
        await run.restore(ck.state.run, ck.arrays, rows);
      } else {
        await dir.truncate(0, 'metrics');
        await dir.truncate(0, 'timing');
        for (const r of task.records ?? []) await dir.truncate(0, r, 'step');
      }
    }
    // 3. the iterations, a checkpoint after every one
    const quiet = (opts.quiet ?? false) || people !== undefined; // log-in lines and waits would fight a bar
    progress = opts.progress
      ? opts.progress(task.name, run.iterations)
      : quiet
        ? { update() {}, stop() {} }
        : (await import('./progress.js')).createProgress(task.name, run.iterations);
    let stopped = false;
    for (let it = start + 1; it <= run.iterations; it++) {
      const event = await run.iterate(it);
      rows.push(event.metrics);
      if (dir) {
        await dir.append('metrics', jsonRow(event.metrics));
        if (event.timing) await dir.append('timing', event.timing);
        for (const [name, rows] of Object.entries(event.records ?? {})) for (const row of rows) await dir.append(name, row);
      }
      progress.update(it, run.progressFields(event.metrics));
      if (people) await people.publish(event, run.figures?.(it) ?? []);
      await opts.onIteration?.(event);
      run.afterIteration?.(it);
      if (dir) {
        const snap = await run.snapshot();
        const state: CheckpointState<State> = { run: snap.state, elapsed: elapsed + (performance.now() - t0) / 1000 };
        await dir.saveCheckpoint(it, state, snap.arrays);
      }
      if (opts.stopAfter !== undefined && it >= opts.stopAfter && it < run.iterations) {
        if (opts.stopHard) process.exit(75); // as if killed: no summary, no report, no cleanup
        stopped = true;
        break;
      }
    }
    progress.stop();
    const where = dir?.path !== undefined ? { dir: dir.path } : {};
    ok = true;
    if (stopped) return { summary: undefined, run, metrics: rows, stopped, ...where };
    // 4. summary and report
    const summary = run.summarize(rows, elapsed + (performance.now() - t0) / 1000);
    if (dir) {
      await dir.writeSummary(summary);
      if (dir.path !== undefined && (opts.report ?? true) && run.writeReport) await run.writeReport(dir.path, rows, summary);
    }
    return { summary, run, metrics: rows, stopped: false, ...where };
  } finally {
    progress?.stop();
    await made?.dispose?.();
    await people?.close(ok);
  }
}

/**
 * A task in one file: what a user's module exports for `rlhf run ./my-task.js` (examples/custom-task.ts is one). The
 * command line reads its options' flags (src/core/config: defineOptions), resolves the config, and runs `create`'s
 * DomainRun through runTask — with a run directory, resume, a report, `--judge human|mixed` and the dashboard, as the
 * built-in domains get.
 */
export interface TaskModule<Config, Summary extends object, State = unknown> {
  /** the task's name: run directory prefix (runs/<name>-<time>), the store's run domain, the progress label */
  name: string;
  /** one line for --help */
  title: string;
  /** the config's options, each described once (defineOptions): flags, defaults, ranges and --help come from them */
  options: OptionSet<Config, never> | OptionSet<Config>;
  create(config: Config, ctx: TaskContext): Promise<DomainRun<Summary, State>>;
  /** the line printed after a run without --json (default: the summary as JSON) */
  headline?(summary: Summary, config: Config, dir: string | undefined): string;
}

/** Types a task module (an identity: `export default defineTask({ … })` checks the shapes at compile time). */
export function defineTask<Config, Summary extends object, State = unknown>(t: TaskModule<Config, Summary, State>): TaskModule<Config, Summary, State> {
  return t;
}

/** The driver's Task for a task module: config.json is the resolved config, resumable with the options' resume keys. */
export function taskOf<Config, Summary extends object, State>(t: TaskModule<Config, Summary, State>): Task<Config, Summary, State> {
  return {
    name: t.name,
    configJson: (c) => JSON.parse(JSON.stringify(c, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) as JsonObject,
    resumeIgnoreKeys: t.options.resumeKeys,
    create: (c, ctx) => t.create(c, ctx),
  };
}
