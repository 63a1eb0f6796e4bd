/**
 * Tokens in the web app (issue 14, findings 6 and 7): kept in this tab's sessionStorage, never localStorage; the
 * event stream sends the token in the Authorization header, never in the URL. And the dashboard says when a
 * run has ended (or its server stopped) and how to serve it again.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getToken, parseSse, setToken, streamEvents } from '../src/api.js';
import { RunEndedNotice } from '../src/dashboard/Dashboard.js';

const TOKEN = `rlhf_${'A'.repeat(43)}`;

afterEach(() => {
  vi.unstubAllGlobals();
  setToken(null);
});

describe('the token', () => {
  it('lives in sessionStorage, not localStorage, and an old localStorage copy is removed', () => {
    localStorage.setItem('rlhf.token', 'left-by-an-old-version');
    setToken(TOKEN);
    expect(sessionStorage.getItem('rlhf.token')).toBe(TOKEN);
    expect(localStorage.getItem('rlhf.token')).toBeNull();
    expect(getToken()).toBe(TOKEN);
    setToken(null);
    expect(getToken()).toBeNull();
  });
});

describe('the event stream', () => {
  it('parses server-sent events, keeping an unfinished message for later', () => {
    const r = parseSse(': connected\n\nid: 3\ndata: {"seq":3}\n\nid: 4\ndata: {"se');
    expect(r.messages).toEqual([{ id: '3', data: '{"seq":3}' }]);
    expect(r.rest).toBe('id: 4\ndata: {"se');
  });

  it('sends the token as a header, never in the URL, and resumes after the last event', async () => {
    setToken(TOKEN);
    const calls: { url: string; headers: Record<string, string> }[] = [];
    const bodies = ['id: 7\ndata: {"seq":7,"type":"metrics","runId":"r1","iteration":0,"data":{},"createdAt":"x"}\n\n', ''];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, headers: init.headers as Record<string, string> });
      const text = bodies.shift() ?? '';
      return new Response(new Blob([text]).stream(), { status: 200, headers: { 'content-type': 'text/event-stream' } });
    });
    const stop = new AbortController();
    const seen: number[] = [];
    const done = streamEvents('r1', { onEvent: (e) => seen.push(e.seq) }, stop.signal, 5);
    await vi.waitFor(() => expect(calls.length).toBeGreaterThanOrEqual(2));
    stop.abort();
    await done;
    expect(seen).toEqual([7]);
    for (const c of calls) {
      expect(c.url).toBe('/api/runs/r1/events');
      expect(c.url).not.toContain('token');
      expect(c.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    }
    expect(calls[1]!.headers['Last-Event-ID']).toBe('7');
  });
});

describe('a run that ended', () => {
  it('says so and how to serve the run again', () => {
    const root = document.createElement('div');
    document.body.appendChild(root);
    const cmd = 'rlhf serve --db runs/gw-1/feedback.sqlite';
    act(() => render(<RunEndedNotice runId="gw-1" status="running" offline={false} serveCommand={cmd} />, root));
    expect(root.querySelector('[data-testid="run-ended"]')).toBeNull();
    act(() => render(<RunEndedNotice runId="gw-1" status="done" offline={false} serveCommand={cmd} />, root));
    expect(root.textContent).toContain('This run has finished');
    expect(root.querySelector('[data-testid="serve-command"]')?.textContent).toBe(cmd);
    act(() => render(<RunEndedNotice runId="gw-1" status="running" offline={true} serveCommand={cmd} />, root));
    expect(root.textContent).toContain('The server is not answering');
    expect(root.textContent).toContain('/dashboard/gw-1');
    render(null, root);
    root.remove();
  });
});
