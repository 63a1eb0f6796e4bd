/**
 * A run's directory: the one place a run writes to, with the same layout for every domain.
 *
 *   config.json         the resolved config (written once, at the start; --resume checks it matches)
 *   metrics.jsonl       one JSON object per iteration (namespaced keys, docs/metrics.md)
 *   summary.json        the final summary
 *   checkpoint.json     loop state at the last finished iteration (+ checkpoint.safetensors for arrays)
 *   report.html, *.svg, *.png   what the report module draws
 *
 * Every write of state is atomic (temp file + rename): a run killed at any moment resumes from its last checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, appendFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError, ConfigError } from '../core/errors.js';
import { readSafetensors, serializeSafetensors, type TensorToWrite, type NamedTensor } from '../core/safetensors.js';

/** Writes a file atomically: a reader sees the old or the new content, never half. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Default run directory: runs/<domain>-<YYYYMMDD-HHMMSS>. */
export function defaultRunDir(domain: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return join('runs', `${domain}-${stamp}`);
}

/** What a checkpoint holds: JSON state (iteration, RNG states, ...) plus named arrays. */
export interface Checkpoint<S> {
  iteration: number;
  state: S;
  arrays: Map<string, NamedTensor>;
}

export class RunDir {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens a run directory. A new run refuses a directory that already holds a run (use --resume or another --out);
   * a resumed run requires the same config (ignoring `ignoreKeys`, e.g. iterations may be extended).
   */
  static open(path: string, config: object, opts: { resume: boolean; ignoreKeys?: string[] }): RunDir {
    const dir = new RunDir(resolve(path));
    const cfgPath = join(dir.path, 'config.json');
    if (opts.resume) {
      if (!existsSync(cfgPath)) throw new ConfigError('resume', `--resume: no run in ${dir.path} (config.json is missing); drop --resume to start a new run`);
      const old = readJson<Record<string, unknown>>(cfgPath);
      const now = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
      const ignore = new Set(opts.ignoreKeys ?? []);
      const keys = new Set([...Object.keys(old), ...Object.keys(now)]);
      for (const k of keys) {
        if (ignore.has(k)) continue;
        if (JSON.stringify(old[k]) !== JSON.stringify(now[k]))
          throw new ConfigError('resume', `--resume: option "${k}" differs from the run in ${dir.path} (was ${JSON.stringify(old[k])}, now ${JSON.stringify(now[k])}); pass the same options`);
      }
      writeJson(cfgPath, config);
      return dir;
    }
    if (existsSync(cfgPath)) throw new ConfigError('out', `--out ${path} already holds a run; pass --resume to continue it or choose another --out`);
    if (existsSync(dir.path) && readdirSync(dir.path).length > 0 && !existsSync(cfgPath)) {
      // a non-empty directory that is not a run: refuse, so we never mix files
      throw new ConfigError('out', `--out ${path} is a non-empty directory that is not a run; choose an empty or new directory`);
    }
    mkdirSync(dir.path, { recursive: true });
    writeJson(cfgPath, config);
    return dir;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /** Appends one metrics row (a JSON line). */
  appendMetrics(row: Record<string, number | string | null>): void {
    this.appendJsonl('metrics.jsonl', row);
  }

  /** Appends one JSON line to any JSONL file of the run (e.g. timing.jsonl). */
  appendJsonl(name: string, row: object): void {
    appendFileSync(this.file(name), `${JSON.stringify(row)}\n`);
  }

  /** All metrics rows so far (or the rows of another JSONL file of the run). */
  readMetrics(name = 'metrics.jsonl'): Array<Record<string, number>> {
    const p = this.file(name);
    if (!existsSync(p)) return [];
    return readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as Record<string, number>);
  }

  /** On resume: keep only metrics rows with `key` ≤ `last` (rows written after the checkpoint are redone). */
  truncateMetrics(last: number, key = 'iteration', name = 'metrics.jsonl'): void {
    const rows = this.readMetrics(name).filter((r) => (r[key] ?? Infinity) <= last);
    writeFileAtomic(this.file(name), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  writeSummary(summary: object): void {
    writeJson(this.file('summary.json'), summary);
  }

  /**
   * Saves a checkpoint: arrays first, then the JSON that names the iteration (its rename commits the checkpoint).
   * The arrays alternate between two files, so the file the current checkpoint.json names is never the one being
   * written: a plain write suffices there, and only the JSON pays for an atomic rename (one per iteration; a rename
   * over an existing file makes ext4 flush, which costs milliseconds on a busy disk).
   */
  saveCheckpoint<S>(iteration: number, state: S, arrays: Record<string, TensorToWrite> = {}): void {
    const tensorsFile = `checkpoint-${iteration % 2}.safetensors`; // alternate, so the previous stays valid until the JSON moves
    writeFileSync(this.file(tensorsFile), serializeSafetensors(arrays));
    writeJson(this.file('checkpoint.json'), { iteration, tensorsFile, state });
  }

  hasCheckpoint(): boolean {
    return existsSync(this.file('checkpoint.json'));
  }

  loadCheckpoint<S>(): Checkpoint<S> {
    if (!this.hasCheckpoint()) throw new CheckpointError(`no checkpoint in ${this.path}: the run stopped before its first iteration finished; start it again without --resume`);
    const j = readJson<{ iteration: number; tensorsFile: string; state: S }>(this.file('checkpoint.json'));
    const { tensors } = readSafetensors(this.file(j.tensorsFile));
    return { iteration: j.iteration, state: j.state, arrays: tensors };
  }
}
