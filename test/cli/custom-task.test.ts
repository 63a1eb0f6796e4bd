/**
 * `rlhf run ./my-task.ts`: a user's task module (examples/custom-task.ts, a preference bandit that is none of the five
 * domains) runs through the one run command like a built-in domain — with the simulated teacher to a good result, with
 * an exact --resume after an abrupt stop, with people labeling over HTTP (--judge human), and bad modules are one-line
 * usage errors.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-task-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const REPO = resolve(__dirname, '../..');
const MAIN = resolve(REPO, 'src/cli/main.ts');
const TASK = 'examples/custom-task.ts';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, RLHF_PROGRESS: '' }, cwd: REPO, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rlhf run examples/custom-task.ts', () => {
  it('--judge simulated: learns the hidden reward and writes the run directory', () => {
    const out = join(root, 'sim');
    const r = cli(['run', TASK, '--out', out, '--seed', '3', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
    expect(s.reward_correlation).toBeGreaterThan(0.75); // the learned r̂ ranks the arms like the hidden r* (0.82 here)
    expect(s.labels).toBe(40 * 16);
    for (const f of ['config.json', 'metrics.jsonl', 'timing.jsonl', 'checkpoint.json', 'summary.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const first = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]!) as Record<string, number>;
    expect(s.regret).toBeLessThan(0.1 * first['objective/regret']!); // the policy moved to the best arms (5.24 → 0.35 here)
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ arms: 20, teacher: 'noisy', seed: 3 });
  });

  it('an abrupt stop after iteration 5 resumes to the same metrics as an uninterrupted run', () => {
    const whole = join(root, 'whole');
    const cut = join(root, 'cut');
    expect(cli(['run', TASK, '--out', whole, '--iterations', '12', '--quiet']).code).toBe(0);
    expect(cli(['run', TASK, '--out', cut, '--iterations', '12', '--quiet'], { RLHF_STOP_AFTER: '5' }).code).toBe(75);
    expect(existsSync(join(cut, 'summary.json'))).toBe(false);
    expect(cli(['run', TASK, '--out', cut, '--iterations', '12', '--quiet', '--resume']).code).toBe(0);
    expect(readFileSync(join(cut, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(whole, 'metrics.jsonl'), 'utf8'));
  });

  it('--judge human: a person labels the queries over HTTP and the run trains on them', async () => {
    const out = join(root, 'human');
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'run', TASK, '--out', out, '--judge', 'human', '--port', '0', '--iterations', '2', '--batch', '3', '--labels-per-iteration', '3', '--json'], {
      cwd: REPO,
      env: { ...process.env, RLHF_PROGRESS: '' },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((ok) => child.on('exit', ok));
    // the printed log-in link: <base>/label/<run>#token=<annotator token>
    const deadline = Date.now() + 60_000;
    let link: RegExpExecArray | null = null;
    while (!(link = /label as "labeler":\s+(http:\/\/[^/\s]+)\/label\/(\S+)#token=(rlhf_\S+)/.exec(stderr)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(link, stderr).not.toBeNull();
    const [, base, runId, token] = link!;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // label 6 queries (2 iterations × 3): always prefer the arm with the larger first feature
    let labelled = 0;
    while (labelled < 6 && Date.now() < deadline) {
      const lease = await api('POST', `/api/runs/${runId}/lease`);
      const q = lease.body.query as { id: string; samples: Array<{ id: string; payload: { features: number[] } }> } | null;
      if (!q) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const [l, r] = q.samples;
      const preferred = l!.payload.features[0]! >= r!.payload.features[0]! ? 'left' : 'right';
      const res = await api('POST', `/api/queries/${q.id}/judgement`, { judgement: { kind: 'comparison', leftId: l!.id, rightId: r!.id, preferred } });
      expect(res.status).toBe(201);
      labelled++;
    }
    expect(await exited, stderr).toBe(0);
    const s = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
    expect(s.labels).toBe(6);
    const store = await openStore(join(out, 'feedback.sqlite'));
    try {
      const recs = await store.listJudgements(runId!);
      expect(recs).toHaveLength(6);
      expect(new Set(recs.map((x) => x.annotator))).toEqual(new Set(['labeler']));
      expect((await store.getRun(runId!))?.status).toBe('done');
    } finally {
      await store.close();
    }
  }, 90_000);

  it('bad task modules are one-line usage errors (exit 2) naming the problem', () => {
    const noExport = join(root, 'empty.mjs');
    writeFileSync(noExport, 'export const x = 1;\n');
    const noCreate = join(root, 'nocreate.mjs');
    writeFileSync(noCreate, "export default { name: 'x', title: 'x', options: {} };\n");
    const cases: Array<[string, RegExp]> = [
      [join(root, 'missing.js'), /no such file/],
      [noExport, /exports no task: `export default defineTask/],
      [noCreate, /its task has no create/],
    ];
    for (const [path, message] of cases) {
      const r = cli(['run', path]);
      expect(r.code, path).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
