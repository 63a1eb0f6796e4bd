/**
 * Judgements in and out of the page as JSONL, in the generic format of `rlhf export` / `rlhf import`
 * (src/feedback/jsonl.ts, docs/store.md): one judgement per line with its whole query,
 *   {"domain", "query": {id, runId, kind, samples, iteration, predicted?}, "wanted", "annotator", "judgement", "createdAt"}
 * so a file exported here imports into a labeling server's store (`rlhf import FILE`), and a file exported there (of a
 * run with the same settings) continues a run here. Lines are checked with the store's own validators
 * (src/feedback/validate.ts); one bad line fails the whole import, naming the line and the field.
 */
import type { GenericLine } from '../../src/feedback/jsonl.js';
import type { JudgementRecord, Query } from '../../src/feedback/types.js';
import {
  FieldError,
  JUDGE_NAME_PATTERN,
  checkJudgementFitsQuery,
  expectId,
  expectObject,
  rejectUnknownKeys,
  validateJudgement,
  validateQuery,
} from '../../src/feedback/validate.js';

/** The query as `rlhf export` writes it (plainQuery: the same keys in the same order). */
function plainQuery(q: Query): Query {
  const p: Query = { id: q.id, runId: q.runId, kind: q.kind, samples: q.samples, iteration: q.iteration };
  if (q.predicted !== undefined) p.predicted = q.predicted;
  return p;
}

/** The run's judgements as JSONL text (one line each, in the order they were made). */
export function exportJsonl(domain: string, queries: Query[], records: JudgementRecord[]): { text: string; lines: number } {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const lines: string[] = [];
  for (const r of records) {
    const q = byId.get(r.queryId);
    if (!q) throw new Error(`judgement on query "${r.queryId}" has no query in this browser`);
    const line: GenericLine = { domain, query: plainQuery(q), wanted: 1, annotator: r.annotator, judgement: r.judgement, createdAt: r.createdAt };
    lines.push(JSON.stringify(line));
  }
  return { text: lines.length > 0 ? `${lines.join('\n')}\n` : '', lines: lines.length };
}

/** A bad line of an imported file (1-based). */
export class ImportLineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message} (nothing was imported)`);
  }
}

export interface ParsedImport {
  domain: string;
  /** the run the lines belong to (one per file) */
  runId: string;
  queries: Query[];
  records: JudgementRecord[];
}

/** Parses a generic-format JSONL text; every line is validated before anything is used. */
export function parseJsonlImport(text: string): ParsedImport {
  const queries = new Map<string, Query>();
  const records: JudgementRecord[] = [];
  let domain: string | undefined;
  let runId: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    try {
      let o: unknown;
      try {
        o = JSON.parse(raw);
      } catch (e) {
        throw new FieldError('line', `not JSON: ${(e as Error).message}`);
      }
      const obj = expectObject(o, '');
      if ('chosen' in obj || 'rejected' in obj) throw new FieldError('line', 'a TRL line (prompt/chosen/rejected): the gridworld continues from the generic format (rlhf export --format generic)');
      rejectUnknownKeys(obj, ['domain', 'query', 'wanted', 'annotator', 'judgement', 'createdAt'], '');
      const d = expectId(obj.domain, 'domain');
      const query = validateQuery(obj.query, 'query');
      const annotator = expectId(obj.annotator, 'annotator', JUDGE_NAME_PATTERN);
      const judgement = validateJudgement(obj.judgement, 'judgement');
      checkJudgementFitsQuery(judgement, query, 'judgement');
      if (typeof obj.createdAt !== 'string' || Number.isNaN(Date.parse(obj.createdAt))) throw new FieldError('createdAt', 'expected an ISO 8601 date string');
      if (domain !== undefined && d !== domain) throw new FieldError('domain', `"${d}", but line 1 is of "${domain}": one run per file`);
      if (runId !== undefined && query.runId !== runId) throw new FieldError('query.runId', `"${query.runId}", but earlier lines are of run "${runId}": one run per file`);
      domain = d;
      runId = query.runId;
      queries.set(query.id, query);
      records.push({ queryId: query.id, runId: query.runId, annotator, judgement, createdAt: new Date(obj.createdAt).toISOString() });
    } catch (e) {
      throw new ImportLineError(n, (e as Error).message);
    }
  });
  if (domain === undefined || runId === undefined) throw new ImportLineError(1, 'the file has no judgement');
  return { domain, runId, queries: [...queries.values()], records };
}
