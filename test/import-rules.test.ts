// The import rules (.dependency-cruiser.cjs, `npm run lint:deps` in `npm test`) can fail: a small tree that breaks
// each rule once, and does a few allowed things, is cruised with the project's own config; every rule must report
// its one violation and nothing else may be reported. So a rule whose pattern stops matching fails here instead of
// passing silently.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** The fixture tree: path → source. Each breaking import is marked with the rule it breaks. */
const TREE: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, jsx: 'react-jsx' } }),
  // a cycle inside one domain, through a type-only import                                  → no-cycle
  'src/domains/alpha/a.ts': "import { b } from './b.js';\nexport const a = (): number => b;\n",
  'src/domains/alpha/b.ts': "import type { A } from './types.js';\nexport const b = 1;\nexport type B = A;\n",
  'src/domains/alpha/types.ts': "import { a } from './a.js';\nexport type A = ReturnType<typeof a>;\n",
  // a domain reaching into another                                                         → domain-imports-another-domain
  'src/domains/alpha/c.ts': "import { x } from '../beta/x.js';\nexport const c = x;\n",
  // a browser-safe module using the disk                                                   → browser-module-imports-node
  'src/domains/beta/x.ts': "import { readFileSync } from 'node:fs';\nexport const x = typeof readFileSync;\n",
  // allowed: a domain's command and report writer are Node-only
  'src/domains/beta/cli.ts': "import { join } from 'node:path';\nimport { x } from './x.js';\nexport const cli = join(x);\n",
  'src/domains/beta/report.ts': "import { writeFileSync } from 'node:fs';\nexport const report = writeFileSync;\n",
  // a shared folder importing a domain                                                     → only-edges-import-domains
  'src/loop/driver.ts': "import { a } from '../domains/alpha/a.js';\nexport const driver = a;\n",
  // an import that resolves to nothing                                                     → unresolvable-import
  'src/loop/broken.ts': "import { nope } from './nope.js';\nexport const broken = nope;\n",
  // core importing the rest of the project                                                 → core-imports-only-core
  'src/core/bad.ts': "import { driver } from '../loop/driver.js';\nexport const bad = driver;\n",
  // allowed: core importing core; the named Node-only modules of core (safetensors: files on disk) import node: modules
  'src/core/ok.ts': "import { bad } from './bad.js';\nexport const ok = bad;\n",
  'src/core/safetensors.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
  // the store importing the server                                                         → store-imports-server
  'src/store/index.ts': "import { serve } from '../server/app.js';\nexport const store = serve;\n",
  'src/server/app.ts': "import { createServer } from 'node:http';\nexport const serve = createServer;\n",
  // allowed: the CLI and the public index import domains and node: modules
  'src/cli/main.ts': "import { argv } from 'node:process';\nimport { a } from '../domains/alpha/a.js';\nexport const main = [argv, a];\n",
  'src/index.ts': "export * as alpha from './domains/alpha/a.js';\n",
  // the web app: a value import of a Node-only module                                      → web-imports-node-only-module
  'web/src/page.ts': "import { cli } from '../../src/domains/beta/cli.js';\nexport const page = cli;\n",
  // allowed: a type from a Node-only module, and a value from a domain (web/ may import domains)
  'web/src/types.ts': "import type { store } from '../../src/store/index.js';\nimport { a } from '../../src/domains/alpha/a.js';\nexport type S = typeof store;\nexport const t = a;\n",
  // a cycle in the web app                                                                 → no-cycle
  'web/src/one.ts': "import { two } from './two.js';\nexport const one = (): number => two;\n",
  'web/src/two.ts': "import { one } from './one.js';\nexport const two = 2;\nexport const again = one;\n",
  // unit tests are not cruised: this one breaks every rule and must not be reported
  'src/core/bad.test.ts': "import { readFileSync } from 'node:fs';\nimport { a } from '../domains/alpha/a.js';\nexport const t = [readFileSync, a];\n",
};

/** Every violation expected, as "rule: from → to" (a cycle is reported once, at its first edge; node:fs as fs). */
const EXPECTED = [
  'no-cycle: src/domains/alpha/a.ts → src/domains/alpha/b.ts',
  'no-cycle: web/src/one.ts → web/src/two.ts',
  'domain-imports-another-domain: src/domains/alpha/c.ts → src/domains/beta/x.ts',
  'browser-module-imports-node: src/domains/beta/x.ts → fs',
  'only-edges-import-domains: src/loop/driver.ts → src/domains/alpha/a.ts',
  'unresolvable-import: src/loop/broken.ts → ./nope.js',
  'core-imports-only-core: src/core/bad.ts → src/loop/driver.ts',
  'store-imports-server: src/store/index.ts → src/server/app.ts',
  'web-imports-node-only-module: web/src/page.ts → src/domains/beta/cli.ts',
].sort();

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rlhf-import-rules-'));
  for (const [path, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** depcruise on the fixture tree with the project's config, as `npm run lint:deps` runs it (but the output type). */
function depcruise(outputType: 'json' | 'err-long') {
  return spawnSync(process.execPath, [DEPCRUISE, 'src', 'web/src', '--config', CONFIG, '--output-type', outputType], { cwd: dir, encoding: 'utf8' });
}

describe('import rules (.dependency-cruiser.cjs)', () => {
  it('each rule reports its one violation in the fixture tree, and nothing allowed is reported', () => {
    const r = depcruise('json');
    expect(r.stderr).toBe('');
    const violations = (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
    const seen = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(seen).toEqual(EXPECTED);
  });

  it('the check fails (non-zero exit) and each message says what to do', () => {
    const r = depcruise('err-long');
    expect(r.status).not.toBe(0);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/error no-cycle: .*moving what both sides need/);
    expect(text).toMatch(/error domain-imports-another-domain: .*Move what both need into the shared folder/);
    expect(text).toMatch(/error browser-module-imports-node: .*Move the file I\/O/);
    expect(text).toMatch(new RegExp(`x ${EXPECTED.length} dependency violations \\(${EXPECTED.length} errors`));
  });

  it('every rule of the config is exercised by the fixture', async () => {
    const config = (await import(CONFIG)) as { default: { forbidden: Array<{ name: string }> } };
    const rules = config.default.forbidden.map((r) => r.name).sort();
    const exercised = [...new Set(EXPECTED.map((e) => e.split(':')[0]!))].sort();
    expect(exercised).toEqual(rules);
  });

  it('`npm test` runs the check on src and web/src before vitest', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['lint:deps']).toMatch(/^depcruise src web\/src --config \.dependency-cruiser\.cjs\b/);
    const test = scripts.test!;
    expect(test).toContain('npm run lint:deps');
    expect(test.indexOf('npm run lint:deps')).toBeLessThan(test.indexOf('vitest'));
  });
});
