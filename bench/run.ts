/**
 * Benchmark dispatcher: `npm run bench -- <name> [args…]` imports bench/<name>.ts and calls its
 * `run(args: string[]): Promise<void>`; with no name it lists the benchmarks (first line of each file's doc comment).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

function benchmarks(): Array<{ name: string; about: string }> {
  return readdirSync(HERE)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => {
      const src = readFileSync(join(HERE, f), 'utf8');
      const m = /\/\*\*\s*\n?\s*\*?\s*(.+)/.exec(src);
      return { name: f.replace(/\.ts$/, ''), about: (m?.[1] ?? '').trim() };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const all = benchmarks();
  if (!name || name === '--help' || name === '-h') {
    console.log('usage: npm run bench -- <name> [options]\n\nbenchmarks:');
    for (const b of all) console.log(`  ${b.name.padEnd(12)} ${b.about}`);
    return name ? 0 : 0;
  }
  if (!all.some((b) => b.name === name)) {
    console.error(`bench: unknown benchmark "${name}"; expected one of ${all.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const mod = (await import(pathToFileURL(join(HERE, `${name}.ts`)).href)) as { run?: (args: string[]) => Promise<void> };
  if (typeof mod.run !== 'function') {
    console.error(`bench: bench/${name}.ts does not export run(args)`);
    return 2;
  }
  await mod.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
