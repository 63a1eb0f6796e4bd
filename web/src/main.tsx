/**
 * The labeling web app: log in with a token, pick a run, label it with the keyboard; admins also get a live
 * dashboard per run. Served by `rlhf serve` from web/dist (build: npx vite build --config web/vite.config.ts).
 */
import { render } from 'preact';
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, getToken, setToken, setUnauthorizedHandler, type Annotator } from './api.js';
import { HomePage } from './pages/Home.js';
import { LabelPage } from './pages/Label.js';
import { LoginPage } from './pages/Login.js';
import { navigate, onLinkClick, useRoute } from './router.js';
import './styles.css';

/** The dashboard (and vega with it) is loaded only when an admin opens it. */
let dashboardModule: Promise<ComponentType<{ runId: string }>> | undefined;
function LazyDashboard({ runId }: { runId: string }) {
  const [Page, setPage] = useState<ComponentType<{ runId: string }> | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    dashboardModule ??= import('./dashboard/Dashboard.js').then((m) => m.DashboardPage);
    dashboardModule.then(
      (p) => setPage(() => p),
      (e: Error) => setError(e.message),
    );
  }, []);
  if (error) return <p class="error" role="alert">Cannot load the dashboard: {error}</p>;
  return Page ? <Page runId={runId} /> : <p class="muted">Loading the dashboard…</p>;
}

/**
 * A token in the URL fragment (`/#token=…` or `/login#token=…`, as printed by the CLI) logs in and is removed from
 * the URL; it is then kept in this tab's sessionStorage only (api.ts).
 */
function takeTokenFromHash(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, '', location.pathname === '/login' ? '/' : location.pathname + location.search);
  return decodeURIComponent(m[1]!);
}

type Auth = { phase: 'checking' } | { phase: 'out'; notice?: string } | { phase: 'in'; me: Annotator };

function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>({ phase: 'checking' });

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setToken(null);
      setAuth({ phase: 'out', notice: 'Your token is no longer valid; log in again.' });
    });
    const fromHash = takeTokenFromHash();
    if (fromHash) setToken(fromHash);
    if (!getToken()) {
      setAuth({ phase: 'out' });
      return;
    }
    api.me().then(
      (r) => setAuth({ phase: 'in', me: r.annotator }),
      (e: Error) => setAuth({ phase: 'out', notice: e.message }),
    );
  }, []);

  if (auth.phase === 'checking') return <p class="muted center">Connecting…</p>;
  if (auth.phase === 'out')
    return (
      <LoginPage
        notice={auth.notice}
        onLogin={(token, me) => {
          setToken(token);
          setAuth({ phase: 'in', me });
          if (route.page === 'login') navigate('/', { replace: true });
        }}
      />
    );
  const me = auth.me;
  const logout = () => {
    setToken(null);
    setAuth({ phase: 'out' });
  };
  let page;
  switch (route.page) {
    case 'home':
    case 'login':
      page = <HomePage me={me} />;
      break;
    case 'label':
      page = <LabelPage key={route.runId} runId={route.runId} me={me} />;
      break;
    case 'dashboard':
      page =
        me.role === 'admin' || me.role === 'reviewer' ? (
          <LazyDashboard key={route.runId} runId={route.runId} />
        ) : (
          <p class="error" role="alert">
            The dashboard is for reviewers and admins. <a href="/" onClick={onLinkClick}>Back to the runs</a>.
          </p>
        );
      break;
    case 'notFound':
      page = (
        <p class="error" role="alert">
          No page at <code>{route.path}</code>. <a href="/" onClick={onLinkClick}>Back to the runs</a>.
        </p>
      );
      break;
  }
  return (
    <>
      <header class="top">
        <a href="/" onClick={onLinkClick} class="brand">
          rlhfkit
        </a>
        <nav aria-label="Account">
          <span class="who" data-testid="who">
            {me.name} <span class="muted">({me.role})</span>
          </span>
          <button type="button" class="mini" onClick={logout}>
            Log out
          </button>
        </nav>
      </header>
      {page}
      <footer class="keys-help">
        Keys — comparison: <kbd>←</kbd> left · <kbd>→</kbd> right · <kbd>↓</kbd> tie · <kbd>space</kbd> skip · <kbd>u</kbd> undo; rating:{' '}
        <kbd>↑</kbd>/<kbd>↓</kbd>; ranking: <kbd>1</kbd>–<kbd>9</kbd> then <kbd>Enter</kbd>; correction: <kbd>Enter</kbd> correct ·{' '}
        <kbd>0</kbd>–<kbd>9</kbd> label
      </footer>
    </>
  );
}

render(<App />, document.getElementById('app')!);
