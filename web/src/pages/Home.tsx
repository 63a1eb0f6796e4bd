/**
 * Start page: the runs open for labeling (with the caller's queue and labels). Admins also see every run with a
 * dashboard link, and manage annotators (a new annotator's token and log-in link are shown once).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Annotator, type Run, type RunSummary } from '../api.js';
import { href, onLinkClick } from '../router.js';

export function HomePage({ me }: { me: Annotator }) {
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let alive = true;
    const load = () =>
      api.myRuns().then(
        (r) => alive && setRuns(r.runs),
        (e: Error) => alive && setError(e.message),
      );
    void load();
    const t = window.setInterval(load, 3000);
    return () => {
      alive = false;
      window.clearInterval(t);
    };
  }, []);
  return (
    <main class="home">
      <h1>Runs to label</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {runs === null && !error && <p class="muted">Loading…</p>}
      {runs !== null && runs.length === 0 && (
        <p class="muted">
          No run is waiting for labels. Start one with <code>npm start</code> or <code>rlhf run gridworld --judge human</code>; it appears here by itself.
        </p>
      )}
      {runs !== null && runs.length > 0 && (
        <ul class="run-list">
          {runs.map((r) => (
            <li key={r.id}>
              <a class="run-card" href={href({ page: 'label', runId: r.id })} onClick={onLinkClick} data-testid={`label-${r.id}`}>
                <span class="run-id">{r.id}</span>
                <span class={`badge status-${r.status}`}>{r.status}</span>
                <span class="muted">
                  {r.domain} · {r.queue} in queue · {r.labels} labeled by you
                </span>
                <span class="go">Label →</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {me.role === 'admin' && <AdminPanel me={me} />}
    </main>
  );
}

function AdminPanel({ me }: { me: Annotator }) {
  const [runs, setRuns] = useState<Run[]>([]);
  const [people, setPeople] = useState<Annotator[]>([]);
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState('');
  const reload = () => {
    void api.runs().then((r) => setRuns(r.runs), (e: Error) => setError(e.message));
    void api.annotators().then((r) => setPeople(r.annotators), (e: Error) => setError(e.message));
  };
  useEffect(reload, []);
  const create = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      const r = await api.createAnnotator(name.trim());
      setIssued({ name: r.annotator.name, token: r.token });
      setName('');
      reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const reissue = async (n: string) => {
    try {
      const r = await api.newToken(n);
      setIssued({ name: n, token: r.token });
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const link = issued ? `${location.origin}/login#token=${issued.token}` : '';
  return (
    <section class="admin" aria-labelledby="admin-title">
      <h2 id="admin-title">Admin</h2>
      <h3>All runs</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">run</th>
            <th scope="col">domain</th>
            <th scope="col">status</th>
            <th scope="col">updated</th>
            <th scope="col"></th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <code>{r.id}</code>
              </td>
              <td>{r.domain}</td>
              <td>
                <span class={`badge status-${r.status}`}>{r.status}</span>
              </td>
              <td>{new Date(r.updatedAt).toLocaleString()}</td>
              <td>
                <a href={href({ page: 'dashboard', runId: r.id })} onClick={onLinkClick}>
                  Dashboard
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Annotators</h3>
      <ul class="people">
        {people.map((p) => (
          <li key={p.name}>
            <strong>{p.name}</strong> <span class="muted">{p.role}</span>{' '}
            {p.name === me.name ? (
              <span class="muted">(you)</span>
            ) : (
              <button type="button" class="mini" onClick={() => void reissue(p.name)} aria-label={`new token for ${p.name}`}>
                new token
              </button>
            )}
          </li>
        ))}
      </ul>
      <form class="inline" onSubmit={create}>
        <label for="new-annotator">New annotator</label>
        <input id="new-annotator" value={name} pattern="[A-Za-z0-9_.\-]{1,64}" required placeholder="name (letters, digits, . _ -)" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="submit" class="keybtn">
          <span>Create</span>
        </button>
      </form>
      {issued && (
        <div class="issued" role="status">
          <p>
            Token for <strong>{issued.name}</strong> (shown only now):
          </p>
          <code class="token">{issued.token}</code>
          <p>
            Log-in link: <a href={link}>{link}</a>
          </p>
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}
