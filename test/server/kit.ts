/**
 * A load and abuse kit for the labeling server, shared by the fast tests (test/server) and the full benchmark
 * (bench/server.ts): a raw HTTP client (paths are sent byte for byte, so traversal attempts are not normalized
 * away), simulated annotators that lease and judge as fast as they can, a generator of malformed/hostile
 * requests, and a snapshot of the store to prove those changed nothing.
 */
import http from 'node:http';
import net from 'node:net';
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
  /** judgements acknowledged with 2xx: "queryId annotator" (once each, also when a retry found it stored) */
  acked: string[];
  /** submit latencies (ms) */
  submitMs: number[];
  /** lease latencies (ms) */
  leaseMs: number[];
  /** unexpected statuses, with what was sent */
  failures: string[];
  /**
   * Who held which query when, as the clients saw it: from receiving the lease to sending the judgement (or the
   * release). Each interval lies inside the server-side lease, so two annotators' intervals on one query that
   * overlap prove the query was handed to both at once (see overlappingLeases).
   */
  holds: { queryId: string; annotator: string; from: number; to: number }[];
  /** requests moved to another server after a connection failure */
  failovers: number;
}

/** Two different annotators holding one query at the same moment (from AnnotatorLoad.holds). */
export function overlappingLeases(holds: AnnotatorLoad['holds']): string[] {
  const byQuery = new Map<string, AnnotatorLoad['holds']>();
  for (const h of holds) byQuery.set(h.queryId, [...(byQuery.get(h.queryId) ?? []), h]);
  const out: string[] = [];
  for (const [q, hs] of byQuery) {
    hs.sort((a, b) => a.from - b.from);
    for (let i = 1; i < hs.length; i++) {
      const prev = hs[i - 1]!;
      const cur = hs[i]!;
      if (cur.annotator !== prev.annotator && cur.from < prev.to) out.push(`${q}: ${prev.annotator} ${prev.from.toFixed(1)}–${prev.to.toFixed(1)} and ${cur.annotator} from ${cur.from.toFixed(1)}`);
    }
  }
  return out;
}

const isConnectionError = (e: unknown): boolean => /ECONNREFUSED|ECONNRESET|socket hang up|EPIPE/.test(String((e as Error).message ?? e) + String((e as { code?: string }).code ?? ''));

/**
 * Each annotator leases and judges `perAnnotator` queries (lease → submit), all annotators concurrently.
 * Stops early when `shouldStop()` turns true or the queue stays empty for `emptyWaitMs`. With several `urls`
 * (replicas) annotator i talks to urls[i % n]; with `failover`, a request that fails to connect is sent again
 * to the next replica (a judgement retried is idempotent: 200 created=false counts as acknowledged).
 */
export async function runAnnotators(opts: {
  url?: string;
  urls?: string[];
  runId: string;
  annotators: { name: string; token: string }[];
  perAnnotator: number;
  shouldStop?: () => boolean;
  onAck?: (key: string) => void;
  emptyWaitMs?: number;
  /** tolerate connection errors (the server is being killed): the annotator stops */
  tolerateErrors?: boolean;
  /** move to the next url on a connection error instead of stopping */
  failover?: boolean;
  /** submit with "next": true and use the returned lease (one request per label; default true) */
  useNext?: boolean;
}): Promise<AnnotatorLoad> {
  const urls = opts.urls ?? [opts.url!];
  const useNext = opts.useNext ?? true;
  const load: AnnotatorLoad = { acked: [], submitMs: [], leaseMs: [], failures: [], holds: [], failovers: 0 };
  const ackedKeys = new Set<string>();
  const prefs = ['left', 'right', 'tie', 'skip'] as const;
  await Promise.all(
    opts.annotators.map(async (a, ai) => {
      let server = ai % urls.length;
      /** sends, moving to the next server on a connection failure (with failover); undefined: give up */
      const send = async (spec: RequestSpec): Promise<HttpResult | undefined> => {
        for (let tries = 0; ; tries++) {
          try {
            return await request(urls[server]!, spec);
          } catch (e) {
            if (opts.failover && isConnectionError(e) && tries < urls.length * 3) {
              server = (server + 1) % urls.length;
              load.failovers++;
              continue;
            }
            if (opts.tolerateErrors) return undefined;
            throw e;
          }
        }
      };
      let done = 0;
      let emptySince: number | undefined;
      let pending: Query | null = null;
      let heldSince = 0;
      while (done < opts.perAnnotator && !opts.shouldStop?.()) {
        let body: { query: Query | null } | undefined;
        if (pending) {
          body = { query: pending };
          pending = null;
        } else {
          const lease = await send({ method: 'POST', path: `/api/runs/${opts.runId}/lease`, token: a.token, body: {} });
          if (!lease) return;
          load.leaseMs.push(lease.ms);
          heldSince = performance.now();
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
        const sentAt = performance.now();
        load.holds.push({ queryId: q.id, annotator: a.name, from: heldSince, to: sentAt });
        const res = await send({ method: 'POST', path: `/api/queries/${q.id}/judgement`, token: a.token, body: useNext ? { judgement, next: true } : { judgement } });
        if (!res) return;
        load.submitMs.push(res.ms);
        heldSince = performance.now();
        if (res.status === 201 || res.status === 200) {
          const key = `${q.id} ${a.name}`;
          if (!ackedKeys.has(key)) {
            ackedKeys.add(key);
            load.acked.push(key);
            opts.onAck?.(key);
          }
          done++;
          if (useNext) pending = (res.json as { next?: { query: Query | null } }).next?.query ?? null;
        } else {
          load.failures.push(`submit ${res.status} ${res.text.slice(0, 200)}`);
          return;
        }
      }
      // done: give back a lease taken with "next" so others can judge that query
      if (pending) {
        load.holds.push({ queryId: (pending as Query).id, annotator: a.name, from: heldSince, to: performance.now() });
        const r = await send({ method: 'DELETE', path: `/api/queries/${(pending as Query).id}/lease`, token: a.token }).catch(() => undefined);
        if (r && r.status !== 200 && !opts.tolerateErrors) load.failures.push(`release ${r.status} ${r.text.slice(0, 200)}`);
      }
    }),
  );
  return load;
}

/** A fingerprint of everything in the runs that a request could change (and of the runs, accounts and audit trail). */
export async function snapshot(store: FeedbackStore, ...runIds: string[]): Promise<string> {
  const perRun = await Promise.all(
    runIds.map(async (runId) => {
      const [queries, judgements, events] = await Promise.all([
        store.listQueries(runId, { limit: 1_000_000 }),
        store.listJudgements(runId, { limit: 1_000_000 }),
        store.listEvents(runId, { limit: 1_000_000 }),
      ]);
      return { runId, queries, judgements, events };
    }),
  );
  const [runs, annotators, audit] = await Promise.all([store.listRuns(), store.listAnnotators(), store.listAudit({ limit: 1_000_000 })]);
  return JSON.stringify({ runs, annotators, audit, perRun });
}

type LeasedQuery = { id: string; samples: { id: string }[] };

/**
 * Sets up what the hostile requests aim at, over HTTP: the victim judges one query of `runId` and holds the
 * lease of the next; a reviewer and a disabled account exist; in a second run, `closed`, the attacker judged one
 * query and holds the lease of another, and then the run was marked done. Every step must succeed.
 */
export async function prepareHostile(url: string, runId: string, adminToken: string, victimToken: string, attackerToken: string): Promise<HostileContext> {
  const ok = async (spec: RequestSpec, status = [200, 201]): Promise<HttpResult> => {
    const r = await request(url, spec);
    if (!status.includes(r.status)) throw new Error(`hostile setup: ${spec.method} ${spec.path} → ${r.status} ${r.text.slice(0, 200)}`);
    return r;
  };
  const judgeNext = async (run: string, token: string): Promise<[LeasedQuery, LeasedQuery]> => {
    const q1 = ((await ok({ method: 'POST', path: `/api/runs/${run}/lease`, token, body: {} })).json as { query: LeasedQuery }).query;
    const judgement = { kind: 'comparison', leftId: q1.samples[0]!.id, rightId: q1.samples[1]!.id, preferred: 'left' };
    await ok({ method: 'POST', path: `/api/queries/${q1.id}/judgement`, token, body: { judgement } });
    const q2 = ((await ok({ method: 'POST', path: `/api/runs/${run}/lease`, token, body: {} })).json as { query: LeasedQuery }).query;
    return [q1, q2];
  };
  const [judged, leased] = await judgeNext(runId, victimToken);
  const reviewerToken = ((await ok({ method: 'POST', path: '/api/annotators', token: adminToken, body: { name: 'hostile-reviewer', role: 'reviewer' } })).json as { token: string }).token;
  const disabledToken = ((await ok({ method: 'POST', path: '/api/annotators', token: adminToken, body: { name: 'hostile-gone' } })).json as { token: string }).token;
  await ok({ method: 'PATCH', path: '/api/annotators/hostile-gone', token: adminToken, body: { disabled: true } });
  await ok({ method: 'POST', path: '/api/runs', token: adminToken, body: { id: 'closed', domain: 'gridworld', status: 'running' } });
  await ok({ method: 'POST', path: '/api/runs/closed/queries', token: adminToken, body: { queries: makeQueries('closed', 2, 'closed-q').map(({ runId: _r, ...q }) => q) } });
  const [cJudged, cLeased] = await judgeNext('closed', attackerToken);
  await ok({ method: 'PATCH', path: '/api/runs/closed', token: adminToken, body: { status: 'done' } });
  return {
    runId,
    victimToken,
    attackerToken,
    leasedQueryId: leased.id,
    leasedSamples: [leased.samples[0]!.id, leased.samples[1]!.id],
    judgedQueryId: judged.id,
    adminToken,
    closed: { runId: 'closed', judgedQueryId: cJudged.id, leasedQueryId: cLeased.id, leasedSamples: [cLeased.samples[0]!.id, cLeased.samples[1]!.id] },
    reviewerToken,
    disabledToken,
  };
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
  /** a run that is done, in which the attacker judged one query and held the lease of another (issue 14, 1) */
  closed?: { runId: string; judgedQueryId: string; leasedQueryId: string; leasedSamples: [string, string] };
  /** a reviewer (sees and adjudicates; no admin routes) */
  reviewerToken?: string;
  /** an account an admin disabled */
  disabledToken?: string;
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
    // issue 14, 2: JSON nested deeper than 64 levels (configs, event data, payloads) or deep enough to overflow a stack
    () => {
      const depth = pick([65, 200, 4150, 9000]);
      const deep = `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
      const [method, path, raw] = pick<[string, string, string]>([
        ['POST', '/api/runs', `{"id":"deep${rng.int(1e6)}","domain":"gridworld","config":${deep}}`],
        ['PATCH', `/api/runs/${ctx.runId}`, `{"config":${deep}}`],
        ['POST', `/api/runs/${ctx.runId}/events`, `{"type":"metrics","data":${deep}}`],
        ['POST', `/api/runs/${ctx.runId}/queries`, `{"queries":[{"id":"deep${rng.int(1e6)}","kind":"rating","iteration":0,"samples":[{"id":"s","domain":"g","payload":${deep}}]}]}`],
      ]);
      return { label: 'deep json', method, path, token: ctx.adminToken, raw, headers: { 'content-type': 'application/json' } };
    },
    // issue 14, 6: tokens in URLs are refused
    () => ({ label: 'token in URL', method: 'GET', path: pick([`/api/runs/${ctx.runId}/events?token=${a}`, `/api/me?token=${a}`, `/api/runs/${ctx.runId}/events?token=${ctx.adminToken}`]) }),
    // issue 14, 8: a non-holder's misfit judgement (must not learn the query's kind or samples), iterations, long paths
    () => ({
      label: 'misfit by non-holder',
      method: 'POST',
      path: submitPath(ctx.leasedQueryId),
      token: a,
      body: { judgement: pick([{ kind: 'rating', sampleId: 'x', value: 1 }, { kind: 'ranking', sampleIds: ['a', 'b'] }, { kind: 'correction', sampleId: 'x', label: 1 }, { ...goodJudgement, leftId: 'x' }]) },
    }),
    () => ({
      label: 'iteration out of range',
      method: 'POST',
      path: pick([`/api/runs/${ctx.runId}/queries`, `/api/runs/${ctx.runId}/events`]),
      token: ctx.adminToken,
      raw: pick([
        `{"queries":[{"id":"big${rng.int(1e6)}","kind":"rating","iteration":1e300,"samples":[{"id":"s","domain":"g","payload":0}]}]}`,
        `{"queries":[{"id":"big${rng.int(1e6)}","kind":"rating","iteration":2147483648,"samples":[{"id":"s","domain":"g","payload":0}]}]}`,
        '{"type":"metrics","iteration":1e300,"data":{}}',
      ]),
      headers: { 'content-type': 'application/json' },
    }),
    () => ({ label: 'over-long path', method: pick(['GET', 'POST']), path: pick([`/api/runs/${'r'.repeat(300)}`, `/api/queries/${'q'.repeat(1000)}/judgement`, `/label/${'x'.repeat(5000)}`]), token: pick([a, ctx.adminToken]) }),
    // roles: an annotator on review routes, a reviewer on admin routes, a disabled account anywhere
    () => ({ label: 'annotator on review route', method: pick(['GET', 'POST']), path: pick(['/api/audit', `/api/runs/${ctx.runId}/adjudications`, `/api/queries/${ctx.judgedQueryId}/adjudication`, '/api/server']), token: a, body: { judgement: goodJudgement } }),
    ...(ctx.reviewerToken !== undefined
      ? [
          (): RequestSpec => ({
            label: 'reviewer on admin route',
            method: pick(['POST', 'PATCH']),
            path: pick(['/api/runs', '/api/annotators', `/api/annotators/${'victim'}`, `/api/runs/${ctx.runId}`, `/api/runs/${ctx.runId}/queries`, `/api/runs/${ctx.runId}/events`]),
            token: ctx.reviewerToken!,
            body: pick([{ name: 'mallory', role: 'admin' }, { disabled: true }, { status: 'done' }, { type: 'x', data: {} }]),
          }),
          (): RequestSpec => ({ label: "reviewer undoes another's label", method: 'DELETE', path: submitPath(ctx.judgedQueryId), token: ctx.reviewerToken! }),
        ]
      : []),
    ...(ctx.disabledToken !== undefined
      ? [(): RequestSpec => ({ label: 'disabled account', method: pick(['GET', 'POST']), path: pick(['/api/me', `/api/runs/${ctx.runId}/lease`]), token: ctx.disabledToken!, body: {} })]
      : []),
    // issue 14, 1: a run that is done takes no undo, no judgement, no lease
    ...(ctx.closed !== undefined
      ? [
          (): RequestSpec => {
            const c = ctx.closed!;
            const j = { kind: 'comparison', leftId: c.leasedSamples[0], rightId: c.leasedSamples[1], preferred: pick(['left', 'right']) };
            return pick<RequestSpec>([
              { label: 'closed run: undo', method: 'DELETE', path: submitPath(c.judgedQueryId), token: a },
              { label: 'closed run: submit', method: 'POST', path: submitPath(c.leasedQueryId), token: a, body: { judgement: j, next: rng.int(2) === 1 } },
              { label: 'closed run: lease', method: 'POST', path: `/api/runs/${c.runId}/lease`, token: a, body: {} },
            ]);
          },
        ]
      : []),
  ];
  return Array.from({ length: n }, (_, i) => makers[i % makers.length]!());
}

/**
 * Hostile traffic that needs a raw socket: a malformed request line, headers over 16 KiB, a body that trickles
 * in (cut off by the request timeout: 408), a body that follows an early 401 (the connection must close at once).
 * Resolves with the status line's code and how long the server kept the connection.
 */
export function rawHostile(baseUrl: string, kind: 'malformed' | 'huge header' | 'slow body' | 'body after 401', token: string, waitMs = 60_000): Promise<{ status: number; body: unknown; closedAfterMs: number | null }> {
  const u = new URL(baseUrl);
  const chunks: Record<typeof kind, string> = {
    malformed: 'NOT HTTP AT ALL\r\n\r\n',
    'huge header': `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
    'slow body': `POST /api/runs/x/lease HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"lea`,
    'body after 401': 'POST /api/runs/x/lease HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"x":',
  };
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = net.connect(Number(u.port), u.hostname);
    let text = '';
    const finish = (closedAfterMs: number | null) => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      let body: unknown;
      try {
        body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      } catch {
        body = undefined;
      }
      resolve({ status, body, closedAfterMs });
    };
    const timer = setTimeout(() => {
      sock.destroy();
      finish(null);
    }, waitMs);
    sock.on('data', (d) => (text += d.toString()));
    sock.on('error', () => undefined);
    sock.on('close', () => finish(performance.now() - t0));
    sock.on('connect', () => sock.write(chunks[kind]));
  });
}

/** Percentile (0..100) of a list of numbers. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
