/** What the page's buttons do with a run's judgements: export them as JSONL, import a file to continue a run. */
import type { Settings } from './settings.js';
import { exportJsonl, parseJsonlImport } from './jsonl.js';
import type { Session } from './session.js';
import { getRun, judgementsOf, queriesOf, saveJudgements } from './storage.js';

/** The current run's judgements as a JSONL file the browser downloads (<run id>.jsonl). */
export async function exportRun(session: Session): Promise<{ lines: number; name: string }> {
  const run = session.current.run;
  if (!run) throw new Error('no run to export yet');
  const { text, lines } = exportJsonl(run.settings.playground.domain, await queriesOf(run.id), await judgementsOf(run.id));
  const name = `${run.id}.jsonl`;
  const url = URL.createObjectURL(new Blob([text], { type: 'application/jsonl' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { lines, name };
}

/**
 * Continues the file's run here: its queries and judgements are stored under the file's run id, and the run starts
 * again from iteration 1 with `settings` (the same as the exported run's, or its queries will not match). The replay
 * takes the judgements it finds for its queries and asks you only past them.
 */
export async function importRun(session: Session, text: string, settings: Settings): Promise<{ judgements: number; runId: string }> {
  const parsed = parseJsonlImport(text);
  if (parsed.domain !== settings.playground.domain) throw new Error(`the file holds a ${parsed.domain} run; this page runs the ${settings.playground.domain}`);
  await saveJudgements(parsed.queries, parsed.records);
  const known = await getRun(parsed.runId);
  void session.start(known?.settings ?? settings, parsed.runId).catch(() => undefined);
  return { judgements: parsed.records.length, runId: parsed.runId };
}
