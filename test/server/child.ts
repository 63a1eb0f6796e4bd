/** Starts the labeling server in a child process (fixtures/server-child.ts) and waits for its URL. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/server-child.ts', import.meta.url));

export interface ServerChild {
  proc: ChildProcess;
  url: string;
  /** resolves with the signal when the process is gone */
  exited: Promise<NodeJS.Signals | null>;
}

/** `as`: run the child as another user (e.g. { uid: 65534, gid: 65534 } to serve a file it may not write). */
export function startServerChild(location: string, port = 0, staticDir?: string, as?: Pick<SpawnOptions, 'uid' | 'gid'>): Promise<ServerChild> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, location, String(port), ...(staticDir ? [staticDir] : [])], { stdio: ['ignore', 'pipe', 'pipe'], ...as });
    const exited = new Promise<NodeJS.Signals | null>((r) => proc.on('exit', (_code, signal) => r(signal)));
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        try {
          resolve({ proc, url: (JSON.parse(out.slice(0, nl)) as { url: string }).url, exited });
        } catch (e) {
          reject(e);
        }
      }
    });
    proc.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`server child exited (${code}) before listening: ${err}`));
    });
  });
}

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/**
 * `rlhf serve --db <db> --port 0 --no-static --quiet [args]` in its own process (what a replica behind a proxy
 * runs); resolves with its URL once it listens. The admin token goes in the environment (RLHF_ADMIN_TOKEN).
 */
export function startServeProcess(db: string, env: Record<string, string> = {}, args: string[] = []): Promise<ServerChild> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--db', db, '--port', '0', '--no-static', '--quiet', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => proc.on('exit', (_code, signal) => r(signal)));
    let out = '';
    let err = '';
    let done = false;
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /rlhf serve: (http:\/\/\S+?)\/?\s/.exec(out);
      if (m && !done) {
        done = true;
        resolve({ proc, url: m[1]!, exited });
      }
    });
    proc.on('exit', (code) => {
      if (!done) reject(new Error(`rlhf serve exited (${code}) before listening: ${err || out}`));
    });
  });
}
