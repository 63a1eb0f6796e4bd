/**
 * The dashboard of a run (admins and reviewers): status, labeling stats, agreement between annotators, and live
 * plots of the metrics the loop emits (SSE), drawn with the report's Vega-Lite spec builders so they match the
 * HTML report. When the run has ended — or its server stopped with it — the page says so and how to serve the
 * run's store again.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { heatmaps, lineChart, pathPlot, type HeatmapOptions, type PathPlotOptions, type TopLevelSpec } from '../../../src/report/specs.js';
import { api, streamEvents, type Agreement, type Run, type RunStats, type RunStatus } from '../api.js';
import { href, onLinkClick } from '../router.js';
import { emptyData, foldEvent, type DashboardData } from './events.js';
import { VegaChart } from './VegaChart.js';

/** Metric groups (the key's namespace, docs/metrics.md) in the order they are shown; others follow alphabetically. */
const GROUPS = ['objective', 'reward', 'feedback', 'teacher', 'policy'];
/** Keys that are not worth a chart. */
const HIDDEN = new Set(['iteration']);

/** Keys grouped by namespace ("reward/loss" → "reward"), groups and keys in display order. */
export function groupKeys(keys: string[]): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    if (HIDDEN.has(k)) continue;
    const g = k.includes('/') ? k.slice(0, k.indexOf('/')) : 'other';
    groups.set(g, [...(groups.get(g) ?? []), k]);
  }
  const rank = (g: string) => (GROUPS.includes(g) ? GROUPS.indexOf(g) : GROUPS.length);
  return [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)).map(([g, ks]) => [g, ks.sort()]);
}

function useRunEvents(runId: string): { data: DashboardData; connected: boolean; everConnected: boolean } {
  const dataRef = useRef<DashboardData>(emptyData());
  const [, setVersion] = useState(0);
  const [connected, setConnected] = useState(false);
  const [everConnected, setEverConnected] = useState(false);
  useEffect(() => {
    dataRef.current = emptyData();
    setVersion(0);
    const stop = new AbortController();
    let pending: number | undefined;
    void streamEvents(
      runId,
      {
        onState: (on) => {
          setConnected(on);
          if (on) setEverConnected(true);
        },
        onEvent: (e) => {
          if (foldEvent(dataRef.current, e) && pending === undefined) {
            // a replay delivers many events at once: redraw at most every 300 ms
            pending = window.setTimeout(() => {
              pending = undefined;
              setVersion(dataRef.current.version);
            }, 300);
          }
          if (e.type === 'queries' || e.type === 'judgements' || e.type === 'status') window.dispatchEvent(new CustomEvent('rlhf:stats', { detail: runId }));
        },
      },
      stop.signal,
    );
    return () => {
      stop.abort();
      window.clearTimeout(pending);
    };
  }, [runId]);
  return { data: dataRef.current, connected, everConnected };
}

/** How to serve the run again: `rlhf serve --db <the store>` (from GET /api/server, asked while the server is up). */
function useServeCommand(): string {
  const [cmd, setCmd] = useState('rlhf serve --db <the run\'s store>');
  useEffect(() => {
    api.server().then(
      (s) => setCmd(`rlhf serve --db ${s.location.includes(' ') ? JSON.stringify(s.location) : s.location}`),
      () => undefined,
    );
  }, []);
  return cmd;
}

/**
 * What the page says when the run is over or its server is gone: a human-judged run's server stops with the run,
 * so an open dashboard would otherwise just go quiet.
 */
export function RunEndedNotice({ runId, status, offline, serveCommand }: { runId: string; status: RunStatus | undefined; offline: boolean; serveCommand: string }) {
  if (!offline && status !== 'done' && status !== 'failed') return null;
  return (
    <div class="notice" role="status" data-testid="run-ended">
      {offline ? (
        <p>
          <strong>The server is not answering.</strong> If the run ended, its labeling server stopped with it; nothing is lost — the labels and
          metrics are in its store. To browse this run again, serve the store and reopen <code>/dashboard/{runId}</code>:
        </p>
      ) : (
        <p>
          <strong>This run has {status === 'done' ? 'finished' : 'failed'}.</strong> Its pages stay browsable while this server runs; a server
          started by <code>rlhf run … --judge human</code> stops with the run. To browse it later:
        </p>
      )}
      <pre>
        <code data-testid="serve-command">{serveCommand}</code>
      </pre>
    </div>
  );
}

function usePolled<T>(load: () => Promise<T>, deps: unknown[], everyMs = 3000): { value: T | null; error: string } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let alive = true;
    const run = () =>
      load().then(
        (v) => {
          if (alive) {
            setValue(v);
            setError('');
          }
        },
        (e: Error) => alive && setError(e.message),
      );
    void run();
    const t = window.setInterval(run, everyMs);
    const onStats = () => void run();
    window.addEventListener('rlhf:stats', onStats);
    return () => {
      alive = false;
      window.clearInterval(t);
      window.removeEventListener('rlhf:stats', onStats);
    };
  }, deps);
  return { value, error };
}

export function DashboardPage({ runId }: { runId: string }) {
  const { data, connected, everConnected } = useRunEvents(runId);
  const serveCommand = useServeCommand();
  const run = usePolled(() => api.run(runId), [runId], 5000);
  const stats = usePolled<RunStats>(() => api.stats(runId), [runId]);
  const agreement = usePolled<Agreement>(() => api.agreement(runId), [runId], 5000);
  const status = data.status ?? run.value?.run.status;

  const groups = groupKeys([...data.metrics.keys()]);
  return (
    <main class="dashboard">
      <div class="page-head">
        <h1>
          Run <code>{runId}</code>
        </h1>
        {status && (
          <span class={`badge status-${status}`} data-testid="run-status">
            {status}
          </span>
        )}
        <span class={`live ${connected ? 'on' : 'off'}`} title="live metrics stream">
          {connected ? '● live' : '○ reconnecting'}
        </span>
        <a href={href({ page: 'label', runId })} onClick={onLinkClick} class="link">
          Label this run →
        </a>
      </div>
      <RunEndedNotice runId={runId} status={status} offline={everConnected && !connected && run.error !== ''} serveCommand={serveCommand} />
      {run.error && <p class="error" role="alert">{run.error}</p>}
      <div class="cards">
        <RunCard run={run.value?.run} />
        <StatsCard stats={stats.value} />
        <AgreementCard agreement={agreement.value} />
      </div>
      <h2>Metrics</h2>
      {groups.length === 0 && <p class="muted">No metrics yet: they appear after the loop's first iteration.</p>}
      <div data-testid="charts">
        {groups.map(([g, ks]) => (
          <section key={g} aria-label={`${g} metrics`}>
            <h3 class="group">{g}</h3>
            <div class="charts">
              {ks.map((k) => (
                <MetricChart key={k} name={k} data={data} />
              ))}
            </div>
          </section>
        ))}
      </div>
      <Figures data={data} />
    </main>
  );
}

function MetricChart({ name, data }: { name: string; data: DashboardData }) {
  const s = data.metrics.get(name)!;
  const n = s.x.length;
  const last = s.y[n - 1];
  // the spec changes only when the series does
  const spec = useMemo(() => lineChart({ title: name, series: [{ name, x: [...s.x], y: [...s.y] }], width: 260, height: 130 }), [name, n, last]);
  return <VegaChart spec={spec} label={`${name} per iteration`} />;
}

function Figures({ data }: { data: DashboardData }) {
  const out: { key: string; spec: TopLevelSpec; label: string }[] = [];
  const errors: string[] = [];
  for (const [type, e] of data.figures) {
    try {
      if (type === 'heatmaps') out.push({ key: `h${e.seq}`, spec: heatmaps(e.data as unknown as HeatmapOptions), label: 'heatmaps' });
      if (type === 'paths') out.push({ key: `p${e.seq}`, spec: pathPlot(e.data as unknown as PathPlotOptions), label: 'sample paths' });
    } catch (err) {
      errors.push(`${type} event ${e.seq}: ${(err as Error).message}`);
    }
  }
  if (out.length === 0 && errors.length === 0) return null;
  return (
    <>
      <h2>Latest figures</h2>
      <div class="figures">
        {out.map((f) => (
          <VegaChart key={f.key} spec={f.spec} label={f.label} />
        ))}
      </div>
      {errors.map((m) => (
        <p class="error" key={m}>
          {m}
        </p>
      ))}
    </>
  );
}

function RunCard({ run }: { run: Run | undefined }) {
  if (!run) return <section class="card">Loading…</section>;
  const cfg = run.config as Record<string, unknown>;
  const shown = Object.entries(cfg).filter(([, v]) => typeof v !== 'object' || v === null).slice(0, 10);
  return (
    <section class="card" aria-labelledby="run-card">
      <h2 id="run-card">Run</h2>
      <dl class="kv">
        <dt>domain</dt>
        <dd>{run.domain}</dd>
        <dt>started</dt>
        <dd>{new Date(run.createdAt).toLocaleString()}</dd>
        <dt>updated</dt>
        <dd>{new Date(run.updatedAt).toLocaleString()}</dd>
        {shown.flatMap(([k, v]) => [<dt key={`k${k}`}>{k}</dt>, <dd key={`v${k}`}>{String(v)}</dd>])}
      </dl>
    </section>
  );
}

function StatsCard({ stats }: { stats: RunStats | null }) {
  if (!stats) return <section class="card">Loading…</section>;
  const q = stats.queries;
  const p = stats.judgements.byPreference;
  return (
    <section class="card" aria-labelledby="stats-card">
      <h2 id="stats-card">Labels</h2>
      <dl class="kv">
        <dt>queries</dt>
        <dd data-testid="queries-total">
          {q.total} ({q.done} done, {q.leased} leased, {q.pending} pending)
        </dd>
        <dt>judgements</dt>
        <dd data-testid="judgements-total">{stats.judgements.total}</dd>
        <dt>preferences</dt>
        <dd>
          ← {p.left} · → {p.right} · tie {p.tie} · skip {p.skip}
        </dd>
        <dt>last label</dt>
        <dd>{stats.lastJudgementAt ? new Date(stats.lastJudgementAt).toLocaleTimeString() : '—'}</dd>
      </dl>
      <table>
        <thead>
          <tr>
            <th scope="col">annotator</th>
            <th scope="col">labels</th>
          </tr>
        </thead>
        <tbody>
          {stats.judgements.byAnnotator.map((a) => (
            <tr key={a.annotator}>
              <td>{a.annotator}</td>
              <td>{a.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AgreementCard({ agreement }: { agreement: Agreement | null }) {
  if (!agreement) return <section class="card">Loading…</section>;
  return (
    <section class="card" aria-labelledby="agreement-card">
      <h2 id="agreement-card">Agreement</h2>
      {agreement.pairs === 0 ? (
        <p class="muted">
          No query has been judged by two annotators yet. Post queries with redundancy &gt; 1 (or let a teacher judge alongside
          people) to measure agreement.
        </p>
      ) : (
        <>
          <p>
            <strong data-testid="agreement-rate">{((agreement.rate ?? 0) * 100).toFixed(0)}%</strong> of {agreement.pairs} annotator pairs agree, on{' '}
            {agreement.queries} queries.
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">a</th>
                <th scope="col">b</th>
                <th scope="col">agree</th>
              </tr>
            </thead>
            <tbody>
              {agreement.byPair.map((p) => (
                <tr key={`${p.a}|${p.b}`}>
                  <td>{p.a}</td>
                  <td>{p.b}</td>
                  <td>
                    {p.agreed}/{p.pairs} ({(p.rate * 100).toFixed(0)}%)
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
