/**
 * The `rlhf` command. Each subcommand lives with the code it runs (a domain's cli.ts, the server's cli.ts) and is
 * loaded lazily here, so `rlhf --help` starts fast and a domain's heavy imports load only when used.
 *
 * Exit codes: 0 success; 2 bad usage or an invalid option (one line naming the flag, nothing written); 1 any other error.
 */
import { pathToFileURL } from 'node:url';
import { RlhfError } from '../core/errors.js';

type Command = (argv: string[]) => Promise<number>;

/** [module path relative to this file, exported function] for every subcommand. */
const COMMANDS: Record<string, Record<string, [string, string]>> = {
  run: {
    gridworld: ['../domains/gridworld/cli.js', 'gridworldCommand'],
    line: ['../domains/line/cli.js', 'lineCommand'],
    adder: ['../domains/adder/cli.js', 'adderCommand'],
    text: ['../domains/text/rlhf/cli.js', 'textCommand'],
    digits: ['../domains/digits/cli.js', 'digitsCommand'],
    arithmetic: ['../domains/arithmetic/cli.js', 'arithmeticCommand'],
  },
  pretrain: {
    digits: ['../domains/digits/cli.js', 'pretrainDigitsCommand'],
    text: ['../domains/text/pretrain.js', 'pretrainTextCommand'],
    arithmetic: ['../domains/arithmetic/cli.js', 'pretrainArithmeticCommand'],
  },
  serve: { '': ['../server/cli.js', 'serveCommand'] },
  export: { '': ['../server/cli.js', 'exportCommand'] },
  import: { '': ['../server/cli.js', 'importCommand'] },
  generate: { '': ['./generate.js', 'generateCommand'] },
  playground: { '': ['./playground.js', 'playgroundCommand'] },
};

const USAGE = `rlhf — reinforcement learning from human feedback

usage:
  rlhf run <domain> [options]      run the RLHF loop on a domain (${Object.keys(COMMANDS.run!).join(', ')})
  rlhf run ./my-task.js [options]  run your own task module (docs/adding-a-domain.md)
  rlhf pretrain <domain> [options] pretrain a domain's base model
  rlhf generate --model DIR --prompt TEXT   continue a prompt with a GPT-2 or Llama-family model
  rlhf serve [options]             start the labeling server and web app
  rlhf playground [options]        the whole loop in a browser tab: serve the static playground, print its URL
  rlhf export | import [options]   move judgements to and from JSONL

  rlhf <command> [domain] --help   options of a command`;

async function load(spec: [string, string]): Promise<Command> {
  const mod = (await import(new URL(spec[0], import.meta.url).href)) as Record<string, unknown>;
  const fn = mod[spec[1]];
  if (typeof fn !== 'function') throw new Error(`internal: ${spec[0]} does not export ${spec[1]}`);
  return fn as Command;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const table = COMMANDS[cmd];
  if (!table) {
    console.error(`rlhf: unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  let spec = table[''];
  let args = [sub, ...rest].filter((a): a is string => a !== undefined);
  if (!spec) {
    if (!sub || sub.startsWith('-')) {
      console.error(`rlhf ${cmd}: name a domain: ${Object.keys(table).join(', ') || '(none yet)'}`);
      return 2;
    }
    spec = table[sub];
    args = rest;
    if (!spec && cmd === 'run' && isTaskPath(sub)) {
      // a user's task module: rlhf run ./my-task.js [options]
      const { runTaskModuleCommand } = await import('./taskModule.js');
      return runCommand(`rlhf run ${sub}`, () => runTaskModuleCommand(sub, rest));
    }
    if (!spec) {
      console.error(`rlhf ${cmd}: unknown domain "${sub}"; expected one of ${Object.keys(table).join(', ')}`);
      return 2;
    }
  }
  const found = spec;
  return runCommand(`rlhf ${cmd}${table[''] ? '' : ` ${sub}`}`, async () => (await load(found))(args));
}

/** Runs a command; an RlhfError becomes one line on stderr and its exit code (2 for usage and config errors). */
async function runCommand(name: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RlhfError) {
      const exit = e.code === 'E_CONFIG' || e.code === 'E_USAGE' ? 2 : 1;
      console.error(`${name}: ${e.message}`);
      if (process.env.RLHF_DEBUG) console.error(e.stack);
      return exit;
    }
    throw e;
  }
}

/** True when `rlhf run <arg>` names a task module file rather than a built-in domain. */
function isTaskPath(arg: string): boolean {
  return /[\\/]/.test(arg) || /\.[cm]?[jt]s$/.test(arg);
}

// run directly (tsx src/cli/main.ts ...)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
