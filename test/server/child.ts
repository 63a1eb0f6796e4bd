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
