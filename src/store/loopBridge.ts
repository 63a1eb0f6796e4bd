/**
 * What the RLHF loop calls in-process to put people in the loop: post an iteration's queries, wait until enough
 * are answered (with a timeout), find the unanswered ones (for a teacher to fill in), and emit metrics for the
 * dashboard. The server serves the same store, so annotators see the queries as soon as they are posted.
 */
import { RlhfError } from '../core/errors.js';
import type { JudgementRecord, Query } from '../feedback/types.js';
import { notFound } from './common.js';
import type { AddQueriesOptions, FeedbackStore, JsonObject, MetricEvent, NewRun, Run } from './types.js';

/** Adds an iteration's queries to the run (validated, all or nothing). Returns how many were added. */
export async function postQueries(store: FeedbackStore, runId: string, queries: Query[], opts: AddQueriesOptions = {}): Promise<number> {
  return store.addQueries(
    runId,
    queries.map((q) => ({ ...q, runId })),
    opts,
  );
}

export interface WaitOptions {
  /** how often to look at the store, ms (default 200) */
  pollMs?: number;
  /** stops waiting early (resolves with what exists, timedOut = true) */
  signal?: AbortSignal;
  /** mark the run `waiting` while waiting and `running` after (default true) */
  setStatus?: boolean;
}

export interface WaitResult {
  /** every judgement of the iteration, in insertion order (skips included) */
  judgements: JudgementRecord[];
  /** true when the timeout (or the abort signal) ended the wait before `count` judgements existed */
  timedOut: boolean;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Waits until the run's iteration has at least `count` judgements or `timeoutMs` passed, whichever is first.
 * Appends a `judgements` event ({ count, iteration }) at the end.
 */
export async function waitForJudgements(
  store: FeedbackStore,
  runId: string,
  iteration: number,
  count: number,
  timeoutMs: number,
  opts: WaitOptions = {},
): Promise<WaitResult> {
  const pollMs = opts.pollMs ?? 200;
  const setStatus = opts.setStatus ?? true;
  if (!(await store.getRun(runId))) throw notFound('run', runId);
  const deadline = Date.now() + timeoutMs;
  if (setStatus) await store.updateRun(runId, { status: 'waiting' });
  let n = await store.countJudgements(runId, { iteration });
  try {
    while (n < count && Date.now() < deadline && !opts.signal?.aborted) {
      await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())), opts.signal);
      n = await store.countJudgements(runId, { iteration });
    }
  } finally {
    if (setStatus) {
      const run = await store.getRun(runId);
      if (run?.status === 'waiting') await store.updateRun(runId, { status: 'running' });
    }
  }
  const judgements = await store.listJudgements(runId, { iteration, limit: 1_000_000 });
  await store.appendEvent(runId, { type: 'judgements', iteration, data: { count: judgements.length, iteration } });
  return { judgements, timedOut: judgements.length < count };
}

/** The iteration's queries that still want judgements (judged < wanted), e.g. for a teacher under `--judge mixed`. */
export async function unansweredQueries(store: FeedbackStore, runId: string, iteration: number): Promise<Query[]> {
  const out: Query[] = [];
  for (const status of ['pending', 'leased'] as const) {
    for (let offset = 0; ; offset += 1000) {
      const page = await store.listQueries(runId, { iteration, status, limit: 1000, offset });
      for (const q of page) {
        const plain: Query = { id: q.id, runId: q.runId, kind: q.kind, samples: q.samples, iteration: q.iteration };
        if (q.predicted !== undefined) plain.predicted = q.predicted;
        out.push(plain);
      }
      if (page.length < 1000) break;
    }
  }
  return out;
}

/** Appends a `metrics` event: namespaced keys (`reward/loss`, ...) → numbers, shown live on the dashboard. */
export async function emitMetrics(store: FeedbackStore, runId: string, iteration: number | null, data: JsonObject): Promise<MetricEvent> {
  return store.appendEvent(runId, { type: 'metrics', iteration, data });
}

/** Creates the run, or returns the existing one after applying the given status/config. */
export async function ensureRun(store: FeedbackStore, run: NewRun): Promise<Run> {
  const existing = await store.getRun(run.id);
  if (!existing) {
    try {
      return await store.createRun(run);
    } catch (e) {
      if (!(e instanceof RlhfError && e.code === 'E_CONFLICT')) throw e;
    }
  }
  const patch: Parameters<FeedbackStore['updateRun']>[1] = {};
  if (run.status !== undefined) patch.status = run.status;
  if (run.config !== undefined) patch.config = run.config;
  return store.updateRun(run.id, patch);
}
