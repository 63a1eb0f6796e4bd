/**
 * The run driver of a domain whose trainer advances one iteration per `step()` (line, adder): run directory (config,
 * metrics, a checkpoint after every iteration, `--resume`), progress bar, the stop-after test hook, summary and
 * report. A domain supplies its trainer and three functions; runLine / runAdder are thin layers over this.
 */
import type { NamedTensor, TensorToWrite } from '../core/safetensors.js';
import { RunDir } from './runDir.js';
import { createProgress } from './progress.js';

/** What the driver needs of a trainer. */
export interface SteppedTrainer<Row, State> {
  readonly iteration: number;
  readonly done: boolean;
  /** one iteration; its metrics row */
  step(): Row;
  checkpoint(): { state: State; arrays: Record<string, TensorToWrite> };
  restore(state: State, arrays: Map<string, NamedTensor>): void;
}

export interface SteppedRunOptions<Row, T> {
  /** run directory; without it nothing is written */
  out?: string;
  /** continue the run in `out` from its last checkpoint */
  resume?: boolean;
  quiet?: boolean;
  /** draw the figures and report.html (default true when `out` is set) */
  report?: boolean;
  /** test hook: stop after this iteration's checkpoint (with stopHard: exit the process, as a kill would) */
  stopAfter?: number;
  stopHard?: boolean;
  /** called after every iteration with its metrics row */
  onIteration?: (row: Row, trainer: T) => void;
}

export interface SteppedRunResult<Row, T, Summary> {
  summary: Summary | undefined;
  trainer: T;
  metrics: Row[];
  stopped: boolean;
  dir?: string;
}

/** The domain's part. */
export interface SteppedDomain<Row, T, Summary> {
  /** progress-bar label */
  name: string;
  /** iterations in the whole run (the progress bar's total) */
  total: number;
  /** config.json; `ignoreKeys` may differ on --resume (e.g. a longer run) */
  configJson: Record<string, unknown>;
  ignoreKeys: string[];
  /** the progress bar's fields after an iteration */
  progressFields(row: Row, trainer: T): Record<string, number>;
  summarize(trainer: T, rows: Row[], seconds: number): Summary;
  writeReport(dir: string, trainer: T, rows: Row[], summary: Summary): Promise<unknown>;
}

interface CheckpointState<State> {
  trainer: State;
  /** seconds spent in earlier sessions of the run */
  elapsed: number;
}

export async function runStepped<Row extends object, State, T extends SteppedTrainer<Row, State>, Summary extends object>(
  tr: T,
  domain: SteppedDomain<Row, T, Summary>,
  opts: SteppedRunOptions<Row, T> = {},
): Promise<SteppedRunResult<Row, T, Summary>> {
  const t0 = performance.now();
  // 1. the run directory (new, or the checkpoint of an earlier session)
  let dir: RunDir | undefined;
  let elapsed = 0;
  let rows: Row[] = [];
  if (opts.out) {
    dir = RunDir.open(opts.out, domain.configJson, { resume: opts.resume ?? false, ignoreKeys: domain.ignoreKeys });
    let start = 0;
    if (opts.resume && dir.hasCheckpoint()) {
      const ck = dir.loadCheckpoint<CheckpointState<State>>();
      tr.restore(ck.state.trainer, ck.arrays);
      start = ck.iteration;
      elapsed = ck.state.elapsed;
    }
    dir.truncateMetrics(start);
    rows = dir.readMetrics() as unknown as Row[];
  }
  // 2. the loop, a checkpoint after every iteration
  const progress = createProgress(domain.name, domain.total, { quiet: opts.quiet ?? false });
  let stopped = false;
  try {
    while (!tr.done) {
      const row = tr.step();
      rows.push(row);
      if (dir) {
        dir.appendMetrics(row as unknown as Record<string, number | null>);
        const ck = tr.checkpoint();
        dir.saveCheckpoint(tr.iteration, { trainer: ck.state, elapsed: elapsed + (performance.now() - t0) / 1000 } satisfies CheckpointState<State>, ck.arrays);
      }
      progress.update(tr.iteration, domain.progressFields(row, tr));
      opts.onIteration?.(row, tr);
      if (opts.stopAfter !== undefined && tr.iteration >= opts.stopAfter && !tr.done) {
        if (opts.stopHard) process.exit(75); // as if killed: no summary, no report
        stopped = true;
        break;
      }
    }
  } finally {
    progress.stop();
  }
  const where = dir ? { dir: dir.path } : {};
  if (stopped) return { summary: undefined, trainer: tr, metrics: rows, stopped, ...where };
  // 3. summary and report
  const summary = domain.summarize(tr, rows, elapsed + (performance.now() - t0) / 1000);
  if (dir) {
    dir.writeSummary(summary);
    if (opts.report ?? true) await domain.writeReport(dir.path, tr, rows, summary);
  }
  return { summary, trainer: tr, metrics: rows, stopped, ...where };
}
