/**
 * The form that starts a run. Every field is one URL parameter (settings.ts), so the address of the page after
 * "Start" reproduces the run: the same settings and seed give the same batches.
 */
import { useState } from 'preact/hooks';
import { TEACHER_NAMES } from '../../src/teachers/bpref.js';
import { JUDGE_MODES } from '../../src/loop/parts.js';
import { settingsFromParams, type Settings } from './settings.js';

export function Setup({ initial, onStart }: { initial: URLSearchParams; onStart(s: Settings, params: URLSearchParams): void }) {
  const [error, setError] = useState('');
  const get = (k: string, d: string) => initial.get(k) ?? d;
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const p = new URLSearchParams(initial);
    p.delete('autorun');
    for (const [k, v] of form) {
      const s = String(v).trim();
      if (s === '') p.delete(k);
      else p.set(k, s);
    }
    if (p.get('judge') === 'simulated') p.delete('ask');
    try {
      onStart(settingsFromParams(p), p);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="card pg-setup" onSubmit={submit} aria-labelledby="setup-title">
      <h2 id="setup-title">New run: gridworld</h2>
      <p class="muted">
        The agent plans on a reward it learns from comparisons of its own trajectories. Judge them yourself, let a simulated B-Pref teacher judge (a
        whole run in seconds), or both.
      </p>
      <div class="pg-fields">
        <label>
          who judges
          <select name="judge" defaultValue={get('judge', 'human')} data-testid="setup-judge">
            {JUDGE_MODES.map((m) => (
              <option key={m} value={m}>
                {m === 'human' ? 'you' : m === 'mixed' ? 'you + teacher' : 'teacher'}
              </option>
            ))}
          </select>
        </label>
        <label>
          grid size
          <input name="size" type="number" min={2} max={20} defaultValue={get('size', '5')} />
        </label>
        <label>
          iterations
          <input name="iterations" type="number" min={1} defaultValue={get('iterations', '')} placeholder="20 with you, 200 without" />
        </label>
        <label>
          pairs shown per iteration
          <input name="ask" type="number" min={1} max={100} defaultValue={get('ask', '5')} />
        </label>
        <label>
          seed
          <input name="seed" type="number" min={0} defaultValue={get('seed', '1')} />
        </label>
        <label>
          teacher
          <select name="teacher" defaultValue={get('teacher', 'noisy')}>
            {TEACHER_NAMES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          β (rationality)
          <input name="beta" defaultValue={get('beta', '')} placeholder="the teacher's" />
        </label>
        <label>
          ε mistake
          <input name="mistake" defaultValue={get('mistake', '')} placeholder="the teacher's" />
        </label>
        <label>
          γ myopia
          <input name="gamma" defaultValue={get('gamma', '')} placeholder="the teacher's" />
        </label>
        <label>
          ε skip
          <input name="skip" defaultValue={get('skip', '')} placeholder="the teacher's" />
        </label>
        <label>
          ε equal
          <input name="equal" defaultValue={get('equal', '')} placeholder="the teacher's" />
        </label>
      </div>
      {error && (
        <p class="error" role="alert" data-testid="setup-error">
          {error}
        </p>
      )}
      <button type="submit" class="keybtn primary" data-testid="start">
        <span>Start</span>
      </button>
    </form>
  );
}
