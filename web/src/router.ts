/**
 * A tiny client-side router over history.pushState (the server answers index.html for extension-less paths).
 *   /                   runs open for labeling (and, for admins, annotators)
 *   /login              log in with a token (also /login#token=rlhf_… or /#token=rlhf_… from a printed link)
 *   /label/:runId       the labeling page of a run (the query kind picks the view)
 *   /dashboard/:runId   live metrics, status and agreement of a run (admins)
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'home' }
  | { page: 'login' }
  | { page: 'label'; runId: string }
  | { page: 'dashboard'; runId: string }
  | { page: 'notFound'; path: string };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p.length > 0).map((p) => decodeURIComponent(p));
  if (parts.length === 0) return { page: 'home' };
  if (parts.length === 1 && parts[0] === 'login') return { page: 'login' };
  if (parts.length === 2 && parts[0] === 'label') return { page: 'label', runId: parts[1]! };
  if (parts.length === 2 && parts[0] === 'dashboard') return { page: 'dashboard', runId: parts[1]! };
  return { page: 'notFound', path: pathname };
}

export function href(r: Route): string {
  switch (r.page) {
    case 'home':
      return '/';
    case 'login':
      return '/login';
    case 'label':
      return `/label/${encodeURIComponent(r.runId)}`;
    case 'dashboard':
      return `/dashboard/${encodeURIComponent(r.runId)}`;
    case 'notFound':
      return r.path;
  }
}

const listeners = new Set<() => void>();

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const l = () => setRoute(parseRoute(location.pathname));
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return route;
}

/** An <a> that navigates without reloading the page (modified clicks open a tab as usual). */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a?.href || a.origin !== location.origin) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
}
