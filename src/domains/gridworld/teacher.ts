/**
 * The gridworld's simulated judge (loop step 3): a B-Pref teacher compares each asked pair on the true rewards of the
 * judged states s₀..s_{H−1}, as the seed's teacher does. Its answer per pair is μ = P(left ≻ right) (1, 0 or ½), null
 * for a skip or a pair not asked.
 */
import { comparisonTarget } from '../../feedback/types.js';
import type { Gatherer, Label } from '../../loop/parts.js';
import type { BPrefTeacher } from '../../teachers/bpref.js';
import type { GridworldBatch } from './batch.js';
import type { GridworldConfig } from './config.js';
import type { Gridworld } from './env.js';

export class GridworldTeacher implements Gatherer<GridworldBatch> {
  readonly name: string;
  /** [2B, H] the true per-step rewards of the last batch asked about: row i = left pair i, row B + i = right pair i */
  private readonly stepRewards: Float64Array;

  constructor(
    private readonly config: GridworldConfig,
    private readonly env: Gridworld,
    readonly teacher: BPrefTeacher,
  ) {
    this.name = teacher.name;
    this.stepRewards = new Float64Array(2 * config.batch * config.horizon);
  }

  /** True per-step rewards of the judged states s₀..s_{H−1} (the seed's teacher sees these), [2B, H]. */
  private fillStepRewards(batch: GridworldBatch): void {
    const { batch: B, horizon: H } = this.config;
    const r = this.env.trueReward;
    const stride = H + 1;
    for (let side = 0; side < 2; side++) {
      const t = side === 0 ? batch.left : batch.right;
      for (let i = 0; i < B; i++) for (let k = 0; k < H; k++) this.stepRewards[(side * B + i) * H + k] = r[t.states[i * stride + k]!]!;
    }
  }

  /** The true step rewards of each pair of a batch (views into a buffer the next call overwrites). */
  segments(batch: GridworldBatch): Array<{ left: Float64Array; right: Float64Array }> {
    this.fillStepRewards(batch);
    const { batch: B, horizon: H } = this.config;
    const pairs = new Array<{ left: Float64Array; right: Float64Array }>(B);
    for (let i = 0; i < B; i++) pairs[i] = { left: this.stepRewards.subarray(i * H, (i + 1) * H), right: this.stepRewards.subarray((B + i) * H, (B + i + 1) * H) };
    return pairs;
  }

  /** Labels the asked pairs; pairs not asked get null (no information, left out of the fit). */
  gather(batch: GridworldBatch): Label[] {
    const all = this.segments(batch);
    const idx: number[] = [];
    for (let i = 0; i < all.length; i++) if (batch.asked[i]) idx.push(i);
    // floor = log ε: the lowest true reward, so shifted returns count goal steps (B-Pref's skip test needs r ≥ 0)
    const labels = this.teacher.labelBatch(idx.length === all.length ? all : idx.map((i) => all[i]!), Math.log(this.config.rewardEps));
    const out = new Array<Label>(all.length).fill(null);
    idx.forEach((i, j) => (out[i] = comparisonTarget(labels[j]!) ?? null));
    return out;
  }
}
