/** Log in with a token (printed by `rlhf serve` / `rlhf run … --judge human`, or issued by an admin). */
import { useState } from 'preact/hooks';
import { api, ApiError, type Annotator } from '../api.js';

export function LoginPage({ onLogin, notice }: { onLogin(token: string, who: Annotator): void; notice?: string }) {
  const [token, setTokenText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!/^rlhf_[A-Za-z0-9_-]{43}$/.test(t)) {
      setError('A token looks like rlhf_ followed by 43 letters, digits, - or _. Copy it from the terminal where the server started.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const r = await api.me(t);
      onLogin(t, r.annotator);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'The server does not know this token (it may have been replaced).' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Log in to label</h1>
        {notice && <p class="notice">{notice}</p>}
        <p class="muted">
          Paste the token printed in the terminal where the server started (or the one your admin gave you). It is kept in
          this tab only, until you log out or close it.
        </p>
        <label for="token">Token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setTokenText((e.target as HTMLInputElement).value)}
          placeholder="rlhf_…"
          autoFocus
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'login-error' : undefined}
        />
        {error && (
          <p id="login-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="keybtn primary" disabled={busy}>
          <span>Log in</span>
          <kbd>Enter</kbd>
        </button>
      </form>
    </main>
  );
}
