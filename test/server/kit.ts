/**
 * A load and abuse kit for the labeling server, shared by the fast tests (test/server) and the full benchmark
 * (bench/server.ts): a raw HTTP client (paths are sent byte for byte, so traversal attempts are not normalized
 * away), simulated annotators that lease and judge as fast as they can, a generator of malformed/hostile
 * requests, and a snapshot of the store to prove those changed nothing.
 */
import http from 'node:http';
import { Rng } from '../../src/core/rng.js';
import type { Query } from '../../src/feedback/types.js';
import type { FeedbackStore } from '../../src/store/types.js';

export interface HttpResult {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
  /** parsed JSON body, undefined if not JSON */
  json: unknown;
  ms: number;
}

export interface RequestSpec {
  method: string;
  path: string;
  token?: string;
  /** JSON-encoded unless `raw` is given */
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** what this request tries (for reports) */
  label?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Sends one request; the path goes on the wire as given. */
export function request(baseUrl: string, spec: RequestSpec): Promise<HttpResult> {
  const u = new URL(baseUrl);
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  if (spec.token !== undefined) headers.authorization = `Bearer ${spec.token}`;
  let payload: string | Buffer | undefined = spec.raw;
  if (payload === undefined && spec.body !== undefined) {
    payload = JSON.stringify(spec.body);
    headers['content-type'] ??= 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: spec.method, path: spec.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, headers: res.headers, json, ms: performance.now() - t0 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Comparison queries q<prefix><i> with samples <id>-a/<id>-b, spread over iterations. */
export function makeQueries(runId: string, n: number, prefix = 'q', iterations = 1): Query[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}${i}`;
    return {
      id,
      runId,
      kind: 'comparison' as const,
      iteration: i % iterations,
      samples: [
        { id: `${id}-a`, domain: 'gridworld', payload: { states: [0, 1, 2, 7, 12], actions: [1, 1, 2, 2] } },
        { id: `${id}-b`, domain: 'gridworld', payload: { states: [0, 5, 10, 11, 12], actions: [2, 2, 1, 1] } },
      ],
    };
  });
}

export interface AnnotatorLoad {
  /** judgements acknowledged with 2xx: "queryId annotator" */
  acked: string[];
  /** submit latencies (ms) */
  submitMs: number[];
  /** lease latencies (ms) */
  leaseMs: number[];
  /** unexpected statuses, with what was sent */
  failures: string[];
}

/**
 * Each annotator leases and judges `perAnnotator` queries (lease → submit), all annotators concurrently.
 * Stops early when `shouldStop()` turns true or the queue stays empty for `emptyWaitMs`.
 */
export async function runAnnotators(opts: {
  url: string;
  runId: string;
  annotators: { name: string; token: string }[];
  perAnnotator: number;
  shouldStop?: () => boolean;
  onAck?: (key: string) => void;
  emptyWaitMs?: number;
  /** tolerate connection errors (the server is being killed) */
  tolerateErrors?: boolean;
  /** submit with "next": true and use the returned lease (one request per label; default true) */
  useNext?: boolean;
}): Promise<AnnotatorLoad> {
  const useNext = opts.useNext ?? true;
  const load: AnnotatorLoad = { acked: [], submitMs: [], leaseMs: [], failures: [] };
  const prefs = ['left', 'right', 'tie', 'skip'] as const;
  await Promise.all(
    opts.annotators.map(async (a, ai) => {
      let done = 0;
      let emptySince: number | undefined;
      let pending: Query | null = null;
      while (done < opts.perAnnotator && !opts.shouldStop?.()) {
        let body: { query: Query | null } | undefined;
        if (pending) {
          body = { query: pending };
          pending = null;
        } else {
          let lease: HttpResult;
          try {
            lease = await request(opts.url, { method: 'POST', path: `/api/runs/${opts.runId}/lease`, token: a.token, body: {} });
          } catch (e) {
            if (opts.tolerateErrors) return;
            throw e;
          }
          load.leaseMs.push(lease.ms);
          body = lease.json as { query: Query | null } | undefined;
          if (lease.status !== 200 || !body) {
            load.failures.push(`lease ${lease.status} ${lease.text.slice(0, 200)}`);
            return;
          }
        }
        if (body.query === null) {
          emptySince ??= Date.now();
          if (Date.now() - emptySince > (opts.emptyWaitMs ?? 500)) return;
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        emptySince = undefined;
        const q = body.query;
        const judgement = { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: prefs[(ai + done) % 4] };
        let res: HttpResult;
        try {
          res = await request(opts.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: a.token, body: useNext ? { judgement, next: true } : { judgement } });
        } catch (e) {
          if (opts.tolerateErrors) return;
          throw e;
        }
        load.submitMs.push(res.ms);
        if (res.status === 201) {
          const key = `${q.id} ${a.name}`;
          load.acked.push(key);
          opts.onAck?.(key);
          done++;
          if (useNext) pending = (res.json as { next?: { query: Query | null } }).next?.query ?? null;
        } else {
          load.failures.push(`submit ${res.status} ${res.text.slice(0, 200)}`);
          return;
        }
      }
      // done: give back a lease taken with "next" so others can judge that query
      if (pending) {
        const r = await request(opts.url, { method: 'DELETE', path: `/api/queries/${(pending as Query).id}/lease`, token: a.token }).catch(() => undefined);
        if (r && r.status !== 200 && !opts.tolerateErrors) load.failures.push(`release ${r.status} ${r.text.slice(0, 200)}`);
      }
    }),
  );
  return load;
}

/** A fingerprint of everything in a run that a request could change. */
export async function snapshot(store: FeedbackStore, runId: string): Promise<string> {
  const [runs, annotators, queries, judgements, events] = await Promise.all([
    store.listRuns(),
    store.listAnnotators(),
    store.listQueries(runId, { limit: 1_000_000 }),
    store.listJudgements(runId, { limit: 1_000_000 }),
    store.listEvents(runId, { limit: 1_000_000 }),
  ]);
  return JSON.stringify({ runs, annotators, queries, judgements, events });
}

export interface HostileContext {
  runId: string;
  /** an annotator holding `leasedQueryId` */
  victimToken: string;
  /** another annotator (the attacker) */
  attackerToken: string;
  /** a query leased to the victim (and not judged) */
  leasedQueryId: string;
  /** the victim's samples of that query */
  leasedSamples: [string, string];
  /** a query the victim already judged */
  judgedQueryId: string;
  adminToken: string;
}

const TRAVERSALS = [
  '/../../../../etc/passwd',
  '/..%2f..%2f..%2fetc%2fpasswd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%2e%2e%2f%2e%2e%2fetc/passwd',
  '/assets/../../package.json',
  '/..\\..\\package.json',
  '/%00/etc/passwd',
  '/index.html%00.js',
  '/....//....//etc/passwd',
  '/%252e%252e/%252e%252e/etc/passwd',
  '/.env',
  '/.git/config',
  '/static/..%5c..%5cpackage.json',
  '//etc/passwd',
];

/** n malformed or hostile requests (deterministic for a seed); every one must be answered 4xx. */
export function hostileRequests(ctx: HostileContext, n: number, seed = 1): RequestSpec[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const goodJudgement = { kind: 'comparison', leftId: ctx.leasedSamples[0], rightId: ctx.leasedSamples[1], preferred: 'left' };
  const submitPath = (id: string) => `/api/queries/${id}/judgement`;
  const a = ctx.attackerToken;
  const makers: (() => RequestSpec)[] = [
    // bad JSON
    () => ({ label: 'bad json', method: 'POST', path: submitPath(ctx.leasedQueryId), token: a, raw: pick(['{', '{"judgement":', 'nul', '[1,2', '{"a":1}}', '\u0000', '{"judgement":{"kind":"comparison",}}']), headers: { 'content-type': 'application/json' } }),
    // wrong types
    () => ({
      label: 'wrong types',
      method: 'POST',
      path: submitPath(ctx.leasedQueryId),
      token: a,
      body: { judgement: pick([{ ...goodJudgement, preferred: 1 }, { ...goodJudgement, leftId: 7 }, { kind: 'rating', sampleId: 'x', value: '1' }, 'left', [goodJudgement], null, { kind: 'ranking', sampleIds: 'a,b' }]) },
    }),
    () => ({ label: 'wrong types (lease)', method: 'POST', path: `/api/runs/${ctx.runId}/lease`, token: a, body: pick([{ leaseSeconds: '60' }, { leaseSeconds: -1 }, { leaseSeconds: 1e9 }, { leaseSeconds: 1.5 }, [], 'x', { extra: true }]) }),
    () => ({ label: 'wrong types (admin)', method: 'POST', path: '/api/runs', token: ctx.adminToken, body: pick([{ domain: 5 }, { domain: 'a b' }, { domain: 'g', config: [] }, { domain: 'g', status: 'exploded' }, {}, { id: '../x', domain: 'g' }]) }),
    () => ({ label: 'unknown fields', method: 'POST', path: submitPath(ctx.leasedQueryId), token: a, body: { judgement: goodJudgement, annotator: 'victim' } }),
    // unknown ids
    () => ({ label: 'unknown query', method: 'POST', path: submitPath(`nope${rng.int(1e6)}`), token: a, body: { judgement: goodJudgement } }),
    () => ({ label: 'unknown run', method: 'POST', path: `/api/runs/nope${rng.int(1e6)}/lease`, token: a, body: {} }),
    () => ({ label: 'unknown run (progress)', method: 'GET', path: `/api/me/progress?runId=nope${rng.int(1e6)}`, token: a }),
    () => ({ label: 'bad id', method: 'POST', path: submitPath(pick(["x'%20OR%201=1--", '%3Cscript%3E', 'a%2Fb', 'x'.repeat(300)])), token: a, body: { judgement: goodJudgement } }),
    // oversized bodies
    () => ({ label: 'oversized', method: 'POST', path: submitPath(ctx.leasedQueryId), token: a, body: { judgement: { ...goodJudgement, pad: 'x'.repeat(70_000 + rng.int(100_000)) } } }),
    () => ({ label: 'oversized raw', method: 'POST', path: `/api/runs/${ctx.runId}/lease`, token: a, raw: `{"leaseSeconds":60${' '.repeat(65_600)}}`, headers: { 'content-type': 'application/json' } }),
    // another annotator's query / data
    () => ({ label: "another annotator's query", method: 'POST', path: submitPath(ctx.leasedQueryId), token: a, body: { judgement: { ...goodJudgement, preferred: pick(['left', 'right', 'tie', 'skip']) } } }),
    () => ({ label: "undo another's judgement", method: 'DELETE', path: submitPath(ctx.judgedQueryId), token: a }),
    () => ({ label: "release another's lease", method: 'DELETE', path: `/api/queries/${ctx.leasedQueryId}/lease`, token: a }),
    () => ({ label: 'admin route as annotator', method: pick(['GET', 'POST']), path: pick(['/api/annotators', '/api/runs', `/api/runs/${ctx.runId}/judgements`, `/api/runs/${ctx.runId}/stats`, `/api/runs/${ctx.runId}/queries`, `/api/runs/${ctx.runId}/export`, `/api/runs/${ctx.runId}`]), token: a, body: { name: 'mallory', role: 'admin' } }),
    () => ({ label: 'token rotation as annotator', method: 'POST', path: '/api/annotators/admin/token', token: a }),
    // auth
    () => ({ label: 'no token', method: 'POST', path: submitPath(ctx.leasedQueryId), body: { judgement: goodJudgement } }),
    () => ({ label: 'bad token', method: 'GET', path: '/api/me', headers: { authorization: pick(['Bearer', 'Bearer rlhf_x', 'Basic YTpi', `Bearer rlhf_${'A'.repeat(43)}`, 'bearer  x y']) } }),
    // wrong content type, prototype pollution
    () => ({ label: 'wrong content-type', method: 'POST', path: submitPath(ctx.leasedQueryId), token: a, raw: JSON.stringify({ judgement: goodJudgement }), headers: { 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) } }),
    () => ({ label: 'prototype pollution', method: 'POST', path: submitPath(ctx.leasedQueryId), token: a, raw: pick(['{"__proto__":{"admin":true},"judgement":{}}', '{"constructor":{"prototype":{"x":1}}}']), headers: { 'content-type': 'application/json' } }),
    // query-string junk
    () => ({ label: 'query junk', method: 'GET', path: pick([`/api/me/progress`, `/api/me/progress?runId=${ctx.runId}&x=1`, `/api/me/judgements?runId=${ctx.runId}&limit=-1`, `/api/me/judgements?runId=${ctx.runId}&limit=1e3`]), token: a }),
    // path traversal on static files
    () => ({ label: 'path traversal', method: 'GET', path: pick(TRAVERSALS) }),
    // unknown routes/methods
    () => ({ label: 'unknown route', method: pick(['GET', 'PUT', 'DELETE']), path: pick(['/api/admin', '/api/runs/x/y/z', '/api/queries', '/api/me/runs/x']), token: a }),
  ];
  return Array.from({ length: n }, (_, i) => makers[i % makers.length]!());
}

/** Percentile (0..100) of a list of numbers. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
