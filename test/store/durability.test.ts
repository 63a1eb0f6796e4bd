/**
 * Durability: a child process writes judgements and is killed with SIGKILL in the middle; after reopening the
 * store, every judgement the child acknowledged (printed after its promise resolved) is present.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { availableBackends, type Backend } from './backends.js';
import { cmpQuery } from './queries.js';

const { backends } = await availableBackends();
const WRITER = fileURLToPath(new URL('./fixtures/durable-writer.ts', import.meta.url));
const N = 3000;

/** Runs the writer until it acknowledged `killAfter` writes, SIGKILLs it, returns the acknowledged ids. */
function runAndKill(location: string, killAfter: number): Promise<{ acked: string[]; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, location, String(N)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let buf = '';
    let stderr = '';
    let finished = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ack ')) acked.push(line.slice(4));
        if (line === 'finished') finished = true;
        if (acked.length >= killAfter && !child.killed) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`writer failed (${code}): ${stderr}`));
      else resolve({ acked, finished });
    });
  });
}

describe.each(backends)('durability under SIGKILL: $name', (backend: Backend) => {
  afterAll(() => backend.cleanup());

  it('every acknowledged judgement survives kill -9', async () => {
    const location = backend.freshLocation();
    const setup = await backend.open(location);
    await setup.createRun({ id: 'dur', domain: 'gridworld' });
    await setup.addQueries(
      'dur',
      Array.from({ length: N }, (_, i) => cmpQuery(`w${i}`, 0, 'dur')),
    );
    await setup.close();

    const { acked, finished } = await runAndKill(location, 400);
    expect(finished).toBe(false); // killed mid-stream, not after the end
    expect(acked.length).toBeGreaterThanOrEqual(400);

    const store = await backend.open(location);
    const present = new Set((await store.listJudgements('dur', { limit: N })).map((j) => j.queryId));
    const lost = acked.filter((id) => !present.has(id));
    expect(lost).toEqual([]);
    // the store is consistent: judged counters match the judgements
    const done = await store.listQueries('dur', { status: 'done', limit: N });
    expect(done.length).toBe(present.size);
    await store.close();
  }, 60_000);
});
