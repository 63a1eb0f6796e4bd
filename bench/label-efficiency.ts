/**
 * Label efficiency of active queries: labels needed to reach the success target, random vs disagreement vs entropy.
 *
 *   npm run bench -- label-efficiency [--seeds 20] [--seed0 0] [--domains gridworld,line] [--teachers oracle,noisy,mistake]
 *                                     [--grid-iterations 60] [--tag T (writes label-efficiency-T.*)] [--quiet] [--plot-only]
 *
 * For each domain × teacher (Oracle, Noisy β 1, Mistake ε 0.1) × selection (random, disagreement, entropy) × seed,
 * one run with a reward ensemble of 3 (the same K for every strategy, so only the choice of queries differs) and a
 * small constant number of labels per iteration, so that labels, not rollouts, are the bottleneck:
 *   gridworld 10×10  n of the iteration's 1000 sampled pairs are labelled, n ∈ {1, 2, 5, 10, 20}, `grid-iterations`
 *                    (60) iterations each, target: goal rate ≥ 0.95 (the gridworld's default exploration bonus and
 *                    ensemble: randomized priors σ = 2, no bootstrap, the reward fitted on every label so far)
 *   line, size 10    1 of 10 candidate segment pairs per iteration of 5 episodes, 200 episodes,
 *                    target: P(goal within 50 steps) ≥ 0.95
 * gridworld: "labels to target" = labels used when the goal rate first reached the target, the least over the rates n
 * (a rate too low never reaches it: the pair that found the goal is not asked about; too high spends labels).
 * line: a budget ladder (1, 2, 3, 4, 6, …, 32 labels): the smallest total budget whose run ends at the target — the
 * line needs so few labels that its learning curve is bounded by the policy's 2 iterations, not by the labels.
 * A run that never reaches the target is censored: its final success is reported, medians treat it as "more".
 * The spread between seeds is large (a seed's labels to target vary 5× within one strategy), hence 20 seeds by default;
 * the table also gives the geometric mean of the per-seed ratios and the seeds on which a strategy needed fewer labels.
 * Writes bench/results/label-efficiency.json and bench/results/label-efficiency.{svg,png}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveGridworldConfig, runGridworld } from '../src/domains/gridworld/index.js';
import { resolveLineConfig } from '../src/domains/line/config.js';
import { runLine } from '../src/domains/line/run.js';
import type { QuerySelection } from '../src/reward/querySelection.js';
import { writeFigure, type TopLevelSpec } from '../src/report/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TARGET = 0.95;
const TEACHERS = ['oracle', 'noisy', 'mistake'] as const;
const STRATEGIES: QuerySelection[] = ['random', 'disagreement', 'entropy'];
type Domain = 'gridworld' | 'line';

interface RunOutcome {
  domain: Domain;
  teacher: string;
  strategy: QuerySelection;
  seed: number;
  /** labels when success first reached the target; null = never */
  labelsToTarget: number | null;
  /** labels the whole run used */
  labels: number;
  finalSuccess: number;
  seconds: number;
}

/** Median with censored values (null = "more than the run's labels", sorted last). Returns null when the median is censored. */
function censoredMedian(xs: Array<number | null>): number | null {
  const s = xs.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return Number.isFinite(m) ? m : null;
}

/** Labels per iteration tried on the gridworld (of its GRID_POOL sampled pairs). */
const GRID_RATES = [1, 2, 5, 10, 20];
/** B: pairs of rollouts sampled per iteration, the pool every strategy chooses from (rollouts are cheap, labels are not) */
const GRID_POOL = 1000;

/**
 * The gridworld's labels to target: for each rate on GRID_RATES, one run of `iterations` iterations; the labels used
 * when the goal rate first reached the target; the minimum over the rates (null when no rate reached it).
 */
async function gridRun(teacher: string, strategy: QuerySelection, seed: number, iterations: number): Promise<RunOutcome & { byRate: Array<{ rate: number; labelsToTarget: number | null; final: number }> }> {
  const t0 = performance.now();
  const byRate: Array<{ rate: number; labelsToTarget: number | null; final: number; labels: number }> = [];
  for (const rate of GRID_RATES) {
    // the gridworld's defaults for an ensemble: centred randomized priors σ = 2, no bootstrap, every label replayed
    const config = resolveGridworldConfig({ size: 10, iterations, batch: GRID_POOL, teacher: teacher as 'oracle', querySelection: strategy, rewardEnsemble: 3, labelsPerIteration: rate, seed: seed + 1 });
    const res = await runGridworld(config, { quiet: true });
    const first = res.metrics.find((r) => (r['objective/goal_rate'] ?? 0) >= TARGET);
    byRate.push({ rate, labelsToTarget: first ? (first['feedback/labels'] ?? null) : null, final: res.summary!.goal_rate, labels: res.summary!.labels });
  }
  const reached = byRate.filter((r) => r.labelsToTarget !== null).sort((a, b) => a.labelsToTarget! - b.labelsToTarget!);
  const best = reached[0] ?? byRate[byRate.length - 1]!;
  return {
    domain: 'gridworld',
    teacher,
    strategy,
    seed,
    labelsToTarget: best.labelsToTarget,
    labels: best.labels,
    finalSuccess: best.final,
    seconds: (performance.now() - t0) / 1000,
    byRate: byRate.map(({ rate, labelsToTarget, final }) => ({ rate, labelsToTarget, final })),
  };
}

/** Label budgets tried on the line, smallest first. */
const LINE_LADDER = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];

/**
 * The line needs so few labels that a learning curve cannot separate the strategies (the policy needs ~2 iterations
 * to turn any correct reward into success), so the line uses a budget ladder: the smallest total budget B (1 label
 * per iteration for the first B iterations, then none) whose run ends at the target.
 */
async function lineRun(teacher: string, strategy: QuerySelection, seed: number): Promise<RunOutcome> {
  const t0 = performance.now();
  let last = { labels: 0, success: 0 };
  for (const budget of LINE_LADDER) {
    const config = resolveLineConfig({ size: 10, episodes: 200, episodesPerIteration: 5, labelsPerIteration: 1, labelBudget: budget, teacher, querySelection: strategy, rewardEnsemble: 3, seed });
    const s = (await runLine(config, { quiet: true })).summary!;
    last = { labels: s.labels, success: s.success_rate };
    if (s.success_rate >= TARGET) return { domain: 'line', teacher, strategy, seed, labelsToTarget: s.labels, labels: s.labels, finalSuccess: s.success_rate, seconds: (performance.now() - t0) / 1000 };
  }
  return { domain: 'line', teacher, strategy, seed, labelsToTarget: null, labels: last.labels, finalSuccess: last.success, seconds: (performance.now() - t0) / 1000 };
}

function chart(groups: Array<{ domain: string; teacher: string; strategy: string; median: number | null; maxLabels: number }>): TopLevelSpec {
  const values = groups.map((g) => ({
    panel: `${g.domain} · ${g.teacher}`,
    strategy: g.strategy,
    labels: g.median ?? g.maxLabels,
    note: g.median === null ? 'never' : String(g.median),
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Labels to reach the success target (${TARGET}), median over seeds`, subtitle: '"never": the median run did not reach it (bar = labels it used)' },
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null } },
    spec: {
      width: 120,
      height: 200,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'strategy', type: 'nominal', title: null, sort: STRATEGIES },
            y: { field: 'labels', type: 'quantitative', title: 'labels' },
            color: { field: 'strategy', type: 'nominal', sort: STRATEGIES, legend: null },
          },
        },
        {
          mark: { type: 'text', dy: -6 },
          encoding: {
            x: { field: 'strategy', type: 'nominal', sort: STRATEGIES },
            y: { field: 'labels', type: 'quantitative' },
            text: { field: 'note', type: 'nominal' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
}

/** Re-draws the figure from a saved results file: `npx tsx bench/label-efficiency.ts --plot-only`. */
async function plotOnly(): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const saved = JSON.parse(readFileSync(join(HERE, 'results', 'label-efficiency.json'), 'utf8')) as { groups: Parameters<typeof chart>[0] };
  await writeFigure(join(HERE, 'results'), 'label-efficiency', chart(saved.groups));
}

export async function run(args: string[]): Promise<void> {
  const o = { seeds: 20, domains: ['gridworld', 'line'] as Domain[], teachers: [...TEACHERS] as string[], gridIterations: 60, quiet: false, tag: '', seed0: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--seeds') o.seeds = Math.max(1, Number(args[++i]));
    else if (a === '--seed0') o.seed0 = Math.max(0, Number(args[++i]));
    else if (a === '--domains') o.domains = args[++i]!.split(',').filter((d): d is Domain => d === 'gridworld' || d === 'line');
    else if (a === '--teachers') o.teachers = args[++i]!.split(',').filter((t) => (TEACHERS as readonly string[]).includes(t));
    else if (a === '--grid-iterations') o.gridIterations = Math.max(1, Number(args[++i]));
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--tag') o.tag = `-${args[++i]!.replace(/[^\w.-]/g, '_')}`;
    else if (a === '--plot-only') return plotOnly();
    else throw new Error(`bench label-efficiency: unknown option ${a}`);
  }
  const log = (s: string) => {
    if (!o.quiet) console.error(s);
  };
  const load0 = loadavg();
  const t0 = performance.now();
  const outcomes: RunOutcome[] = [];
  for (const domain of o.domains)
    for (const teacher of o.teachers)
      for (const strategy of STRATEGIES) {
        for (let seed = o.seed0; seed < o.seed0 + o.seeds; seed++) outcomes.push(domain === 'gridworld' ? await gridRun(teacher, strategy, seed, o.gridIterations) : await lineRun(teacher, strategy, seed));
        const mine = outcomes.filter((r) => r.domain === domain && r.teacher === teacher && r.strategy === strategy);
        log(`${domain} ${teacher} ${strategy}: labels to target ${mine.map((r) => r.labelsToTarget ?? '—').join(' ')}; final ${mine.map((r) => r.finalSuccess.toFixed(2)).join(' ')}`);
      }

  const groups = [];
  for (const domain of o.domains)
    for (const teacher of o.teachers) {
      const random = outcomes.filter((r) => r.domain === domain && r.teacher === teacher && r.strategy === 'random');
      const randomMedian = censoredMedian(random.map((r) => r.labelsToTarget));
      for (const strategy of STRATEGIES) {
        const rs = outcomes.filter((r) => r.domain === domain && r.teacher === teacher && r.strategy === strategy);
        const median = censoredMedian(rs.map((r) => r.labelsToTarget));
        const maxLabels = Math.max(...rs.map((r) => r.labels));
        // paired by seed against random: fewer / more labels (a censored run counts as more than any reached one), and
        // the geometric mean of the per-seed ratios over the seeds both reached
        let fewer = 0;
        let more = 0;
        const logRatios: number[] = [];
        for (const r of rs) {
          const base = random.find((x) => x.seed === r.seed);
          if (!base || strategy === 'random') continue;
          const a = r.labelsToTarget ?? Infinity;
          const b = base.labelsToTarget ?? Infinity;
          if (a < b) fewer++;
          else if (a > b) more++;
          if (Number.isFinite(a) && Number.isFinite(b)) logRatios.push(Math.log(a / b));
        }
        groups.push({
          domain,
          teacher,
          strategy,
          labels_to_target: rs.map((r) => r.labelsToTarget),
          median,
          reached: rs.filter((r) => r.labelsToTarget !== null).length,
          seeds: rs.length,
          final_success: rs.map((r) => Math.round(r.finalSuccess * 1000) / 1000),
          mean_final_success: rs.reduce((a, r) => a + r.finalSuccess, 0) / rs.length,
          maxLabels,
          // ratio of medians vs random; when random's median never reached, the ratio is at most median/maxLabels ("<")
          ratio_vs_random: strategy === 'random' ? 1 : median === null ? null : randomMedian === null ? `< ${(median / maxLabels).toFixed(3)}` : median / randomMedian,
          paired_vs_random: strategy === 'random' ? null : { fewer_labels: fewer, more_labels: more, geo_mean_ratio: logRatios.length ? Math.exp(logRatios.reduce((a, b) => a + b, 0) / logRatios.length) : null },
          seconds: rs.reduce((a, r) => a + r.seconds, 0),
        });
      }
    }

  const f = (v: number | null) => (v === null ? 'never' : String(v));
  console.log(`\nlabels to reach success ≥ ${TARGET} (median over ${o.seeds} seeds; "never" = the median run did not reach it)`);
  console.log('domain     teacher  strategy      median  reached  vs random  per seed: fewer/more, geo-mean ratio   final success per seed');
  for (const g of groups)
    console.log(
      `${g.domain.padEnd(10)} ${g.teacher.padEnd(8)} ${g.strategy.padEnd(13)} ${f(g.median).padStart(6)}  ${`${g.reached}/${g.seeds}`.padStart(7)}  ${String(typeof g.ratio_vs_random === 'number' ? g.ratio_vs_random.toFixed(2) : (g.ratio_vs_random ?? '—')).padStart(9)}  ${(g.paired_vs_random ? `${g.paired_vs_random.fewer_labels}/${g.paired_vs_random.more_labels}, ${g.paired_vs_random.geo_mean_ratio?.toFixed(2) ?? '—'}` : '').padEnd(36)}  ${g.final_success.join(' ')}`,
    );
  const result = {
    machine: { loadavg_start: load0, loadavg_end: loadavg(), note: 'shared 2-core machine, other helpers running' },
    protocol: {
      target: TARGET,
      seeds: o.seeds,
      reward_ensemble: 3,
      gridworld_ensemble: 'centred randomized priors σ = 2 (--ensemble-prior), no bootstrap, every label replayed (--replay-labels); disagreement = Var_k of the log-odds R_k(σˡ) − R_k(σʳ)',
      gridworld: { size: 10, iterations: o.gridIterations, batch: GRID_POOL, labels_per_iteration: GRID_RATES, success: 'goal_rate' },
      line: { size: 10, episodes: 200, episodes_per_iteration: 5, labels_per_iteration: 1, pool_factor: 10, success: 'P(goal within 50 steps)', budget_ladder: LINE_LADDER },
      labels_to_target: 'gridworld: labels used when the goal rate first reached the target, least over the labels-per-iteration rates; line: the smallest budget on the ladder whose run ends at the target; null = never',
    },
    groups,
    runs: outcomes,
    seconds: (performance.now() - t0) / 1000,
  };
  mkdirSync(join(HERE, 'results'), { recursive: true });
  const name = `label-efficiency${o.tag}`;
  writeFileSync(join(HERE, 'results', `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFigure(join(HERE, 'results'), name, chart(groups));
  console.log(`wrote bench/results/${name}.json and ${name}.{svg,png}`);
}
