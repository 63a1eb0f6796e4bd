/**
 * A task of your own, in one file: a preference bandit. None of the five built-in domains — it is written only against
 * rlhfkit's public API, and `rlhf run` gives it everything they get: a run directory, checkpoints and --resume, the
 * progress bar, --json, and people in the loop (--judge human|mixed) with the web app's JSON view.
 *
 *   npm run rlhf -- run examples/custom-task.ts --iterations 30 --seed 1
 *   npm run rlhf -- run examples/custom-task.ts --judge human          # you compare the arms in the browser
 *   npm run rlhf -- run examples/custom-task.ts --help
 *
 * The task: K arms, each described by d features φ(a). The judge prefers the arm with the higher true reward
 * r*(a) = w*·φ(a) (w* hidden, drawn from the seed). The reward model is linear, r̂(a) = θ·φ(a), fitted by Bradley–Terry on
 * every comparison so far; the policy picks arms with π(a) ∝ exp(r̂(a)/τ). The loop (docs/adding-a-domain.md):
 *   plan: π from r̂ · sample: B pairs of arms drawn from π · judge: the B-Pref teacher (or people) · fit: θ ·
 *   measure: the policy's expected true reward and its regret against the best arm.
 * In your own module import from 'rlhfkit' instead of '../src/index.js'.
 */
import {
  Adam,
  BPrefTeacher,
  Rng,
  bradleyTerryArrays,
  comparisonQuery,
  comparisonTarget,
  defineOptions,
  defineTask,
  runIteration,
  teacherOptions,
  type DomainRun,
  type Label,
  type LoopParts,
  type Metrics,
  type QueryMaker,
  type RngState,
  type TeacherConfig,
  type TeacherName,
} from '../src/index.js';

/** The bandit's config (each option described once below: flag, default, range, help). */
interface BanditConfig {
  arms: number;
  features: number;
  batch: number;
  iterations: number;
  rewardSteps: number;
  lr: number;
  temperature: number;
  teacher: TeacherName;
  teacherConfig: TeacherConfig;
  seed: number;
}

const teacher = teacherOptions<BanditConfig>({ params: 'teacherConfig', default: 'noisy' });

const OPTIONS = defineOptions<BanditConfig>('bandit', [
  { key: 'arms', type: 'int', min: 2, max: 1000, default: 20, metavar: 'K', symbol: 'K', help: 'arms to choose from' },
  { key: 'features', type: 'int', min: 1, max: 64, default: 4, metavar: 'D', symbol: 'd', help: 'features per arm φ(a)' },
  { key: 'batch', type: 'int', min: 1, max: 10_000, default: 16, metavar: 'B', symbol: 'B', help: 'compared pairs per iteration' },
  { key: 'iterations', type: 'int', min: 1, max: 100_000, default: 40, metavar: 'N', help: 'loop iterations', mayDifferOnResume: true },
  { key: 'rewardSteps', type: 'int', min: 1, max: 10_000, default: 30, metavar: 'N', help: 'Adam steps on the Bradley–Terry loss per iteration' },
  { key: 'lr', type: 'number', min: 0, exclusiveMin: true, max: 10, default: 0.05, metavar: 'LR', symbol: 'η', help: 'Adam step size' },
  { key: 'temperature', type: 'number', min: 0, exclusiveMin: true, default: 0.2, metavar: 'T', symbol: 'τ', help: 'policy temperature: π(a) ∝ exp(r̂(a)/τ)' },
  teacher.teacher,
  teacher.params,
  { key: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, metavar: 'S', help: 'seed of every random draw', section: 'run' },
]);

/** One iteration's queries: pair i compares arm left[i] with arm right[i]. */
interface PairBatch {
  left: Int32Array;
  right: Int32Array;
}

interface BanditSummary {
  expected_reward: number;
  best_reward: number;
  regret: number;
  reward_correlation: number;
  labels: number;
  iterations: number;
  seed: number;
  seconds: number;
}

interface BanditState {
  rng: RngState;
  teacherRng: RngState;
  labels: { left: number[]; right: number[]; mu: number[] };
}

const softmax = (z: Float64Array, tau: number): Float64Array => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp((v - m) / tau));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]! / n), (mb += b[i]! / n);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) (ab += (a[i]! - ma) * (b[i]! - mb)), (aa += (a[i]! - ma) ** 2), (bb += (b[i]! - mb) ** 2);
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

export default defineTask<BanditConfig, BanditSummary, BanditState>({
  name: 'bandit',
  title: 'a preference bandit: pick among K arms by a linear reward learned from comparisons',
  options: OPTIONS,
  headline: (s, _c, dir) => `bandit: expected reward ${s.expected_reward.toFixed(3)} (best ${s.best_reward.toFixed(3)}, regret ${s.regret.toFixed(3)}), ${s.labels} labels → ${dir}`,

  async create(c, ctx): Promise<DomainRun<BanditSummary, BanditState>> {
    // the world: arms' features φ [K, d] and the hidden true weights w*, fixed by the seed
    const world = new Rng(c.seed).fork('world');
    const phi = Array.from({ length: c.arms }, () => Array.from(world.normalArray(c.features)));
    const wStar = world.normalArray(c.features);
    const trueReward = Float64Array.from(phi, (f) => f.reduce((s, x, j) => s + x * wStar[j]!, 0)); // r*(a) = w*·φ(a)
    const rng = new Rng(c.seed).fork('pairs');
    const teacherRng = new Rng(c.seed).fork('teacher');
    // the reward model r̂(a) = θ·φ(a) and its optimizer
    const theta = new Float32Array(c.features); // float32: a checkpoint keeps it exactly
    const adam = new Adam(c.features, { lr: c.lr });
    const rHat = () => Float64Array.from(phi, (f) => f.reduce((s, x, j) => s + x * theta[j]!, 0));
    let policy = softmax(rHat(), c.temperature);
    const labels = { left: [] as number[], right: [] as number[], mu: [] as number[] };

    const draw = (): number => {
      let u = rng.uniform();
      for (let a = 0; a < c.arms; a++) if ((u -= policy[a]!) <= 0) return a;
      return c.arms - 1;
    };
    const judge = new BPrefTeacher(c.teacherConfig, teacherRng, `teacher:${c.teacher}`);
    // 3. judge: the teacher compares the arms' true rewards (one-step segments), answering μ = P(left ≻ right)
    const simulated = {
      name: judge.name,
      gather: (b: PairBatch): Label[] => judge.labelBatch(Array.from(b.left, (l, i) => ({ left: [trueReward[l]!], right: [trueReward[b.right[i]!]!] }))).map((p) => comparisonTarget(p) ?? null),
    };
    // what people see: the two arms as JSON (the web app's JSON view draws any payload)
    const armPayload = (a: number) => ({ arm: a, features: phi[a]!.map((x) => Math.round(x * 100) / 100) });
    const maker: QueryMaker<PairBatch> = {
      size: (b) => b.left.length,
      query: (b, i, iteration, id) => comparisonQuery(id, iteration, 'bandit', armPayload(b.left[i]!), armPayload(b.right[i]!)),
    };

    const parts: LoopParts<PairBatch> = {
      // 1. plan: π(a) ∝ exp(r̂(a)/τ)
      agent: { improve: (): Metrics => ((policy = softmax(rHat(), c.temperature)), { entropy: -policy.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0) }) },
      // 2. sample: B pairs of arms from π
      sampler: { sample: () => ({ left: Int32Array.from({ length: c.batch }, draw), right: Int32Array.from({ length: c.batch }, draw) }) },
      gatherer: ctx.judge(simulated, maker),
      // 4. fit: Bradley–Terry on every label so far, d_i = θ·(φ(l_i) − φ(r_i)), ∂L/∂θ = Σ_i ∂L/∂d_i (φ(l_i) − φ(r_i))
      reward: {
        fit: (b, ls): Metrics => {
          ls.forEach((mu, i) => {
            if (mu === null) return;
            labels.left.push(b.left[i]!);
            labels.right.push(b.right[i]!);
            labels.mu.push(mu);
          });
          const n = labels.mu.length;
          if (n === 0) return { loss: Number.NaN };
          const d = new Float64Array(n);
          const gd = new Float64Array(n);
          const grad = new Float64Array(c.features);
          let loss = 0;
          for (let step = 0; step < c.rewardSteps; step++) {
            const r = rHat();
            for (let i = 0; i < n; i++) d[i] = r[labels.left[i]!]! - r[labels.right[i]!]!;
            loss = bradleyTerryArrays(d, labels.mu, undefined, gd);
            grad.fill(0);
            for (let i = 0; i < n; i++) for (let j = 0; j < c.features; j++) grad[j]! += gd[i]! * (phi[labels.left[i]!]![j]! - phi[labels.right[i]!]![j]!);
            adam.step(theta, grad);
          }
          return { loss, correlation: pearson(rHat(), trueReward) };
        },
      },
      // 5. measure: E_π[r*] and the regret against the best arm
      evaluator: {
        evaluate: (): Metrics => {
          const expected = policy.reduce((s, p, a) => s + p * trueReward[a]!, 0);
          return { expected_reward: expected, regret: Math.max(...trueReward) - expected, labels: labels.mu.length };
        },
      },
    };

    return {
      iterations: c.iterations,
      iterate: (it) => runIteration(parts, it),
      snapshot: () => ({
        state: { rng: rng.state(), teacherRng: teacherRng.state(), labels },
        arrays: { theta: { shape: [c.features], data: theta }, ...adam.toArrays('adam') },
      }),
      restore(state, arrays) {
        rng.setState(state.rng);
        teacherRng.setState(state.teacherRng);
        Object.assign(labels, state.labels);
        theta.set(arrays.get('theta')!.data);
        adam.fromArrays('adam', arrays);
        policy = softmax(rHat(), c.temperature);
      },
      progressFields: (m) => ({ regret: m['objective/regret'] ?? Number.NaN }),
      summarize: (rows, seconds) => {
        const last = rows[rows.length - 1] ?? {};
        return {
          expected_reward: last['objective/expected_reward'] ?? Number.NaN,
          best_reward: Math.max(...trueReward),
          regret: last['objective/regret'] ?? Number.NaN,
          reward_correlation: pearson(rHat(), trueReward),
          labels: labels.mu.length,
          iterations: rows.length,
          seed: c.seed,
          seconds: Math.round(seconds * 1000) / 1000,
        };
      },
    };
  },
});
