/**
 * One playground run in the page: the run driver (src/loop/driver.ts runTask, the same that `rlhf run` uses) with
 * the page's storage (IndexedDB), progress (the page) and people (you, through the desk), and the state the page
 * draws. A run starts new, or resumes from its last checkpoint in this browser (a reload, an import).
 *
 * The loop runs on the page's main thread; after an iteration it gives the browser a turn (to draw, to take your
 * keys) whenever 40 ms have passed since the last one, so a simulated run of 200 iterations costs a handful of turns.
 */
import { ConfigError, RlhfError } from '../../src/core/errors.js';
import { runTask } from '../../src/loop/driver.js';
import type { Gatherer, IterationEvent, Label, MetricsRow, PeopleHooks } from '../../src/loop/parts.js';
import { gridworldConfig, type Settings } from './settings.js';
import { playgroundGridworldTask, planGoalRate, type GridworldRun } from './gridworld.js';
import { BrowserPeople, Desk, RunStopped } from './people.js';
import { IdbRunStorage, getRun, metricsOf, newRunId, putRun, resetRunState, type RunRecord } from './storage.js';

export type Phase = 'idle' | 'running' | 'done' | 'failed';

export interface SessionState {
  phase: Phase;
  run?: RunRecord;
  rows: MetricsRow[];
  /** the plan's goal rate after each iteration (gridworld.ts planGoalRate) */
  plan: Array<{ iteration: number; rate: number }>;
  iteration: number;
  total: number;
  /** bumps when the figures should be redrawn */
  drawn: number;
  error?: string;
  /** a line about what happened last (an import, a resume) */
  note?: string;
}

type Listener = (s: SessionState) => void;

/** A turn for the browser without setTimeout's 4 ms clamp. */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

export class Session {
  readonly desk = new Desk();
  private state: SessionState = { phase: 'idle', rows: [], plan: [], iteration: 0, total: 0, drawn: 0 };
  private listeners = new Set<Listener>();
  /** the domain's run (its experiment is what the figures draw) */
  domainRun: GridworldRun | undefined;
  people: BrowserPeople | undefined;
  private lastTurn = 0;
  private lastDraw = 0;
  private running: Promise<void> | undefined;
  private stopping = false;

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    l(this.state);
    return () => this.listeners.delete(l);
  }

  get current(): SessionState {
    return this.state;
  }

  private set(s: Partial<SessionState>): void {
    this.state = { ...this.state, ...s };
    for (const l of this.listeners) l(this.state);
  }

  /** Stops the run in progress, if any, and waits until it has let go. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.desk.abort();
    await this.running.catch(() => undefined);
  }

  /** A new run with these settings (the page's current run from now on). */
  async start(settings: Settings, runId = newRunId()): Promise<void> {
    gridworldConfig(settings); // bad settings fail before anything is stored
    await this.stop();
    const now = new Date().toISOString();
    const run: RunRecord = { id: runId, settings, status: 'running', createdAt: now, updatedAt: now };
    await resetRunState(runId);
    await putRun(run);
    await this.go(run, false);
  }

  /** Continues a stored run from its last checkpoint (a finished run is shown as it ended). */
  async resume(runId: string): Promise<void> {
    const run = await getRun(runId);
    if (!run) throw new RlhfError('E_CONFIG', `no run ${runId} in this browser`);
    await this.stop();
    if (run.status === 'done') return this.show(run);
    await this.go(run, true);
  }

  /** Shows a finished run: its rows and summary, its reward model restored from the checkpoint for the figures. */
  private async show(run: RunRecord): Promise<void> {
    const config = gridworldConfig(run.settings);
    const rows = await metricsOf(run.id);
    const task = playgroundGridworldTask((r) => (this.domainRun = r));
    const storage = new IdbRunStorage(run.id);
    const made = await task.create(config, { judgeMode: run.settings.playground.judge, judge: (t) => t, log: () => {} });
    if (await storage.hasCheckpoint()) {
      const ck = await storage.loadCheckpoint<{ run: Parameters<typeof made.restore>[0] }>();
      await made.restore(ck.state.run, ck.arrays, rows);
    }
    const plan = [{ iteration: rows.length, rate: planGoalRate(made) }];
    this.set({ phase: 'done', run, rows, plan, iteration: rows.length, total: config.iterations, drawn: this.state.drawn + 1, error: undefined });
  }

  private go(run: RunRecord, resume: boolean): Promise<void> {
    const p = this.drive(run, resume).finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  private async drive(run: RunRecord, resume: boolean): Promise<void> {
    this.stopping = false;
    this.lastDraw = performance.now();
    this.desk.reset();
    const config = gridworldConfig(run.settings);
    const pg = run.settings.playground;
    const storage = new IdbRunStorage(run.id);
    const rows = resume ? await metricsOf(run.id) : [];
    this.set({ phase: 'running', run, rows, plan: [], iteration: rows.length, total: config.iterations, error: undefined });
    this.people = new BrowserPeople({
      runId: run.id,
      mode: pg.judge,
      ask: pg.ask,
      timeoutMs: pg.timeout * 1000,
      desk: this.desk,
      onIteration: (event) => this.afterIteration(event),
    });
    const people = this.people;
    // a simulated run asks no one: the people hooks then hand the teacher itself to the loop, and only draw
    const hooks: PeopleHooks =
      pg.judge === 'simulated' ? { mode: 'simulated', judge: <B, L = Label>(teacher: Gatherer<B, L>) => teacher, publish: (e, f) => people.publish(e, f), close: () => people.close() } : people;
    try {
      const onCreate = (r: GridworldRun) => {
        this.domainRun = r;
        // the plan before any label (a new run's reward is flat): where "the plan's goal rate rises" starts from
        if (!resume) this.set({ plan: [{ iteration: 0, rate: planGoalRate(r) }] });
      };
      const res = await runTask(playgroundGridworldTask(onCreate), config, {
        storage,
        resume,
        report: false,
        people: () => hooks,
        progress: () => ({ update: () => {}, stop: () => {} }),
        log: (line) => console.info(line),
      });
      const stored = (await getRun(run.id)) ?? run;
      this.set({ phase: 'done', run: stored, rows: res.metrics, iteration: res.metrics.length, drawn: this.state.drawn + 1, note: people.mismatched > 0 ? `${people.mismatched} imported judgements did not match this run's queries and were left out` : this.state.note });
    } catch (e) {
      if (e instanceof RunStopped) {
        this.set({ phase: 'idle' });
        return;
      }
      const msg = e instanceof ConfigError ? `${e.key}: ${e.message}` : (e as Error).message;
      await putRun({ ...run, status: 'failed', error: msg });
      this.set({ phase: 'failed', error: msg });
      throw e;
    } finally {
      await storage.flush().catch(() => undefined); // a stopped run's queued writes land before another run starts
    }
  }

  private async afterIteration(event: IterationEvent): Promise<void> {
    if (this.stopping) throw new RunStopped();
    const run = this.domainRun;
    const plan = run ? [...this.state.plan, { iteration: event.iteration, rate: planGoalRate(run) }] : this.state.plan;
    const rows = [...this.state.rows, event.metrics];
    const now = performance.now();
    // with you in the loop, after every iteration; a simulated run (an iteration every few ms) redraws once a second:
    // drawing the figures costs more main-thread time than iterations do
    const draw = this.people?.mode !== 'simulated' || now - this.lastDraw > 1000;
    if (draw) this.lastDraw = now;
    this.state = { ...this.state, rows, plan, iteration: event.iteration, drawn: this.state.drawn + (draw ? 1 : 0) };
    if (draw) for (const l of this.listeners) l(this.state);
    if (now - this.lastTurn > 40) {
      await yieldToBrowser();
      this.lastTurn = performance.now();
    }
  }

  /** Notes a line for the page. */
  note(line: string): void {
    this.set({ note: line });
  }
}
