/**
 * Vite config of the playground (web/playground): the RLHF loop in a static page. Build from the repository root:
 *   npm run build:playground        → web/dist-playground: playground.html, its scripts, the tfjs wasm binaries
 * Any static file server serves the folder (`rlhf playground` is one, with the headers that enable wasm threads).
 *
 * The page imports browser-safe modules of src/ (the import rules of .dependency-cruiser.cjs). A few of them load a
 * Node-only module lazily, on a path the page never takes (the run driver's run directory, a domain's report writer,
 * the tfjs fitter's backend set-up): those modules — the NODE_ONLY list of .dependency-cruiser.cjs, read from there —
 * and cli-progress are replaced in the bundle by stubs whose exports throw when used, so no Node code (and no
 * `node:` import) reaches the build. (src/loop/people/gatherer.ts, whose μ̄ and teacher-judgement helpers the page
 * uses, imports the store's loop bridge: that bridge is stubbed, and only the labeling server's gatherer calls it.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('./playground', import.meta.url));

/** The Node-only modules, as the import rules list them (the browser rule's exceptions). */
function nodeOnly(): RegExp[] {
  const cfg = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as { forbidden: Array<{ name: string; from: { pathNot?: string[] } }> };
  const rule = cfg.forbidden.find((r) => r.name === 'browser-module-imports-node');
  if (!rule?.from.pathNot) throw new Error('.dependency-cruiser.cjs: rule browser-module-imports-node with from.pathNot (the Node-only list) not found');
  return rule.from.pathNot.map((p) => new RegExp(p));
}

const STUB = '\0rlhf-node-only:';

/** Replaces Node-only modules by stubs: the same export names, each a function that throws when called (see the file comment). */
function nodeOnlyStubs(): Plugin {
  const patterns = nodeOnly();
  return {
    name: 'rlhf-node-only-stubs',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (source === 'cli-progress') return `${STUB}cli-progress`;
      if (!importer || source.startsWith('\0') || !(source.startsWith('.') || source.startsWith('/'))) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!r) return null;
      const rel = relative(repo, r.id).split('\\').join('/');
      return patterns.some((p) => p.test(rel)) ? `${STUB}${r.id}` : null;
    },
    load(id) {
      if (!id.startsWith(STUB)) return null;
      const file = id.slice(STUB.length);
      const fns = new Set<string>();
      const values = new Set<string>();
      if (file !== 'cli-progress') {
        const src = readFileSync(file, 'utf8');
        for (const m of src.matchAll(/^export\s+(?:async\s+)?(function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)/gm)) (m[1] === 'const' || m[1] === 'let' ? values : fns).add(m[2]!);
      }
      const what = JSON.stringify(`${relative(repo, file) || file} runs in Node only: the playground must not use it`);
      return [
        `function fail() { throw new Error(${what}); }`,
        ...[...fns].map((n) => `export function ${n}() { fail(); }`),
        ...[...values].map((n) => `export const ${n} = undefined;`),
        'export default fail;',
      ].join('\n');
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [nodeOnlyStubs(), preact()],
  server: { fs: { allow: [repo] } },
  build: {
    outDir: fileURLToPath(new URL('./dist-playground', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // not minified: tfjs-backend-wasm starts its threads from the source text of a function of the bundle
    // (wasmFactoryThreadedSimd.toString()), which must still name what it names after bundling
    minify: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4000,
    rollupOptions: { input: { playground: fileURLToPath(new URL('./playground/playground.html', import.meta.url)) } },
  },
});
