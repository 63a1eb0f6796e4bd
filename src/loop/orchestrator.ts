/**
 * The RLHF loop, domain-independent. Each step is a small component with one verb (as in imitation's
 * preference_comparisons: fragmenter, gatherer, reward trainer, agent trainer); a domain supplies them and the loop
 * wires them:
 *
 *   for each iteration:
 *     1. plan     agent.improve()           policy from the current learned reward (soft VI, PPO step, ...)
 *     2. sample   sampler.sample()          rollouts / generations → a batch of queries (pairs, rankings, ...)
 *     3. judge    gatherer.gather()         preferences from a simulated teacher or people (async: a server waits)
 *     4. fit      reward.fit()              the reward model learns from the judged queries
 *     5. measure  evaluator.evaluate()      true-objective metrics of this iteration's batch
 *     6. emit     listeners(event)          metrics log, progress bar, live dashboard; then onIterationEnd (checkpoint)
 *
 * Metrics (deterministic given the seed) and timings (wall clock) are kept apart in the event, so a metrics log can
 * be compared byte for byte across runs.
 */
import type { Preference } from '../feedback/types.js';

export type Metrics = Record<string, number>;

/** Improves the policy from the current learned reward (step 1). */
export interface AgentTrainer {
  improve(iteration: number): Metrics | void;
}

/** Makes this iteration's queries from the current policy (step 2). B is the domain's batch type. */
export interface QuerySampler<B> {
  sample(iteration: number): B;
}

/**
 * Answers the queries of a batch (step 3): one preference per query, in order ('skip' when a judge declines or does
 * not answer). A simulated teacher answers at once; a human gatherer (the labeling server) resolves when people have
 * answered or a deadline passed.
 */
export interface Gatherer<B> {
  readonly name: string;
  gather(batch: B, iteration: number): Preference[] | Promise<Preference[]>;
}

/** Fits the reward model to the judged batch (step 4). */
export interface RewardLearner<B> {
  fit(batch: B, labels: Preference[], iteration: number): Metrics | Promise<Metrics>;
}

/** Measures the true objective on this iteration's batch (step 5). */
export interface Evaluator<B> {
  evaluate(batch: B, labels: Preference[], iteration: number): Metrics;
}

/** One finished iteration, as listeners see it. */
export interface IterationEvent {
  iteration: number;
  /** deterministic metrics, namespaced keys (docs/metrics.md) */
  metrics: Metrics;
  /** wall-clock seconds per step: time/plan, time/sample, time/judge, time/reward, time/evaluate, time/iteration */
  timing: Metrics;
}

export type IterationListener = (event: IterationEvent) => void | Promise<void>;

export interface LoopParts<B> {
  agent: AgentTrainer;
  sampler: QuerySampler<B>;
  gatherer: Gatherer<B>;
  reward: RewardLearner<B>;
  evaluator?: Evaluator<B>;
}

export interface LoopOptions {
  /** total iterations; the loop runs iterations startIteration+1 .. iterations (1-based) */
  iterations: number;
  /** last finished iteration (0 for a new run, the checkpoint's iteration on resume) */
  startIteration?: number;
  /** called after the listeners, e.g. to checkpoint; may stop the loop by returning 'stop' */
  onIterationEnd?: (iteration: number) => void | 'stop' | Promise<void | 'stop'>;
}

export interface LoopResult {
  /** last finished iteration */
  lastIteration: number;
  /** true when onIterationEnd asked to stop before `iterations` */
  stopped: boolean;
}

function prefixed(prefix: string, m: Metrics | void): Metrics {
  if (!m) return {};
  const out: Metrics = {};
  for (const [k, v] of Object.entries(m)) out[k.includes('/') ? k : `${prefix}/${k}`] = v;
  return out;
}

export class RlhfLoop<B> {
  private readonly listeners: IterationListener[] = [];

  constructor(
    private readonly parts: LoopParts<B>,
    private readonly options: LoopOptions,
  ) {}

  /** Adds a listener for finished iterations; returns this for chaining. */
  on(listener: IterationListener): this {
    this.listeners.push(listener);
    return this;
  }

  async run(): Promise<LoopResult> {
    const { agent, sampler, gatherer, reward, evaluator } = this.parts;
    let it = this.options.startIteration ?? 0;
    while (it < this.options.iterations) {
      it += 1;
      const t0 = performance.now();
      const planMetrics = prefixed('policy', agent.improve(it)); // 1. plan
      const t1 = performance.now();
      const batch = sampler.sample(it); // 2. sample
      const t2 = performance.now();
      const labels = await gatherer.gather(batch, it); // 3. judge
      const t3 = performance.now();
      const rewardMetrics = prefixed('reward', await reward.fit(batch, labels, it)); // 4. fit
      const t4 = performance.now();
      const evalMetrics = evaluator ? prefixed('objective', evaluator.evaluate(batch, labels, it)) : {}; // 5. measure
      const t5 = performance.now();
      const event: IterationEvent = {
        iteration: it,
        metrics: { iteration: it, ...evalMetrics, ...rewardMetrics, ...planMetrics },
        timing: {
          iteration: it,
          'time/plan': (t1 - t0) / 1000,
          'time/sample': (t2 - t1) / 1000,
          'time/judge': (t3 - t2) / 1000,
          'time/reward': (t4 - t3) / 1000,
          'time/evaluate': (t5 - t4) / 1000,
          'time/iteration': (t5 - t0) / 1000,
        },
      };
      for (const l of this.listeners) await l(event); // 6. emit
      if ((await this.options.onIterationEnd?.(it)) === 'stop' && it < this.options.iterations) return { lastIteration: it, stopped: true };
    }
    return { lastIteration: it, stopped: false };
  }
}
