/**
 * The playground page: the backend line, the run (status, you in the loop, live plots, the summary), and the run's
 * judgements in and out as JSONL. The automation contract (docs/playground.md):
 *   playground.html?domain=gridworld&judge=simulated&iterations=200&seed=1&autorun=1
 * runs without input and shows summary.json's keys as JSON in [data-testid="summary"] when done.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeBackend, initBackend, type Backend, type BackendInfo } from './backend.js';
import { exportRun, importRun } from './actions.js';
import { Figures } from './Figures.js';
import { useObservable } from './hooks.js';
import { Labeling } from './Labeling.js';
import { Session } from './session.js';
import { settingsFromParams, settingsToParams, type Settings } from './settings.js';
import { currentRunId, getRun, judgementsOf } from './storage.js';
import { Setup } from './Setup.js';

export function App() {
  const session = useMemo(() => new Session(), []);
  const state = useObservable(session);
  const desk = useObservable(session.desk);
  const [backend, setBackend] = useState<BackendInfo | string>('starting…');
  const [message, setMessage] = useState('');
  const [judgements, setJudgements] = useState(0);
  const [showSetup, setShowSetup] = useState(false);
  const params = useMemo(() => new URLSearchParams(location.search), []);
  const fileRef = useRef<HTMLInputElement>(null);

  // 1. the backend, then the run the URL asks for (autorun) or the one this browser was on
  useEffect(() => {
    void (async () => {
      try {
        setBackend(await initBackend((params.get('backend') ?? undefined) as Backend | undefined));
      } catch (e) {
        setBackend(`none: ${(e as Error).message}`);
      }
      try {
        const current = await currentRunId();
        const stored = current ? await getRun(current) : undefined;
        if (params.get('autorun') === '1' || params.get('autorun') === 'true') {
          const settings = settingsFromParams(params);
          const same = stored && stored.status === 'running' && settingsToParams(stored.settings).toString() === settingsToParams(settings).toString();
          await (same ? session.resume(stored.id) : session.start(settings));
        } else if (stored) await session.resume(stored.id);
        else setShowSetup(true);
      } catch (e) {
        setMessage((e as Error).message);
        setShowSetup(true);
      }
    })();
  }, []);

  // the judgements kept for this run (they survive a reload)
  const runId = state.run?.id;
  useEffect(() => {
    if (runId) void judgementsOf(runId).then((js) => setJudgements(js.length));
  }, [runId, desk, state.phase]);

  const start = (s: Settings, p: URLSearchParams) => {
    history.replaceState(null, '', `?${p.toString()}`);
    setShowSetup(false);
    setMessage('');
    void session.start(s).catch((e: Error) => setMessage(e.message));
  };
  const onExport = () =>
    void exportRun(session).then(
      (r) => setMessage(`Exported ${r.lines} judgement${r.lines === 1 ? '' : 's'} to ${r.name}.`),
      (e: Error) => setMessage(`Export failed: ${e.message}`),
    );
  const onImport = async (file: File) => {
    try {
      const settings = state.run?.settings ?? settingsFromParams(params);
      const r = await importRun(session, await file.text(), settings);
      setShowSetup(false);
      setMessage(`Imported ${r.judgements} judgement${r.judgements === 1 ? '' : 's'} of run ${r.runId}: the run replays them and continues.`);
    } catch (e) {
      setMessage(`Import failed: ${(e as Error).message}`);
    }
  };

  const last = state.rows[state.rows.length - 1];
  const plan = state.plan[state.plan.length - 1];
  const summary = state.phase === 'done' ? state.run?.summary : undefined;
  return (
    <main class="playground" data-phase={state.phase}>
      <div class="page-head">
        <h1>rlhfkit playground</h1>
        <span class="badge" data-testid="backend" title={typeof backend === 'string' ? '' : backend.tried.join('\n')}>
          TensorFlow.js: {typeof backend === 'string' ? backend : describeBackend(backend)}
        </span>
      </div>
      <p class="muted">
        The whole loop runs in this tab — plan, sample, judge, fit, measure — and is kept in this browser (IndexedDB): a reload resumes where you were.
      </p>
      {message && (
        <p class="pg-message" role="status" data-testid="message">
          {message}
        </p>
      )}
      {state.error && (
        <p class="error" role="alert" data-testid="error">
          {state.error}
        </p>
      )}
      {state.run && (
        <section class="card pg-run" aria-label="The run">
          <dl class="kv">
            <dt>run</dt>
            <dd>
              <code data-testid="run-id">{state.run.id}</code> ({state.run.settings.playground.domain}, judged by{' '}
              {state.run.settings.playground.judge === 'human' ? 'you' : state.run.settings.playground.judge === 'mixed' ? 'you and the teacher' : 'the simulated teacher'})
            </dd>
            <dt>status</dt>
            <dd data-testid="status">{desk.waiting ? 'waiting for you' : state.phase}</dd>
            <dt>iteration</dt>
            <dd data-testid="iteration">
              {state.iteration} / {state.total}
            </dd>
            <dt>your judgements kept</dt>
            <dd data-testid="judgements">{judgements}</dd>
            <dt>labels fitted</dt>
            <dd data-testid="labels">{last?.['feedback/labels'] ?? 0}</dd>
            <dt>goal rate (batch)</dt>
            <dd data-testid="goal-rate">{fmt(last?.['objective/goal_rate'])}</dd>
            <dt>plan goal rate</dt>
            <dd data-testid="plan-goal-rate" data-first={state.plan[0]?.rate} data-value={plan?.rate}>
              {fmt(plan?.rate)}
            </dd>
          </dl>
        </section>
      )}
      <div class="actions">
        <button type="button" class="keybtn" onClick={onExport} disabled={!state.run} data-testid="export">
          <span>Export judgements (JSONL)</span>
        </button>
        <button type="button" class="keybtn" onClick={() => fileRef.current?.click()}>
          <span>Import JSONL…</span>
        </button>
        <input ref={fileRef} type="file" accept=".jsonl,.json,application/jsonl" hidden data-testid="import" onChange={(e) => {
          const f = (e.currentTarget as HTMLInputElement).files?.[0];
          if (f) void onImport(f);
          (e.currentTarget as HTMLInputElement).value = '';
        }} />
        <button type="button" class="keybtn" onClick={() => setShowSetup(true)} disabled={showSetup} data-testid="new-run">
          <span>New run…</span>
        </button>
      </div>
      {showSetup && <Setup initial={state.run ? settingsToParams(state.run.settings) : params} onStart={start} />}
      <Labeling session={session} />
      {summary && (
        <section class="card" aria-labelledby="summary-title">
          <h2 id="summary-title">Summary</h2>
          <pre data-testid="summary">{JSON.stringify(summary, null, 2)}</pre>
        </section>
      )}
      <Figures session={session} state={state} />
    </main>
  );
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3);
}
