/**
 * The gridworld's evaluator (loop step 5), on the exploitation rollouts of the batch: mean true return
 * Σ_{t=1..H} r*(s_t), the share ending on a goal, the share of all rollouts that visit one, and the teacher's entropy
 * over the judged pairs.
 */
import type { Evaluator, Label, Metrics } from '../../loop/parts.js';
import { preferenceProbability } from '../../teachers/bpref.js';
import type { GridworldBatch } from './batch.js';
import type { GridworldConfig } from './config.js';
import type { Gridworld } from './env.js';
import type { GridworldTeacher } from './teacher.js';

/** Binary entropy in nats: H(p) = −p ln p − (1−p) ln(1−p). */
function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -p * Math.log(p) - (1 - p) * Math.log(1 - p);
}

export class GridworldEvaluator implements Evaluator<GridworldBatch> {
  constructor(
    private readonly config: GridworldConfig,
    private readonly env: Gridworld,
    private readonly teacher: GridworldTeacher,
    /** labels fitted so far */
    private readonly labelCount: () => number,
  ) {}

  evaluate(batch: GridworldBatch, labels: Label[]): Metrics {
    const { batch: B, horizon: H } = this.config;
    const stride = H + 1;
    const { trueReward, isGoal } = this.env;
    let ret = 0;
    let goals = 0;
    let n = 0;
    let visited = 0;
    for (let side = 0; side < 2; side++) {
      const t = side === 0 ? batch.left : batch.right;
      for (let i = 0; i < B; i++) {
        let hit = 0;
        for (let k = 0; k <= H; k++) hit |= isGoal[t.states[i * stride + k]!]!;
        visited += hit;
        if (!batch.exploit[side * B + i]) continue;
        // true return Σ_{t=1..H} r*(s_t) (the seed's: rewards of the states reached)
        let r = 0;
        for (let k = 1; k <= H; k++) r += trueReward[t.states[i * stride + k]!]!;
        ret += r;
        goals += isGoal[t.states[i * stride + H]!]!;
        n++;
      }
    }
    // teacher entropy: mean binary entropy of the teacher's label distribution over the judged pairs
    // P(right) = sigmoid(β ΔR′) (0/1 when rational), mixed with the mistake rate ε: p = ε + (1 − 2ε) P
    const params = this.config.teacherParams;
    const eps = params.epsMistake;
    let ent = 0;
    let judged = 0;
    let ties = 0;
    let skips = 0;
    const pairs = this.teacher.segments(batch);
    for (let i = 0; i < B; i++) {
      if (!batch.asked[i]) continue;
      const mu = labels[i] ?? null;
      if (mu === null) {
        skips++;
        continue;
      }
      if (mu === 0.5) ties++;
      const p = preferenceProbability(params, pairs[i]!.left, pairs[i]!.right);
      ent += binaryEntropy(eps + (1 - 2 * eps) * p);
      judged++;
    }
    return {
      'objective/true_return': n > 0 ? ret / n : Number.NaN,
      'objective/goal_rate': n > 0 ? goals / n : Number.NaN,
      'objective/goal_visit_rate': visited / (2 * B),
      'teacher/entropy': judged > 0 ? ent / judged : Number.NaN,
      'feedback/labels': this.labelCount(),
      'feedback/ties': ties,
      'feedback/skips': skips,
    };
  }
}
