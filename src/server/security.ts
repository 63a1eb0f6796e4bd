/**
 * The security headers of every response, from @fastify/helmet: a Content-Security-Policy for the web app and
 * helmet's other headers (nosniff, frame-ancestors / X-Frame-Options DENY, no-referrer, COOP/CORP, …).
 *
 * The configuration is fixed, so the header values are too: they are computed once, at start, by asking
 * @fastify/helmet for them on a throwaway instance, and then set on each response. (Registered on the app
 * itself, @fastify/helmet builds helmet's middleware again for every request, ~30 µs — a fifth of what a whole
 * judgement costs the server.)
 */
import fastifyHelmet from '@fastify/helmet';
import Fastify from 'fastify';

/**
 * The web app's policy. Scripts only from the server itself; `'unsafe-eval'` because Vega (the dashboard's
 * charts) compiles its expressions with `new Function` (vega-interpreter would remove the need), and
 * `'wasm-unsafe-eval'` for TensorFlow.js' wasm backend in the browser. Inline styles: Vega and Preact set style
 * attributes. Images may be data: URLs (digit samples). Nothing may frame the app.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'unsafe-eval'", "'wasm-unsafe-eval'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Headers that belong to one response, not to the policy. */
const NOT_POLICY = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

/** The headers @fastify/helmet sets with rlhfkit's configuration, plus `Cache-Control: no-store`. */
export async function securityHeaders(): Promise<Record<string, string>> {
  const probe = Fastify();
  await probe.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  probe.get('/', async () => '');
  const res = await probe.inject({ method: 'GET', url: '/' });
  await probe.close();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (!NOT_POLICY.has(k) && typeof v === 'string') out[k] = v;
  out['cache-control'] = 'no-store';
  return out;
}
