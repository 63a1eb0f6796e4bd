/**
 * The adder's measurements (loop step 5) on held-out pairs — the same pairs for every seed — of the learned reward
 * and of the greedy answers it implies.
 */
import { Rng } from '../../core/rng.js';
import type { AdderConfig } from './config.js';
import type { AdderReward } from './reward.js';

/** Held-out pairs are drawn from this fixed stream, independent of --seed, so all runs are scored on the same pairs. */
export const ADDER_EVAL_SEED = 20240601;

export interface AdderEval {
  /** the seed's protocol: greedy vs greedy + U(−2, 2); correct when sigmoid(r̄(x_g) − r̄(x_p)) falls on the side of the truth */
  preferenceAccuracy: number;
  /** two actions a + b + U(−5, 5) each: a harder test of the whole reward shape */
  randomPairAccuracy: number;
  /** mean (a + b − x_g)² over the held-out states */
  actionMse: number;
  /** mean |a + b − x_g| */
  actionMae: number;
}

export class AdderEvaluator {
  private readonly held: { a: Float64Array; b: Float64Array; u: Float64Array; x1: Float64Array; x2: Float64Array };

  constructor(config: AdderConfig) {
    const er = new Rng(ADDER_EVAL_SEED);
    const n = config.evalPairs;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const u = new Float64Array(n);
    const x1 = new Float64Array(n);
    const x2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = er.int(config.stateMax);
      b[i] = er.int(config.stateMax);
      u[i] = 2 * er.uniform() - 1;
      x1[i] = a[i]! + b[i]! + (10 * er.uniform() - 5);
      x2[i] = a[i]! + b[i]! + (10 * er.uniform() - 5);
    }
    this.held = { a, b, u, x1, x2 };
  }

  evaluate(reward: Pick<AdderReward, 'greedy' | 'mean'>): AdderEval {
    const { a, b, u, x1, x2 } = this.held;
    const n = a.length;
    const xg = reward.greedy(a, b);
    const xp = xg.map((x, i) => x + 2 * u[i]!); // the seed: greedy + U(−2, 2)
    const rg = reward.mean(a, b, xg);
    const rp = reward.mean(a, b, xp);
    const r1 = reward.mean(a, b, x1);
    const r2 = reward.mean(a, b, x2);
    let acc = 0;
    let acc2 = 0;
    let mse = 0;
    let mae = 0;
    const score = (d: number, truthLeft: boolean) => (d === 0 ? 0.5 : d > 0 === truthLeft ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const ans = a[i]! + b[i]!;
      acc += score(rg[i]! - rp[i]!, Math.abs(ans - xg[i]!) <= Math.abs(ans - xp[i]!));
      acc2 += score(r1[i]! - r2[i]!, Math.abs(ans - x1[i]!) <= Math.abs(ans - x2[i]!));
      mse += (ans - xg[i]!) ** 2;
      mae += Math.abs(ans - xg[i]!);
    }
    return { preferenceAccuracy: acc / n, randomPairAccuracy: acc2 / n, actionMse: mse / n, actionMae: mae / n };
  }
}
