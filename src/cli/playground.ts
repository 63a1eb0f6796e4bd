/**
 * `rlhf playground`: serves the built playground (web/dist-playground, `npm run build:playground`) with a plain static
 * file server and prints its URL, until Ctrl-C. The page runs the whole loop itself (docs/playground.md): this server
 * only hands out files, adding the two headers that make the page cross-origin isolated (so TensorFlow.js's wasm
 * backend may use threads): Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp.
 * Any other static server serves the folder too (without threads, unless it sends those headers).
 *
 *   rlhf playground [--port 8790] [--host 127.0.0.1] [--dir web/dist-playground] [--build]
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandFlags } from './args.js';
import { defineOptions, renderHelp } from '../core/config/options.js';
import { ConfigError } from '../core/errors.js';

interface PlaygroundFlags {
  port: number;
  host: string;
  dir: string | null;
  build: boolean;
}

export const PLAYGROUND_OPTIONS = defineOptions<PlaygroundFlags>('playground', [
  { key: 'port', type: 'int', min: 0, max: 65535, default: 8790, metavar: 'P', help: 'port, 0 = any free port' },
  {
    key: 'host',
    type: 'string',
    default: '127.0.0.1',
    metavar: 'H',
    help: 'interface to bind',
    check: (v) => (/^[A-Za-z0-9.:[\]-]{1,255}$/.test(v) ? undefined : `--host must be a host name or IP address, got "${v}"`),
  },
  { key: 'dir', type: 'string', nullable: true, default: null, defaultHelp: 'web/dist-playground', metavar: 'DIR', help: 'the built playground to serve' },
  { key: 'build', type: 'bool', default: false, help: 'build it first (npm run build:playground), as when the folder is missing' },
]);

export const PLAYGROUND_USAGE = renderHelp('rlhf playground — the RLHF loop in a browser tab, served from a static folder (docs/playground.md)', [PLAYGROUND_OPTIONS], 'rlhf playground [options]');

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root, from src/cli (tsx) or dist/src/cli (compiled). */
const ROOT = [resolve(HERE, '../..'), resolve(HERE, '../../..')].find((d) => existsSync(join(d, 'web', 'vite.playground.config.ts'))) ?? resolve(HERE, '../..');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** A static file server over `dir` (GET and HEAD; / → playground.html), cross-origin isolated. */
export function staticServer(dir: string): Server {
  const base = resolve(dir);
  return createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, headers).end('bad path');
      return;
    }
    if (path === '/') path = '/playground.html';
    const file = normalize(join(base, path));
    if (!(file === base || file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      // hashed assets never change; the page itself is looked at again
      'Cache-Control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
}

/** Builds the playground into `outDir` with Vite (a development install has it). */
export async function buildPlayground(outDir?: string): Promise<void> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new ConfigError('build', 'building the playground needs the development install (vite): run `npm install` in the repository, then `npm run build:playground`');
  }
  await vite.build({ configFile: join(ROOT, 'web', 'vite.playground.config.ts'), logLevel: 'warn', ...(outDir ? { build: { outDir, emptyOutDir: true } } : {}) });
}

/** Starts the server; resolves with its URL (the page) and a close function. */
export async function servePlayground(o: { dir: string; host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = staticServer(o.dir);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return { url: `http://${host}:${port}/playground.html`, close: () => new Promise((ok) => server.close(() => ok())) };
}

export async function playgroundCommand(argv: string[]): Promise<number> {
  const values = commandFlags(argv, [PLAYGROUND_OPTIONS], PLAYGROUND_USAGE);
  if (!values) return 0;
  const f = PLAYGROUND_OPTIONS.resolveFlags(values);
  const dir = resolve(f.dir ?? join(ROOT, 'web', 'dist-playground'));
  if (f.build || (!f.dir && !existsSync(join(dir, 'playground.html')))) {
    console.error(`building the playground into ${dir} …`);
    await buildPlayground(dir);
  }
  if (!existsSync(join(dir, 'playground.html'))) throw new ConfigError('dir', `--dir ${dir} holds no playground.html: build it with \`npm run build:playground\` (or pass --build)`);
  let served: { url: string; close(): Promise<void> };
  try {
    served = await servePlayground({ dir, host: f.host, port: f.port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ConfigError('port', `--port ${f.port} is in use: pass another port (or 0 for any free one)`);
    throw e;
  }
  console.log(`playground: ${served.url}`);
  console.log(`  (${dir}; Ctrl-C stops)`);
  await new Promise<void>((done) => {
    const stop = () => void served.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
