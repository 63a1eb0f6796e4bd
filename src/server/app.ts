/**
 * The labeling server: a Fastify app over a FeedbackStore. Routes, auth and bodies are specified in docs/api.md.
 *   createServer({ store, port }) → { app, url, adminToken, close }
 * Auth runs first (onRequest, before the body is even parsed), then JSON-schema validation, then the handler.
 * The server keeps no state of its own (leases, tokens and events live in the store), so several replicas can
 * serve one PostgreSQL store behind a proxy (docs/store.md#replicas).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { ConfigError, RlhfError } from '../core/errors.js';
import type { Judgement } from '../feedback/types.js';
import { computeAgreement } from '../store/agreement.js';
import { MAX_JSON_DEPTH, jsonTextTooDeep } from '../store/common.js';
import { generateToken, hashToken, TOKEN_PATTERN } from '../store/tokens.js';
import type { Annotator, AuditAction, FeedbackStore, QueryState, Role, RunStatus } from '../store/types.js';
import { OPEN_RUN_STATUSES } from '../store/types.js';
import { exportLines } from '../feedback/jsonl.js';
import { FieldError } from '../feedback/validate.js';
import { HttpError, errorResponse } from './errors.js';
import * as S from './schemas.js';
import { securityHeaders } from './security.js';
import { DEFAULT_SSE_LIMITS, SseHub, type SseLimits } from './sse.js';

export interface ServerOptions {
  store: FeedbackStore;
  /** default 127.0.0.1 (loopback only) */
  host?: string;
  /** default 0 (any free port) */
  port?: number;
  /** built front end to serve; default web/dist of this package when it exists; false: none */
  staticDir?: string | false;
  /** Fastify logger options (default off) */
  logger?: FastifyServerOptions['logger'];
  /** make this the token of the admin "admin" (created if missing); for scripts and tests */
  adminToken?: string;
  /** issue a new token for the admin "admin" (the old one stops working) */
  newAdminToken?: boolean;
  /** lease length when the client does not ask (default 120 s) */
  defaultLeaseSeconds?: number;
  /** timeouts and caps (defaults: DEFAULT_LIMITS) */
  limits?: Partial<Omit<ServerLimits, 'sse'>> & { sse?: Partial<SseLimits> };
}

/** How long a client may take and how much it may hold open. */
export interface ServerLimits {
  /** to send a whole request, headers and body; then 408 and the connection is closed (default 30 s) */
  requestTimeoutMs: number;
  /** to send the headers (default 10 s) */
  headersTimeoutMs: number;
  /** a connection with no traffic either way is closed (default 60 s; SSE streams ping every 15 s) */
  idleTimeoutMs: number;
  /** an idle keep-alive connection is closed (default 10 s) */
  keepAliveTimeoutMs: number;
  /** SSE streams per account and in total */
  sse: SseLimits;
}

export const DEFAULT_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 10_000,
  sse: DEFAULT_SSE_LIMITS,
};

export interface Server {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:5173 */
  url: string;
  /** the admin token when it was created or replaced at this start (print it); undefined otherwise */
  adminToken: string | undefined;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * who may call the route: nobody needs a token; any valid token; a reviewer or admin ("review": sees every
     * run and adjudicates, changes nobody's labels); an admin
     */
    auth?: 'none' | 'any' | 'review' | 'admin';
  }
  interface FastifyRequest {
    annotator: Annotator | undefined;
  }
}

export const ADMIN_NAME = 'admin';
const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Longest path segment (an id is at most 128 characters): longer is 414. */
const MAX_PATH_SEGMENT = 256;
/** Deepest JSON body: a stored value may nest MAX_JSON_DEPTH levels, inside a few levels of request envelope. */
export const MAX_BODY_DEPTH = MAX_JSON_DEPTH + 8;
/** What the service calls itself on /api/health (how `rlhf run --port` knows it found an rlhfkit server). */
export const SERVICE_NAME = 'rlhfkit';

/** `token=…` in a URL → `token=***` (tokens are refused in URLs, but a client may still send one) */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, '$1***');
}

/** paths that name a static asset: a miss is a 404, not the app */
const ASSET_EXTENSION = /\.(m?js|css|html?|json|map|png|jpe?g|gif|svg|ico|txt|webp|woff2?|ttf|wasm|xml|env|config)$/i;
const QUERIES_BODY_LIMIT = 16 * 1024 * 1024;

function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, '../../package.json'), resolve(here, '../../../package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rlhfkit' && pkg.version) return pkg.version;
    } catch {
      /* next */
    }
  }
  return '0.0.0';
}

/** web/dist of this package, if built. */
export function defaultStaticDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, '../../web/dist'), resolve(here, '../../../web/dist')]) {
    if (existsSync(join(p, 'index.html'))) return p;
  }
  return undefined;
}

/** Makes sure an admin exists; returns a token to print when one was created or replaced. */
async function ensureAdmin(store: FeedbackStore, opts: ServerOptions): Promise<string | undefined> {
  if (opts.adminToken !== undefined) {
    if (!TOKEN_PATTERN.test(opts.adminToken)) throw new ConfigError('adminToken', `an admin token must match ${TOKEN_PATTERN.source}`);
    const existing = await store.getAnnotator(ADMIN_NAME);
    if (!existing) await store.createAnnotator({ name: ADMIN_NAME, role: 'admin', tokenHash: hashToken(opts.adminToken) });
    else await store.setAnnotatorToken(ADMIN_NAME, hashToken(opts.adminToken));
    return opts.adminToken;
  }
  const admins = (await store.listAnnotators()).filter((a) => a.role === 'admin');
  if (admins.length > 0 && !opts.newAdminToken) return undefined;
  const token = generateToken();
  if (await store.getAnnotator(ADMIN_NAME)) {
    await store.setAnnotatorToken(ADMIN_NAME, hashToken(token));
    return token;
  }
  try {
    await store.createAnnotator({ name: ADMIN_NAME, role: 'admin', tokenHash: hashToken(token) });
  } catch (e) {
    // another replica created it at the same moment: it printed its token
    if (e instanceof RlhfError && e.code === 'E_CONFLICT') return undefined;
    throw e;
  }
  return token;
}

function intParam(v: string | undefined, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  return Math.min(Number(v), max);
}

function runId(domain: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `${domain}-${stamp}-${generateToken().slice(5, 9).toLowerCase().replace(/[^a-z0-9]/g, '0')}`;
}

/**
 * Node's own answers to requests it cannot parse (a malformed request line, headers over 16 KiB, a request that
 * took too long to arrive), in the API's error format, then the connection is closed.
 */
function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are larger than 16 KiB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, `malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ error: { code: 'E_REQUEST', message } });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), 1000).unref();
  } else socket.destroy();
}

function plainQuery(q: QueryState) {
  const { status: _s, wanted: _w, judged: _j, leasedTo: _l, leaseExpiresAt: _e, ...plain } = q;
  return plain;
}

/** Builds the app, makes sure an admin exists, and listens. */
export async function createServer(opts: ServerOptions): Promise<Server> {
  const { store } = opts;
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `port must be an integer in 0..65535, got ${port}`);
  const defaultLeaseMs = (opts.defaultLeaseSeconds ?? 120) * 1000;
  const staticDir = opts.staticDir === false ? undefined : (opts.staticDir ?? defaultStaticDir());
  if (staticDir !== undefined && !(existsSync(staticDir) && statSync(staticDir).isDirectory())) {
    throw new ConfigError('staticDir', `static directory ${staticDir} does not exist`);
  }
  const version = packageVersion();

  const adminToken = await ensureAdmin(store, opts);
  const storeId = await store.storeId();
  const headers = await securityHeaders();
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits, sse: { ...DEFAULT_LIMITS.sse, ...opts.limits?.sse } };

  const app = Fastify({
    // request logs never show a token
    logger: opts.logger === true ? { serializers: { req: (r: { method: string; url: string }) => ({ method: r.method, url: redactToken(r.url) }) } } : (opts.logger ?? false),
    bodyLimit: DEFAULT_BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    forceCloseConnections: true,
    // Node's own timeouts: a slow client cannot hold a connection (or a worker) for long
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      // how often Node looks for requests past their timeout (its default, 30 s, would let them run long)
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.requestTimeoutMs / 4))),
    },
    clientErrorHandler: clientError,
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT },
    // router-level failures (a badly encoded path, a parameter over maxParamLength) get the same error body and
    // headers as everything else
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = errorResponse(err);
      void (reply as unknown as FastifyReply)
        .headers(headers)
        .code(status >= 500 ? 400 : status)
        .send(body);
    },
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, discriminator: true } },
  });
  app.decorateRequest('annotator', undefined);
  // JSON only: a text/plain body is 415 like any other non-JSON type
  app.removeContentTypeParser('text/plain');
  // JSON bodies: refused past MAX_BODY_DEPTH levels before parsing (a deep body used to overflow the stack)
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonTextTooDeep(body as string, MAX_BODY_DEPTH)) {
      done(new HttpError(400, 'E_REQUEST', `the JSON body nests deeper than ${MAX_BODY_DEPTH} levels`, 'body'), undefined);
      return;
    }
    parseJson(req, body as string, done);
  });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new HttpError(429, 'E_REQUEST', `too many requests: at most ${ctx.max} per ${ctx.after === '1 minute' ? 'minute' : ctx.after}; retry in ${ctx.after}`),
  });

  // ---- errors: one body shape for everything ----
  app.setErrorHandler((err, req, reply) => {
    const { status, body, internal } = errorResponse(err);
    if (internal) req.log.error({ err }, 'request failed');
    void reply.code(status).send(body);
  });
  // an error answered before the body was read (401, 413, 414, …): close the connection instead of reading the
  // rest of a body nobody will use (a slow client would otherwise keep it open)
  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode >= 400 && !req.raw.complete) void reply.header('connection', 'close');
    done(null, payload);
  });

  // ---- security headers, path length, auth: before parsing ----
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(headers);
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (path.length > MAX_PATH_SEGMENT && path.split('/').some((seg) => seg.length > MAX_PATH_SEGMENT)) {
      throw new HttpError(414, 'E_REQUEST', `a path segment is longer than ${MAX_PATH_SEGMENT} characters (ids are at most 128)`, 'path');
    }
    const cfg = req.routeOptions.config;
    const mode = cfg.auth ?? (req.url.startsWith('/api') ? 'admin' : 'none');
    if (mode === 'none') return;
    const header = req.headers.authorization;
    if (header === undefined) {
      const inUrl = q >= 0 && /[?&]token=/.test(req.url.slice(q));
      throw new HttpError(401, 'E_AUTH', inUrl ? 'tokens are not accepted in URLs (they end up in logs): send "Authorization: Bearer <token>"' : 'missing token: send "Authorization: Bearer <token>"', 'token');
    }
    const m = /^Bearer ([^\s]+)$/.exec(header);
    if (!m) throw new HttpError(401, 'E_AUTH', 'the Authorization header must be "Bearer <token>"', 'token');
    const token = m[1]!;
    if (!TOKEN_PATTERN.test(token)) throw new HttpError(401, 'E_AUTH', 'malformed token', 'token');
    const who = await store.findAnnotatorByTokenHash(hashToken(token));
    if (!who) throw new HttpError(401, 'E_AUTH', 'unknown token (it may have been replaced)', 'token');
    if (who.disabledAt !== undefined) throw new HttpError(401, 'E_AUTH', `the account "${who.name}" was disabled by an admin`, 'token');
    if (mode === 'admin' && who.role !== 'admin') throw new HttpError(403, 'E_AUTH', 'this route needs an admin token');
    if (mode === 'review' && who.role !== 'admin' && who.role !== 'reviewer') throw new HttpError(403, 'E_AUTH', 'this route needs a reviewer or admin token');
    req.annotator = who;
  });

  const me = (req: FastifyRequest): Annotator => {
    if (!req.annotator) throw new HttpError(401, 'E_AUTH', 'missing token', 'token');
    return req.annotator;
  };
  /** A store's E_NOT_FOUND as a 404 naming the path parameter. */
  const notFoundAs =
    (field: string) =>
    (e: unknown): never => {
      if (e instanceof RlhfError && e.code === 'E_NOT_FOUND') throw new HttpError(404, 'E_NOT_FOUND', e.message, field);
      throw e;
    };
  /** A store's FieldError named as the body field it came from (the store says `run.config`, the body `config`). */
  const asBodyField =
    (names: Record<string, string>) =>
    (e: unknown): never => {
      const field = (e as { field?: unknown }).field;
      if (e instanceof FieldError && typeof field === 'string' && names[field] !== undefined) throw new HttpError(400, e.code, e.message.replace(field, names[field]!), names[field]);
      throw e;
    };
  const requireRun = async (id: string) => {
    const run = await store.getRun(id);
    if (!run) throw new HttpError(404, 'E_NOT_FOUND', `run "${id}" does not exist`, 'params.runId');
    return run;
  };
  const any = { auth: 'any' as const };
  const review = { auth: 'review' as const };
  const admin = { auth: 'admin' as const };
  /** per account: admins issuing tokens, dashboards reconnecting in a loop */
  const perMinute = (max: number) => ({ max, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => req.annotator?.name ?? req.ip });

  // ---- public ----
  // Load balancers and `rlhf run --port` ask here: 503 when the store cannot be written (a replica to take out)
  app.get('/api/health', { config: { auth: 'none' }, schema: { querystring: S.emptyQuery } }, async (_req, reply) => {
    const h = await store.health();
    const body = { ok: h.writable, service: SERVICE_NAME, version, store: store.backend, storeId, writable: h.writable };
    if (h.writable) return body;
    void reply.code(503);
    return { ...body, error: { code: 'E_STORE', message: `the store cannot be written: ${h.reason ?? 'unknown reason'}` } };
  });

  // ---- any token ----
  app.get('/api/me', { config: any, schema: { querystring: S.emptyQuery } }, async (req) => ({ annotator: me(req) }));

  app.get('/api/me/runs', { config: any, schema: { querystring: S.emptyQuery } }, async (req) => {
    const who = me(req);
    const runs = (await store.listRuns()).filter((r) => OPEN_RUN_STATUSES.includes(r.status));
    return {
      runs: await Promise.all(
        runs.map(async (r) => ({
          id: r.id,
          domain: r.domain,
          status: r.status,
          queue: await store.queueLength(r.id, who.name),
          labels: await store.countJudgements(r.id, { annotator: who.name }),
        })),
      ),
    };
  });

  app.get<{ Querystring: { runId: string } }>('/api/me/progress', { config: any, schema: { querystring: S.progressQuery } }, async (req) => {
    const who = me(req);
    const { runId } = req.query;
    await requireRun(runId);
    const [labels, labelsAllRuns, queue, leased] = await Promise.all([
      store.countJudgements(runId, { annotator: who.name }),
      store.countJudgements(undefined, { annotator: who.name }),
      store.queueLength(runId, who.name),
      store.activeLeases(runId, who.name),
    ]);
    return { runId, labels, labelsAllRuns, queue, leased };
  });

  app.get<{ Querystring: { runId: string; limit?: string; offset?: string } }>(
    '/api/me/judgements',
    { config: any, schema: { querystring: S.myJudgementsQuery } },
    async (req) => {
      const who = me(req);
      await requireRun(req.query.runId);
      const judgements = await store.listJudgements(req.query.runId, {
        annotator: who.name,
        order: 'desc',
        limit: intParam(req.query.limit, 100, 1000),
        offset: intParam(req.query.offset, 0),
      });
      return { judgements };
    },
  );

  // ---- labeling ----
  app.post<{ Params: { runId: string }; Body: { leaseSeconds?: number } | undefined }>(
    '/api/runs/:runId/lease',
    {
      config: any,
      schema: { params: S.runParams, body: S.leaseBody },
      // the body is optional: a POST without one means {}
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req) => {
      const who = me(req);
      const leaseMs = req.body?.leaseSeconds !== undefined ? req.body.leaseSeconds * 1000 : defaultLeaseMs;
      // one store call (one round trip on PostgreSQL): unknown run → 404, done/failed → 409
      const lease = await store.leaseQuery(req.params.runId, who.name, leaseMs).catch(notFoundAs('params.runId'));
      if (!lease) return { query: null, retryAfterMs: 1000 };
      return { query: lease.query, leaseExpiresAt: lease.expiresAt };
    },
  );

  app.post<{ Params: { queryId: string }; Body: { judgement: Judgement; next?: boolean; leaseSeconds?: number } }>(
    '/api/queries/:queryId/judgement',
    { config: any, schema: { params: S.queryParams, body: S.judgementBody } },
    async (req, reply) => {
      const who = me(req);
      const leaseMs = req.body.leaseSeconds !== undefined ? req.body.leaseSeconds * 1000 : defaultLeaseMs;
      // the judgement and, with next, the next lease of the same run: one transaction (one round trip on
      // PostgreSQL); a done/failed run → 409, someone else's query → 403 before anything about it is checked
      const r = await store
        .addJudgement({ queryId: req.params.queryId, annotator: who.name, judgement: req.body.judgement }, { requireLease: true, ...(req.body.next ? { nextLeaseMs: leaseMs } : {}) })
        .catch(notFoundAs('params.queryId'));
      void reply.code(r.created ? 201 : 200);
      if (!req.body.next) return { judgement: r.record, created: r.created };
      const next = r.next ? { query: r.next.query, leaseExpiresAt: r.next.expiresAt } : { query: null, retryAfterMs: 1000 };
      return { judgement: r.record, created: r.created, next };
    },
  );

  app.delete<{ Params: { queryId: string } }>(
    '/api/queries/:queryId/judgement',
    { config: any, schema: { params: S.queryParams, querystring: S.emptyQuery } },
    async (req) => {
      // the judgement moves to the audit trail; a done/failed run → 409
      const lease = await store.retractJudgement(req.params.queryId, me(req).name, defaultLeaseMs).catch(notFoundAs('params.queryId'));
      return { query: lease.query, leaseExpiresAt: lease.expiresAt };
    },
  );

  app.delete<{ Params: { queryId: string } }>(
    '/api/queries/:queryId/lease',
    { config: any, schema: { params: S.queryParams, querystring: S.emptyQuery } },
    async (req) => {
      if (!(await store.releaseLease(req.params.queryId, me(req).name))) {
        throw new HttpError(409, 'E_CONFLICT', `you do not hold the lease of query "${req.params.queryId}"`, 'params.queryId');
      }
      return { released: true };
    },
  );

  // ---- admin: annotators ----
  app.post<{ Body: { name: string; role?: Role } }>('/api/annotators', { config: { ...admin, rateLimit: perMinute(120) }, schema: { body: S.createAnnotatorBody } }, async (req, reply) => {
    const token = generateToken();
    const annotator = await store.createAnnotator({ name: req.body.name, role: req.body.role ?? 'annotator', tokenHash: hashToken(token) });
    void reply.code(201);
    return { annotator, token };
  });

  app.get('/api/annotators', { config: review, schema: { querystring: S.emptyQuery } }, async () => ({ annotators: await store.listAnnotators() }));

  app.post<{ Params: { name: string } }>('/api/annotators/:name/token', { config: { ...admin, rateLimit: perMinute(120) }, schema: { params: S.nameParams } }, async (req) => {
    const token = generateToken();
    const annotator = await store.setAnnotatorToken(req.params.name, hashToken(token)).catch(notFoundAs('params.name'));
    return { annotator, token };
  });

  // disable (the token stops working at once, on every replica: auth reads the store) or enable an account
  app.patch<{ Params: { name: string }; Body: { disabled: boolean } }>(
    '/api/annotators/:name',
    { config: { ...admin, rateLimit: perMinute(120) }, schema: { params: S.nameParams, body: S.patchAnnotatorBody } },
    async (req) => {
      const who = me(req);
      if (req.params.name === who.name && req.body.disabled) throw new HttpError(409, 'E_CONFLICT', 'an admin cannot disable their own account', 'params.name');
      const annotator = await store.setAnnotatorDisabled(req.params.name, req.body.disabled, who.name).catch(notFoundAs('params.name'));
      return { annotator };
    },
  );

  // ---- review: adjudications and the audit trail ----
  app.post<{ Params: { queryId: string }; Body: { judgement: Judgement; note?: string } }>(
    '/api/queries/:queryId/adjudication',
    { config: review, schema: { params: S.queryParams, body: S.adjudicationBody } },
    async (req, reply) => {
      const adjudication = await store
        .adjudicate({ queryId: req.params.queryId, reviewer: me(req).name, judgement: req.body.judgement, ...(req.body.note !== undefined ? { note: req.body.note } : {}) })
        .catch(notFoundAs('params.queryId'));
      void reply.code(201);
      return { adjudication };
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { queryId?: string; limit?: string; offset?: string } }>(
    '/api/runs/:runId/adjudications',
    { config: review, schema: { params: S.runParams, querystring: S.adjudicationsQuery } },
    async (req) => {
      await requireRun(req.params.runId);
      const q = req.query;
      const adjudications = await store.listAdjudications(req.params.runId, {
        limit: intParam(q.limit, 1000, 10000),
        offset: intParam(q.offset, 0),
        ...(q.queryId !== undefined ? { queryId: q.queryId } : {}),
      });
      return { adjudications };
    },
  );

  app.get<{ Querystring: { runId?: string; queryId?: string; annotator?: string; action?: AuditAction; limit?: string; offset?: string } }>(
    '/api/audit',
    { config: review, schema: { querystring: S.auditQuery } },
    async (req) => {
      const { limit, offset, ...filter } = req.query;
      return { audit: await store.listAudit({ ...filter, limit: intParam(limit, 1000, 10000), offset: intParam(offset, 0) }) };
    },
  );

  // where this server's store is (the dashboard says how to serve a run again after its server stopped)
  app.get('/api/server', { config: review, schema: { querystring: S.emptyQuery } }, async () => ({
    service: SERVICE_NAME,
    version,
    store: store.backend,
    location: store.location,
    storeId,
  }));

  // ---- admin: runs ----
  app.post<{ Body: { id?: string; domain: string; config?: Record<string, unknown>; status?: RunStatus } }>(
    '/api/runs',
    { config: admin, schema: { body: S.createRunBody } },
    async (req, reply) => {
      const b = req.body;
      const run = await store
        .createRun({ id: b.id ?? runId(b.domain), domain: b.domain, config: b.config ?? {}, status: b.status ?? 'created' })
        .catch(asBodyField({ 'run.config': 'config' }));
      void reply.code(201);
      return { run };
    },
  );

  app.get('/api/runs', { config: review, schema: { querystring: S.emptyQuery } }, async () => ({ runs: await store.listRuns() }));

  app.get<{ Params: { runId: string } }>('/api/runs/:runId', { config: review, schema: { params: S.runParams, querystring: S.emptyQuery } }, async (req) => {
    const run = await requireRun(req.params.runId);
    return { run, stats: await store.runStats(run.id) };
  });

  app.patch<{ Params: { runId: string }; Body: { status?: RunStatus; config?: Record<string, unknown> } }>(
    '/api/runs/:runId',
    { config: admin, schema: { params: S.runParams, body: S.patchRunBody } },
    async (req) => {
      await requireRun(req.params.runId);
      return { run: await store.updateRun(req.params.runId, req.body) };
    },
  );

  app.get<{ Params: { runId: string } }>('/api/runs/:runId/stats', { config: review, schema: { params: S.runParams, querystring: S.emptyQuery } }, async (req) => {
    await requireRun(req.params.runId);
    return store.runStats(req.params.runId);
  });

  app.get<{ Params: { runId: string }; Querystring: { iteration?: string } }>(
    '/api/runs/:runId/agreement',
    { config: review, schema: { params: S.runParams, querystring: S.agreementQuery } },
    async (req) => {
      await requireRun(req.params.runId);
      const iteration = req.query.iteration !== undefined ? Number(req.query.iteration) : undefined;
      const records = await store.listJudgements(req.params.runId, { limit: 1_000_000, ...(iteration !== undefined ? { iteration } : {}) });
      return computeAgreement(req.params.runId, records, iteration ?? null);
    },
  );

  app.post<{ Params: { runId: string }; Body: { queries: Record<string, unknown>[]; redundancy?: number } }>(
    '/api/runs/:runId/queries',
    { config: admin, bodyLimit: QUERIES_BODY_LIMIT, schema: { params: S.runParams, body: S.addQueriesBody } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const queries = req.body.queries.map((q) => ({ ...q, runId: q.runId ?? req.params.runId }));
      const added = await store.addQueries(req.params.runId, queries as never, { redundancy: req.body.redundancy ?? 1 });
      void reply.code(201);
      return { added };
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { status?: 'pending' | 'leased' | 'done'; iteration?: string; limit?: string; offset?: string } }>(
    '/api/runs/:runId/queries',
    { config: review, schema: { params: S.runParams, querystring: S.listQueriesQuery } },
    async (req) => {
      await requireRun(req.params.runId);
      const q = req.query;
      const queries = await store.listQueries(req.params.runId, {
        limit: intParam(q.limit, 100, 1000),
        offset: intParam(q.offset, 0),
        ...(q.status !== undefined ? { status: q.status } : {}),
        ...(q.iteration !== undefined ? { iteration: Number(q.iteration) } : {}),
      });
      return { queries };
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { iteration?: string; annotator?: string; limit?: string; offset?: string } }>(
    '/api/runs/:runId/judgements',
    { config: review, schema: { params: S.runParams, querystring: S.listJudgementsQuery } },
    async (req) => {
      await requireRun(req.params.runId);
      const q = req.query;
      const judgements = await store.listJudgements(req.params.runId, {
        limit: intParam(q.limit, 1000, 10000),
        offset: intParam(q.offset, 0),
        ...(q.iteration !== undefined ? { iteration: Number(q.iteration) } : {}),
        ...(q.annotator !== undefined ? { annotator: q.annotator } : {}),
      });
      return { judgements };
    },
  );

  app.post<{ Params: { runId: string }; Body: { type: string; iteration?: number | null; data: Record<string, unknown> } }>(
    '/api/runs/:runId/events',
    { config: admin, schema: { params: S.runParams, body: S.eventBody } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const event = await store
        .appendEvent(req.params.runId, { type: req.body.type, iteration: req.body.iteration ?? null, data: req.body.data })
        .catch(asBodyField({ 'event.data': 'data', 'event.iteration': 'iteration' }));
      void reply.code(201);
      return { event };
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/api/runs/:runId/export',
    { config: review, schema: { params: S.runParams, querystring: S.emptyQuery } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const lines: string[] = [];
      for await (const l of exportLines(store, req.params.runId)) lines.push(l);
      void reply.header('content-type', 'application/x-ndjson; charset=utf-8');
      return lines.length > 0 ? `${lines.join('\n')}\n` : '';
    },
  );

  // ---- SSE ----
  const hub = new SseHub(store, limits.sse);
  app.get<{ Params: { runId: string }; Querystring: { after?: string } }>(
    '/api/runs/:runId/events',
    { config: { ...any, rateLimit: perMinute(60) }, schema: { params: S.runParams, querystring: S.eventsQuery } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const lastId = req.headers['last-event-id'];
      const fromHeader = typeof lastId === 'string' && /^[0-9]{1,15}$/.test(lastId) ? Number(lastId) : undefined;
      const after = fromHeader ?? (req.query.after !== undefined ? Number(req.query.after) : 0);
      hub.open(req.params.runId, me(req).name, after, req, reply);
      return reply;
    },
  );

  // ---- static front end ----
  if (staticDir !== undefined) {
    await app.register(fastifyStatic, { root: staticDir, prefix: '/', wildcard: true, index: ['index.html'], dotfiles: 'deny', serveDotFiles: false } as never);
  } else {
    app.get('/', { config: { auth: 'none' } }, async (_req, reply) => {
      void reply.type('text/html; charset=utf-8');
      return '<!doctype html><title>rlhfkit</title><h1>rlhfkit labeling server</h1><p>The web app is not built: run <code>npm run build:web</code> and restart. The API is at <code>/api</code> (see docs/api.md).</p>';
    });
  }

  app.setNotFoundHandler({}, async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    // only plain page paths (/label/gw-1, /dashboard/run.2): id characters, no segment starting with a dot,
    // no encodings, no empty segments, not a missing asset (a file extension)
    const looksLikePage =
      req.method === 'GET' &&
      !path.startsWith('/api') &&
      /^(\/[A-Za-z0-9_:-][A-Za-z0-9_.:-]*)*\/?$/.test(path) &&
      !path.includes('..') &&
      !ASSET_EXTENSION.test(path);
    if (staticDir !== undefined && looksLikePage) {
      // client-side routing: unknown page paths get the app
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    return reply.code(404).send({ error: { code: 'E_NOT_FOUND', message: `no route ${req.method} ${path}` } });
  });

  const address = await app.listen({ host, port });
  const url = address.replace('[::1]', 'localhost');
  let closed = false;
  return {
    app,
    url,
    adminToken,
    async close() {
      if (closed) return;
      closed = true;
      hub.closeAll();
      await app.close();
    },
  };
}
