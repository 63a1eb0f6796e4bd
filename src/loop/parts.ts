/**
 * The loop parts a domain plugs into the run driver (src/loop/driver.ts). Each is a small component with one verb, as
 * in imitation's preference_comparisons (fragmenter, gatherer, reward trainer, agent trainer):
 *
 *   for each iteration:
 *     1. plan     agent.improve()           policy from the current learned reward (soft VI, REINFORCE, PPO step, ...)
 *     2. sample   sampler.sample()          rollouts / generations → a batch of queries (pairs, ratings, ...)
 *     3. judge    gatherer.gather()         one label per query: a simulated teacher, people (src/loop/people/), or both
 *     4. fit      reward.fit()              the reward model learns from the judged queries
 *     5. measure  evaluator.evaluate()      true-objective metrics of this iteration's batch
 *
 * Metrics (deterministic given the seed) and timings (wall clock) are kept apart in the event, so a metrics log can be
 * compared byte for byte across runs. This module is browser-safe: it touches no file, server or `node:` module.
 */
import type { Judgement, JudgementRecord, Query } from '../feedback/types.js';
import type { JsonObject } from '../store/types.js';

/** One metrics row: namespaced keys (docs/metrics.md) → numbers; null where a value does not exist (JSON has no NaN). */
export type Metrics = Record<string, number>;
export type MetricsRow = Record<string, number | null>;

/**
 * A judge's answer to one query, as the reward fit uses it: the preference probability μ = P(first ≻ second) of a
 * comparison (1 first, 0 second, ½ tie; the mean over several annotators when a query was judged more than once), or
 * for a rating the probability of a thumbs up. `null`: skipped, or not asked — it carries no information.
 */
export type Label = number | null;

/** Improves the policy from the current learned reward (step 1). */
export interface AgentTrainer {
  improve(iteration: number): Metrics | void | Promise<Metrics | void>;
}

/** Makes this iteration's queries from the current policy (step 2). B is the domain's batch type. */
export interface QuerySampler<B> {
  sample(iteration: number): B | Promise<B>;
}

/**
 * Answers the queries of a batch (step 3): one label per query, in order. A simulated teacher answers at once; people
 * (the labeling server) answer when they have judged or a deadline passed. L is the label type (μ by default; a domain
 * whose judges give something else, e.g. a class correction, names its own, with null for "not answered").
 */
export interface Gatherer<B, L = Label> {
  /** who judges, as recorded with each judgement: "teacher:oracle", "human", "mixed(teacher:oracle)" */
  readonly name: string;
  gather(batch: B, iteration: number): L[] | Promise<L[]>;
}

/** Fits the reward model to the judged batch (step 4). */
export interface RewardLearner<B, L = Label> {
  fit(batch: B, labels: L[], iteration: number): Metrics | void | Promise<Metrics | void>;
}

/** Measures the true objective on this iteration's batch (step 5). */
export interface Evaluator<B, L = Label> {
  evaluate(batch: B, labels: L[], iteration: number): Metrics | Promise<Metrics>;
}

export interface LoopParts<B, L = Label> {
  agent: AgentTrainer;
  sampler: QuerySampler<B>;
  gatherer: Gatherer<B, L>;
  reward: RewardLearner<B, L>;
  evaluator?: Evaluator<B, L>;
}

/** Who judges: a simulated teacher alone, people alone, or people with a teacher filling the gaps. */
export type JudgeMode = 'simulated' | 'human' | 'mixed';
export const JUDGE_MODES: readonly JudgeMode[] = ['simulated', 'human', 'mixed'];

/**
 * A domain's queries as people see them. Each domain has one, beside its payload types (src/domains/<d>/queries.ts);
 * the web app's renderer for the domain draws the payloads. L is the label type its gatherer returns: μ by default;
 * a domain with another label type (L ≠ Label) gives `label` and `judgement`, the two ends of its judgements.
 */
export interface QueryMaker<B, L = Label> {
  /** queries in the batch = the length of the label array a gatherer returns */
  size(batch: B): number;
  /** the query about item `index` of the batch (for a comparison: samples[0] = first/left, samples[1] = second/right) */
  query(batch: B, index: number, iteration: number, id: string): Query;
  /**
   * The label of a posted query from its judgements (none: unanswered → null). Default: the mean μ̄ of their
   * targets (combineJudgements, src/loop/people/gatherer.ts). Required when L ≠ Label.
   */
  label?(records: JudgementRecord[], query: Query): L;
  /** The judgement a simulated teacher's label stands for, stored with the query. Default: teacherJudgement (μ → left / right / tie; a rating's value). Required when L ≠ Label. */
  judgement?(query: Query, label: L): Judgement;
}

/** A dashboard figure event (docs/web.md): "heatmaps", "paths", "images", … */
export interface FigureEvent {
  type: string;
  data: JsonObject;
}

/** People in the loop for a run (src/loop/people/session.ts makes one from the --judge flags). */
export interface PeopleHooks {
  readonly mode: JudgeMode;
  judge<B, L = Label>(teacher: Gatherer<B, L>, maker: QueryMaker<B, L>): Gatherer<B, L>;
  /** after every iteration: metrics and figures to the dashboard */
  publish(event: IterationEvent, figures: FigureEvent[]): Promise<void>;
  /** marks the run done (ok) or failed; stops the server */
  close(ok: boolean): Promise<void>;
}

/** One finished iteration, as the driver and listeners see it. */
export interface IterationEvent {
  iteration: number;
  /** deterministic metrics, namespaced keys (docs/metrics.md) */
  metrics: MetricsRow;
  /** wall-clock seconds per step (time/plan, time/sample, …), written to timing.jsonl; absent when a domain has none */
  timing?: Metrics;
  /**
   * more rows for the run directory, by file: `{ completions: [...] }` appends to completions.jsonl. Each row carries
   * `step` (= the iteration), so --resume drops the rows written after the checkpoint (the Task lists the files: records)
   */
  records?: Record<string, JsonObject[]>;
}

/** Puts `prefix/` before keys that have no namespace yet. */
function prefixed(prefix: string, m: Metrics | void): Metrics {
  if (!m) return {};
  const out: Metrics = {};
  for (const [k, v] of Object.entries(m)) out[k.includes('/') ? k : `${prefix}/${k}`] = v;
  return out;
}

/**
 * Runs one iteration of the parts: plan → sample → judge → fit → measure. Returns the event (metrics in the order
 * iteration, objective/*, reward/*, policy/*) and the batch, for a domain that keeps it (e.g. to draw sample paths).
 */
export async function runIteration<B, L>(parts: LoopParts<B, L>, iteration: number): Promise<IterationEvent & { batch: B; labels: L[] }> {
  const { agent, sampler, gatherer, reward, evaluator } = parts;
  const t0 = performance.now();
  const planMetrics = prefixed('policy', await agent.improve(iteration)); // 1. plan
  const t1 = performance.now();
  const batch = await sampler.sample(iteration); // 2. sample
  const t2 = performance.now();
  const labels = await gatherer.gather(batch, iteration); // 3. judge
  const t3 = performance.now();
  const rewardMetrics = prefixed('reward', await reward.fit(batch, labels, iteration)); // 4. fit
  const t4 = performance.now();
  const evalMetrics = evaluator ? prefixed('objective', await evaluator.evaluate(batch, labels, iteration)) : {}; // 5. measure
  const t5 = performance.now();
  return {
    iteration,
    batch,
    labels,
    metrics: { iteration, ...evalMetrics, ...rewardMetrics, ...planMetrics },
    timing: {
      iteration,
      'time/plan': (t1 - t0) / 1000,
      'time/sample': (t2 - t1) / 1000,
      'time/judge': (t3 - t2) / 1000,
      'time/reward': (t4 - t3) / 1000,
      'time/evaluate': (t5 - t4) / 1000,
      'time/iteration': (t5 - t0) / 1000,
    },
  };
}
