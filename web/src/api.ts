/**
 * The labeling server's HTTP API (docs/api.md) as typed functions. The token lives in sessionStorage (this tab
 * only, gone when it closes; never localStorage, where any later script of the origin could read it for good)
 * and travels only in the Authorization header — the event stream too (fetch streaming, not EventSource, which
 * would need it in the URL). Errors come back as ApiError with the server's status, code and offending field.
 */
import type { Judgement, JudgementRecord, Query } from '../../src/feedback/types.js';
import type { Agreement } from '../../src/store/agreement.js';
import type { Adjudication, Annotator, AuditAction, AuditEntry, MetricEvent, Role, Run, RunStats, RunStatus } from '../../src/store/types.js';

export type { Judgement, JudgementRecord, Query, Agreement, Adjudication, Annotator, AuditEntry, MetricEvent, Role, Run, RunStats, RunStatus };
export type { Sample, Preference, QueryKind } from '../../src/feedback/types.js';

const TOKEN_KEY = 'rlhf.token';

/** sessionStorage when the browser allows it, else this page's memory. */
let memoryToken: string | null = null;
function session(): Storage | undefined {
  try {
    return sessionStorage;
  } catch {
    return undefined;
  }
}

export function getToken(): string | null {
  return session()?.getItem(TOKEN_KEY) ?? memoryToken;
}

export function setToken(token: string | null): void {
  memoryToken = token;
  const s = session();
  if (s) {
    if (token === null) s.removeItem(TOKEN_KEY);
    else s.setItem(TOKEN_KEY, token);
  }
  // earlier versions kept the token in localStorage: never leave it there
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* no storage */
  }
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

  // reviewers and admins
  runs: () => call<{ runs: Run[] }>('GET', '/api/runs'),
  run: (runId: string) => call<{ run: Run; stats: RunStats }>('GET', `/api/runs/${enc(runId)}`),
  stats: (runId: string) => call<RunStats>('GET', `/api/runs/${enc(runId)}/stats`),
  agreement: (runId: string) => call<Agreement>('GET', `/api/runs/${enc(runId)}/agreement`),
  annotators: () => call<{ annotators: Annotator[] }>('GET', '/api/annotators'),
  adjudicate: (queryId: string, judgement: Judgement, note?: string) =>
    call<{ adjudication: Adjudication }>('POST', `/api/queries/${enc(queryId)}/adjudication`, note === undefined ? { judgement } : { judgement, note }),
  adjudications: (runId: string) => call<{ adjudications: Adjudication[] }>('GET', `/api/runs/${enc(runId)}/adjudications`),
  audit: (filter: { runId?: string; annotator?: string; action?: AuditAction } = {}) =>
    call<{ audit: AuditEntry[] }>('GET', `/api/audit${query(filter)}`),
  /** where the server's store is: how to serve a run again once its server stopped */
  server: () => call<{ service: string; version: string; store: 'sqlite' | 'postgres'; location: string; storeId: string }>('GET', '/api/server'),

  // admins
  createAnnotator: (name: string, role: Role = 'annotator') => call<{ annotator: Annotator; token: string }>('POST', '/api/annotators', { name, role }),
  newToken: (name: string) => call<{ annotator: Annotator; token: string }>('POST', `/api/annotators/${enc(name)}/token`),
  setDisabled: (name: string, disabled: boolean) => call<{ annotator: Annotator }>('PATCH', `/api/annotators/${enc(name)}`, { disabled }),
};

function query(params: Record<string, string | undefined>): string {
  const kv = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return kv.length === 0 ? '' : `?${kv.map(([k, v]) => `${k}=${enc(v)}`).join('&')}`;
}

/** The `data:` messages of a server-sent-events text: complete messages, and the unfinished rest to keep. */
export function parseSse(text: string): { messages: { id?: string; data: string }[]; rest: string } {
  const messages: { id?: string; data: string }[] = [];
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) messages.push(id === undefined ? { data: data.join('\n') } : { id, data: data.join('\n') });
  }
  return { messages, rest };
}

export interface EventStreamHandlers {
  onEvent(e: MetricEvent): void;
  /** connected (true) or lost, retrying (false) */
  onState?(connected: boolean, error?: ApiError): void;
}

/**
 * A run's events (SSE) read with fetch, so the token goes in the Authorization header and never in a URL. Resumes
 * after the last event it saw when the connection drops (Last-Event-ID), waiting `retryMs` between tries, until
 * `signal` aborts; a 401/403/404 ends it.
 */
export async function streamEvents(runId: string, h: EventStreamHandlers, signal: AbortSignal, retryMs = 2000): Promise<void> {
  let last: string | undefined;
  while (!signal.aborted) {
    let failure: ApiError | undefined;
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      const token = getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
      if (last !== undefined) headers['Last-Event-ID'] = last;
      const res = await fetch(`/api/runs/${enc(runId)}/events`, { headers, signal, cache: 'no-store' });
      if (!res.ok || !res.body) {
        const err = ((await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined)?.error;
        failure = new ApiError(res.status, err?.code ?? 'E_HTTP', err?.message ?? `event stream: HTTP ${res.status}`);
        if (res.status === 401) onUnauthorized();
        if ([401, 403, 404].includes(res.status)) {
          h.onState?.(false, failure);
          return;
        }
      } else {
        h.onState?.(true);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSse(buf + decoder.decode(value, { stream: true }));
          buf = parsed.rest;
          for (const m of parsed.messages) {
            if (m.id !== undefined) last = m.id;
            try {
              h.onEvent(JSON.parse(m.data) as MetricEvent);
            } catch {
              /* not an event */
            }
          }
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      failure = new ApiError(0, 'E_NETWORK', `cannot reach the server (${(e as Error).message})`);
    }
    h.onState?.(false, failure);
    await new Promise((r) => setTimeout(r, retryMs));
  }
}
