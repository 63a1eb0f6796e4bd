/**
 * The import rules that keep the house in shape (docs/ARCHITECTURE.md), checked by dependency-cruiser in `npm test`:
 *
 *   npm run lint:deps        (= depcruise src web/src --config .dependency-cruiser.cjs)
 *
 * Every rule's `comment` is the message printed for a violation: it says what to do. test/import-rules.test.ts runs
 * these rules on a fixture tree that breaks each of them once, so a rule that stops matching fails the tests.
 *
 * Paths are relative to the repository root (the fixture test cruises its own tree with `baseDir`). Type-only imports
 * count (tsPreCompilationDeps): a type is a dependency of the reader, and a cycle through types is still a cycle.
 */

/**
 * Modules that run in Node only: the edges and the named file-I/O modules. Every other module of src/ and web/src
 * is meant to run in a browser too (the web app, the playground) and imports no `node:` module.
 * Keep this list short: to use the disk in a new module, put the I/O in one of these (or a small new one listed
 * here with its reason) and pass the data in.
 */
const NODE_ONLY = [
  // the edges: the command line, the HTTP server, the feedback stores (SQLite, PostgreSQL)
  '^src/(cli|server|store)/',
  // each domain's command (cli.ts) and report writer (report.ts: figures and report.html on disk)
  '^src/domains/[^/]+/(rlhf/)?(cli|report)\\.ts$',
  // runs on disk: the run directory, safetensors checkpoints, rendered plots and the HTML report, JSONL files
  '^src/loop/runDir\\.ts$',
  // people in the loop: the labeling session opens the store and starts the server
  '^src/loop/people/session\\.ts$',
  '^src/core/safetensors\\.ts$',
  '^src/report/(render|html)\\.ts$',
  '^src/feedback/jsonl\\.ts$',
  // native code: the BLAS addon (N-API)
  '^src/core/nativeBlas\\.ts$',
  // digits: the IDX data set, PNG encoding (node:zlib), pretrained models, the run (pretrained models in its directory), test data
  '^src/domains/digits/(data|images|models|run|testing)\\.ts$',
  // text: the corpus, pretraining, the GPT-2 weights, config, LoRA adapters and tokenizer files
  '^src/domains/text/(corpus|pretrain)\\.ts$',
  // the models' files on disk: config, weights, adapters, value head and tokenizer files
  '^src/models/load\\.ts$',
  // the text domain's gradient pool (worker_threads) sits beside its pretraining
  '^src/domains/text/grad(Pool|Worker)\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment:
        'Import cycle. Break it by moving what both sides need (a type, a constant, a contract) into a module of its ' +
        'own that both import and that imports neither — as src/domains/*/summary.ts, src/domains/*/payload.ts and ' +
        'web/src/renderers/contract.tsx do.',
      from: { path: '^(src|web/src)/' },
      to: { circular: true },
    },
    {
      name: 'domain-imports-another-domain',
      severity: 'error',
      comment:
        'A domain never imports another domain. Move what both need into the shared folder it belongs to ' +
        '(src/reward, src/policy, src/models, src/loop, src/feedback, …) and import it from there in both.',
      from: { path: '^src/domains/([^/]+)/' },
      to: { path: '^src/domains/', pathNot: '^src/domains/$1/' },
    },
    {
      name: 'only-edges-import-domains',
      severity: 'error',
      comment:
        'Only src/cli/, src/index.ts and web/ import from src/domains/. Move the part you need out of the domain into ' +
        'the shared folder it belongs to, or let the domain hand it in (the loop takes a domain\'s parts as parameters).',
      from: { path: '^src/', pathNot: ['^src/domains/', '^src/cli/', '^src/index\\.ts$'] },
      to: { path: '^src/domains/' },
    },
    {
      name: 'store-imports-server',
      severity: 'error',
      comment:
        'The feedback store sits below the server, the loop and the CLI, and imports none of them (nor a domain). ' +
        'Put code that needs the store and one of those in src/server or src/loop, importing the store from there.',
      from: { path: '^src/store/' },
      to: { path: '^src/(server|loop|cli|domains)/' },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment:
        'src/core/ imports nothing of the project outside itself (npm packages and node: modules are fine): it is the ' +
        'layer everything else builds on. Move the helper you need into src/core, or move this code out of core.',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '(^|/)node_modules/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'browser-module-imports-node',
      severity: 'error',
      comment:
        'This module is meant to run in a browser too, so it imports no node: module. Move the file I/O (or threads, ' +
        'native code) into a Node-only module and pass the data in; the Node-only modules are NODE_ONLY in ' +
        '.dependency-cruiser.cjs (src/cli, src/server, src/store and a few named file-I/O modules).',
      from: { path: '^(src|web/src)/', pathNot: NODE_ONLY },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'web-imports-node-only-module',
      severity: 'error',
      comment:
        'The web app bundles what it imports: import only browser-safe modules of src/ (a type from a Node-only ' +
        'module is fine as `import type`). Move what the page needs into a browser-safe module, e.g. the ' +
        "domain's payload.ts.",
      from: { path: '^web/src/' },
      to: { path: NODE_ONLY, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'unresolvable-import',
      severity: 'error',
      comment: 'This import resolves to no file, so the other rules cannot see where it goes: fix the path (with its .js suffix).',
      from: { path: '^(src|web/src)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // unit tests sit beside their modules; they may read files and import anything they test
    exclude: { path: '\\.test\\.tsx?$' },
    doNotFollow: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // package.json "exports" (vega-lite has no "main"), resolved as Node's ESM loader does
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
