/**
 * The labeling server's HTTP API (docs/api.md) as typed functions. The token lives in localStorage; every call
 * sends it as a Bearer header. Errors come back as ApiError with the server's status, code and offending field.
 */
import type { Judgement, JudgementRecord, Query } from '../../src/feedback/types.js';
import type { Agreement } from '../../src/store/agreement.js';
import type { Annotator, MetricEvent, Run, RunStats, RunStatus } from '../../src/store/types.js';

export type { Judgement, JudgementRecord, Query, Agreement, Annotator, MetricEvent, Run, RunStats, RunStatus };
export type { Sample, Preference, QueryKind } from '../../src/feedback/types.js';

const TOKEN_KEY = 'rlhf.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

/** A non-2xx answer: `status` (HTTP), `code` (E_AUTH, E_CONFLICT, ...), `field` (dotted path) when the server named one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called on 401 (unknown or revoked token): the app forgets the token and shows the login page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

async function call<T>(method: string, path: string, body?: unknown, token = getToken()): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'E_NETWORK', `cannot reach the server (${(e as Error).message})`);
  }
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON: reported below */
    }
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, err?.code ?? 'E_HTTP', err?.message ?? `${method} ${path}: HTTP ${res.status}`, err?.field);
  }
  return json as T;
}

const enc = encodeURIComponent;

export interface RunSummary {
  id: string;
  domain: string;
  status: RunStatus;
  /** queries the caller could still be handed */
  queue: number;
  /** judgements the caller gave */
  labels: number;
}

export interface Progress {
  runId: string;
  labels: number;
  labelsAllRuns: number;
  queue: number;
  leased: number;
}

export type LeaseAnswer = { query: Query; leaseExpiresAt: string } | { query: null; retryAfterMs: number };

export const api = {
  me: (token?: string) => call<{ annotator: Annotator }>('GET', '/api/me', undefined, token ?? getToken()),
  myRuns: () => call<{ runs: RunSummary[] }>('GET', '/api/me/runs'),
  progress: (runId: string) => call<Progress>('GET', `/api/me/progress?runId=${enc(runId)}`),
  lease: (runId: string, leaseSeconds?: number) =>
    call<LeaseAnswer>('POST', `/api/runs/${enc(runId)}/lease`, leaseSeconds === undefined ? {} : { leaseSeconds }),
  releaseLease: (queryId: string) => call<{ released: boolean }>('DELETE', `/api/queries/${enc(queryId)}/lease`),
  judge: (queryId: string, judgement: Judgement) =>
    call<{ judgement: JudgementRecord; created: boolean }>('POST', `/api/queries/${enc(queryId)}/judgement`, { judgement }),
  undo: (queryId: string) => call<{ query: Query; leaseExpiresAt: string }>('DELETE', `/api/queries/${enc(queryId)}/judgement`),

  // admin
  runs: () => call<{ runs: Run[] }>('GET', '/api/runs'),
  run: (runId: string) => call<{ run: Run; stats: RunStats }>('GET', `/api/runs/${enc(runId)}`),
  stats: (runId: string) => call<RunStats>('GET', `/api/runs/${enc(runId)}/stats`),
  agreement: (runId: string) => call<Agreement>('GET', `/api/runs/${enc(runId)}/agreement`),
  annotators: () => call<{ annotators: Annotator[] }>('GET', '/api/annotators'),
  createAnnotator: (name: string, role: 'admin' | 'annotator' = 'annotator') =>
    call<{ annotator: Annotator; token: string }>('POST', '/api/annotators', { name, role }),
  newToken: (name: string) => call<{ annotator: Annotator; token: string }>('POST', `/api/annotators/${enc(name)}/token`),
};

/** The SSE URL of a run's events (EventSource cannot send headers, so the token goes in the query string). */
export function eventsUrl(runId: string): string {
  return `/api/runs/${enc(runId)}/events?token=${enc(getToken() ?? '')}`;
}
