/**
 * JSONL export and import of judgements (format in docs/store.md):
 *   - `trl`: the Hugging Face TRL preference format, one `{"prompt", "chosen", "rejected"}` per line, for the text
 *     domain (sample payloads `{ prompt, response }`); comparisons with a winner and rankings (as all ordered
 *     pairs) are exported, ties/skips and other kinds are counted as skipped;
 *   - `generic`: one judgement per line with its whole query (samples with their payloads), for every domain.
 * Import validates every line first and imports nothing when one is bad (the error names the line number and the
 * field); the store applies the batch in one transaction.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DataError } from '../core/errors.js';
import type { FeedbackStore, ImportBatch, ImportResult, NewRun, QueryState } from '../store/types.js';
import type { Judgement, JudgementRecord, Query, Sample } from './types.js';
import {
  FieldError,
  JUDGE_NAME_PATTERN,
  canonicalJson,
  checkJudgementFitsQuery,
  expectId,
  expectObject,
  rejectUnknownKeys,
  validateJudgement,
  validateQuery,
} from './validate.js';

export type JsonlFormat = 'trl' | 'generic';

/** One line of the generic format. */
export interface GenericLine {
  /** the domain of the run (creates the run on import when missing) */
  domain: string;
  /** the query, with its runId, iteration and samples (payloads included) */
  query: Query;
  /** how many annotators should judge the query (default 1) */
  wanted?: number;
  annotator: string;
  judgement: Judgement;
  /** ISO 8601 */
  createdAt: string;
}

/** One line of the TRL preference format. */
export interface TrlLine {
  prompt: string;
  chosen: string;
  rejected: string;
}

/** A bad line: `line` is 1-based, `field` the dotted path inside the line's JSON when known. */
export class JsonlLineError extends DataError {
  readonly line: number;
  readonly field: string | undefined;
  constructor(line: number, message: string, field?: string) {
    super(`line ${line}: ${message} (nothing was imported)`);
    this.line = line;
    this.field = field;
  }
}

// ---- export --------------------------------------------------------------------------------------------------

export interface ExportOptions {
  /** 'auto' (default): trl for the text domain, generic otherwise */
  format?: JsonlFormat | 'auto';
  /** only this iteration */
  iteration?: number;
}

export interface ExportResult {
  format: JsonlFormat;
  /** lines written */
  lines: number;
  /** judgements not representable in the format (trl: ties, skips, ratings, corrections) */
  skipped: number;
}

/** The text of a text-domain sample: payload `{ prompt, response }` (`completion` or `text` accepted too). */
function textOf(s: Sample, field: string): { prompt: string; response: string } {
  const p = s.payload as Record<string, unknown> | null;
  const response = p?.response ?? p?.completion ?? p?.text;
  if (typeof response !== 'string') {
    throw new DataError(`${field}: sample "${s.id}" has no text payload ({ prompt, response }); export it with --format generic`);
  }
  return { prompt: typeof p?.prompt === 'string' ? p.prompt : '', response };
}

/** TRL rows for one judgement (0 for ties, skips and kinds without an order). */
export function trlRows(q: Query, j: Judgement): TrlLine[] {
  const byId = new Map(q.samples.map((s) => [s.id, s]));
  const pair = (win: string, lose: string): TrlLine => {
    const w = textOf(byId.get(win)!, `query ${q.id}`);
    const l = textOf(byId.get(lose)!, `query ${q.id}`);
    return { prompt: w.prompt, chosen: w.response, rejected: l.response };
  };
  if (j.kind === 'comparison') {
    if (j.preferred === 'left') return [pair(j.leftId, j.rightId)];
    if (j.preferred === 'right') return [pair(j.rightId, j.leftId)];
    return [];
  }
  if (j.kind === 'ranking') {
    const rows: TrlLine[] = [];
    for (let a = 0; a < j.sampleIds.length; a++) {
      for (let b = a + 1; b < j.sampleIds.length; b++) rows.push(pair(j.sampleIds[a]!, j.sampleIds[b]!));
    }
    return rows;
  }
  return [];
}

async function allQueries(store: FeedbackStore, runId: string, iteration?: number): Promise<Map<string, QueryState>> {
  const out = new Map<string, QueryState>();
  for (let offset = 0; ; offset += 5000) {
    const page = await store.listQueries(runId, { limit: 5000, offset, ...(iteration !== undefined ? { iteration } : {}) });
    for (const q of page) out.set(q.id, q);
    if (page.length < 5000) return out;
  }
}

function plainQuery(q: QueryState): Query {
  const p: Query = { id: q.id, runId: q.runId, kind: q.kind, samples: q.samples, iteration: q.iteration };
  if (q.predicted !== undefined) p.predicted = q.predicted;
  return p;
}

/** Yields the run's judgements as JSONL lines (without newlines), in insertion order. */
export async function* exportLines(store: FeedbackStore, runId: string, opts: ExportOptions = {}, result?: ExportResult): AsyncGenerator<string> {
  const run = await store.getRun(runId);
  if (!run) throw new DataError(`run "${runId}" does not exist in ${store.location}`);
  const format: JsonlFormat = opts.format === undefined || opts.format === 'auto' ? (run.domain === 'text' ? 'trl' : 'generic') : opts.format;
  const res = result ?? { format, lines: 0, skipped: 0 };
  res.format = format;
  const queries = await allQueries(store, runId, opts.iteration);
  for (let offset = 0; ; offset += 5000) {
    const page = await store.listJudgements(runId, { limit: 5000, offset, ...(opts.iteration !== undefined ? { iteration: opts.iteration } : {}) });
    for (const r of page) {
      const q = queries.get(r.queryId);
      if (!q) throw new DataError(`judgement on query "${r.queryId}" has no query in the store`);
      if (format === 'trl') {
        const rows = trlRows(q, r.judgement);
        if (rows.length === 0) res.skipped++;
        for (const row of rows) {
          res.lines++;
          yield JSON.stringify(row);
        }
      } else {
        const line: GenericLine = { domain: run.domain, query: plainQuery(q), wanted: q.wanted, annotator: r.annotator, judgement: r.judgement, createdAt: r.createdAt };
        res.lines++;
        yield JSON.stringify(line);
      }
    }
    if (page.length < 5000) break;
  }
}

/** Writes the run's judgements to a JSONL file (atomically: a temporary file renamed into place). */
export async function exportJsonlFile(store: FeedbackStore, runId: string, path: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const result: ExportResult = { format: 'generic', lines: 0, skipped: 0 };
  const lines: string[] = [];
  for await (const l of exportLines(store, runId, opts, result)) lines.push(l);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  renameSync(tmp, path);
  return result;
}

// ---- import --------------------------------------------------------------------------------------------------

export interface ImportOptions {
  /** 'auto' (default): decided by the first line (`chosen`/`rejected` → trl, `query` → generic) */
  format?: JsonlFormat | 'auto';
  /** trl: the run to import into (required); generic: overrides every line's run */
  runId?: string;
  /** trl: who is recorded as the judge (default "imported") */
  annotator?: string;
  /** trl: the domain of a run created by the import (default "text") */
  domain?: string;
  /** the time recorded for trl lines (default now) */
  createdAt?: string;
}

function withLine<T>(line: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FieldError) throw new JsonlLineError(line, e.message, e.field);
    if (e instanceof JsonlLineError) throw e;
    if (e instanceof Error) throw new JsonlLineError(line, e.message);
    throw e;
  }
}

function parseGeneric(o: Record<string, unknown>, opts: ImportOptions): { run: NewRun; query: Query; wanted: number; record: JudgementRecord } {
  rejectUnknownKeys(o, ['domain', 'query', 'wanted', 'annotator', 'judgement', 'createdAt'], '');
  const domain = expectId(o.domain, 'domain');
  const rawQuery = expectObject(o.query, 'query');
  const query = validateQuery(opts.runId !== undefined ? { ...rawQuery, runId: opts.runId } : rawQuery, 'query');
  const wanted = o.wanted === undefined ? 1 : o.wanted;
  if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted < 1 || wanted > 100) throw new FieldError('wanted', 'expected an integer in 1..100');
  const annotator = expectId(o.annotator, 'annotator', JUDGE_NAME_PATTERN);
  const judgement = validateJudgement(o.judgement, 'judgement');
  checkJudgementFitsQuery(judgement, query, 'judgement');
  if (typeof o.createdAt !== 'string' || Number.isNaN(Date.parse(o.createdAt))) throw new FieldError('createdAt', 'expected an ISO 8601 date string');
  const createdAt = new Date(o.createdAt).toISOString();
  return { run: { id: query.runId, domain }, query, wanted, record: { queryId: query.id, runId: query.runId, annotator, judgement, createdAt } };
}

function parseTrl(o: Record<string, unknown>, opts: Required<Pick<ImportOptions, 'runId' | 'annotator' | 'domain' | 'createdAt'>>): { query: Query; record: JudgementRecord } {
  rejectUnknownKeys(o, ['prompt', 'chosen', 'rejected'], '');
  const prompt = o.prompt === undefined ? '' : o.prompt;
  if (typeof prompt !== 'string') throw new FieldError('prompt', 'expected a string (conversational TRL data is not supported)');
  for (const k of ['chosen', 'rejected'] as const) {
    if (typeof o[k] !== 'string') throw new FieldError(k, 'expected a string (conversational TRL data is not supported)');
  }
  const chosen = o.chosen as string;
  const rejected = o.rejected as string;
  // the content is the identity: re-importing the same file finds the same queries
  const id = `trl-${createHash('sha256').update(`${prompt}\u0000${chosen}\u0000${rejected}`).digest('hex').slice(0, 24)}`;
  const query: Query = {
    id,
    runId: opts.runId,
    kind: 'comparison',
    iteration: 0,
    samples: [
      { id: `${id}-c`, domain: opts.domain, payload: { prompt, response: chosen } },
      { id: `${id}-r`, domain: opts.domain, payload: { prompt, response: rejected } },
    ],
  };
  const judgement: Judgement = { kind: 'comparison', leftId: `${id}-c`, rightId: `${id}-r`, preferred: 'left' };
  return { query, record: { queryId: id, runId: opts.runId, annotator: opts.annotator, judgement, createdAt: opts.createdAt } };
}

/** Parses and validates a whole JSONL text into an import batch; throws JsonlLineError at the first bad line. */
export function parseJsonl(text: string, opts: ImportOptions = {}): { batch: ImportBatch; format: JsonlFormat; lines: number } {
  const batch: ImportBatch = { runs: [], queries: [], judgements: [] };
  const runs = new Map<string, string>();
  /** query id → canonical content, so a file that repeats a query with other content fails at that line */
  const seenQueries = new Map<string, string>();
  const addQuery = (query: Query, wanted: number) => {
    const text = canonicalJson(query);
    const prev = seenQueries.get(query.id);
    if (prev === undefined) {
      seenQueries.set(query.id, text);
      batch.queries.push({ query, wanted });
    } else if (prev !== text) {
      throw new FieldError('query', `query "${query.id}" appears on an earlier line with different content`);
    }
  };
  let format: JsonlFormat | undefined = opts.format === 'auto' ? undefined : opts.format;
  let lines = 0;
  const rows = text.split('\n');
  rows.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new JsonlLineError(lineNo, `not valid JSON (${(e as Error).message})`);
    }
    withLine(lineNo, () => {
      const o = expectObject(value, 'line');
      if (format === undefined) format = 'chosen' in o || 'rejected' in o ? 'trl' : 'generic';
      if (format === 'trl') {
        if (opts.runId === undefined) throw new DataError('importing TRL lines needs the run to import into (--run)');
        const domain = opts.domain ?? 'text';
        expectId(opts.runId, 'runId');
        const { query, record } = parseTrl(o, {
          runId: opts.runId,
          annotator: opts.annotator ?? 'imported',
          domain,
          createdAt: opts.createdAt ?? new Date().toISOString(),
        });
        if (!runs.has(opts.runId)) {
          runs.set(opts.runId, domain);
          batch.runs.push({ id: opts.runId, domain });
        }
        addQuery(query, 1);
        batch.judgements.push(record);
      } else {
        const { run, query, wanted, record } = parseGeneric(o, opts);
        const known = runs.get(run.id);
        if (known === undefined) {
          runs.set(run.id, run.domain);
          batch.runs.push(run);
        } else if (known !== run.domain) {
          throw new FieldError('domain', `run "${run.id}" has domain ${known} on an earlier line`);
        }
        addQuery(query, wanted);
        batch.judgements.push(record);
      }
    });
    lines++;
  });
  return { batch, format: format ?? 'generic', lines };
}

/** Validates every line, then imports the whole file in one transaction (nothing on any error). */
export async function importJsonl(store: FeedbackStore, text: string, opts: ImportOptions = {}): Promise<ImportResult & { lines: number; format: JsonlFormat }> {
  const { batch, format, lines } = parseJsonl(text, opts);
  const res = await store.importBatch(batch);
  return { ...res, lines, format };
}

/** importJsonl on a file. */
export async function importJsonlFile(store: FeedbackStore, path: string, opts: ImportOptions = {}): Promise<ImportResult & { lines: number; format: JsonlFormat }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return importJsonl(store, text, opts);
}
