/**
 * `rlhf run ./my-task.js` (or `.ts`): a user's task module, run like a built-in domain. The module's default export
 * (or its export named `task`) is a TaskModule (src/loop/driver.ts, `defineTask`): a name, a title, its options
 * (defineOptions) and `create(config, ctx)` returning the DomainRun. A `.ts` module is loaded through tsx when it is
 * installed. Every problem with the file is a one-line usage error that names it and says what to do (exit 2).
 */
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../core/errors.js';
import { taskOf, type TaskModule } from '../loop/driver.js';
import { runDomainCommand, type DomainCommand } from './runCommand.js';

/** Loads and checks a task module. */
export async function loadTaskModule(path: string): Promise<TaskModule<unknown, object>> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file (a task module: a .js or .ts file that exports defineTask({ … }))`);
  const ext = extname(file);
  if (/^\.[mc]?ts$/.test(ext) && !process.execArgv.join(' ').includes('tsx') && !process.env.TSX) {
    try {
      const api = (await import('tsx/esm/api')) as { register(): unknown };
      api.register();
    } catch {
      throw new UsageError(`task module ${path}: a TypeScript task needs tsx (npm install -D tsx), or compile it to .js first`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`task module ${path} failed to load: ${(e as Error).message.split('\n')[0]}`);
  }
  const t = (mod.default ?? mod.task) as Partial<TaskModule<unknown, object>> | undefined;
  if (!t || typeof t !== 'object') throw new UsageError(`task module ${path} exports no task: \`export default defineTask({ name, title, options, create })\``);
  const missing = (['name', 'title', 'options', 'create'] as const).filter((k) => t[k] === undefined);
  if (missing.length > 0) throw new UsageError(`task module ${path}: its task has no ${missing.join(', ')} (see docs/adding-a-domain.md)`);
  if (typeof t.name !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(t.name)) throw new UsageError(`task module ${path}: name must be 1–40 letters, digits, "_" or "-", got ${JSON.stringify(t.name)}`);
  if (typeof t.create !== 'function') throw new UsageError(`task module ${path}: create must be a function (config, ctx) → DomainRun`);
  const o = t.options as { resolveFlags?: unknown; flagSpec?: unknown };
  if (typeof o.resolveFlags !== 'function' || typeof o.flagSpec !== 'function') throw new UsageError(`task module ${path}: options must come from defineOptions(…)`);
  return t as TaskModule<unknown, object>;
}

/** The run command of a task module. */
export function taskCommand(t: TaskModule<unknown, object>): DomainCommand<unknown, object> {
  return {
    name: t.name,
    title: t.title,
    options: [t.options],
    configFromFlags: (values) => t.options.resolveFlags(values),
    task: () => taskOf(t),
    headline: (s, c, dir) => (t.headline ? t.headline(s, c, dir) : `${t.name}: ${JSON.stringify(s)} → ${dir}`),
  };
}

/** `rlhf run ./my-task.js [options]` */
export async function runTaskModuleCommand(path: string, argv: string[]): Promise<number> {
  return runDomainCommand(taskCommand(await loadTaskModule(path)), argv);
}
