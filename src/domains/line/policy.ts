/**
 * The line's policy (loop step 5, the agent trainer): an MLP [1 → hidden → 2] on x(s) with π(·|s) = softmax, trained
 * by REINFORCE on the learned reward r̂ (stop-gradient), one update per episode: the gradient accumulated over the
 * episode and averaged, each element clamped to ±gradClip, one Adam step.
 */
import { sigmoid } from '../../core/math.js';
import type { Rng } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import { Adam } from '../../optim/adam.js';
import { clipByValue } from '../../optim/clip.js';
import { MovingBaseline, returnsToGo, softmaxReinforceGrad } from '../../policy/reinforce.js';
import { Mlp } from '../../reward/mlp.js';
import type { LineConfig } from './config.js';
import { LEFT, NUM_ACTIONS, RIGHT, type Episode } from './env.js';

export class LinePolicy {
  readonly net: Mlp;
  readonly opt: Adam;
  /** the 'moving' baseline b ← b + η (Ḡ − b) */
  readonly baseline: MovingBaseline;
  /** [size, 1] the network's inputs x(s) */
  private readonly inputs: Float64Array;

  constructor(
    private readonly config: LineConfig,
    rng: Rng,
  ) {
    const c = config;
    this.net = new Mlp({ sizes: [1, c.hidden, NUM_ACTIONS], activation: 'relu' }, rng);
    // float32 moments: the precision this domain was tuned and recorded with
    this.opt = new Adam(this.net.numParams, { lr: c.policyLr, eps: c.adamEps, precision: 'float32' });
    this.baseline = new MovingBaseline(c.baselineRate);
    this.inputs = Float64Array.from({ length: c.size }, (_, s) => (c.normalizeState ? s / (c.size - 1) : s));
  }

  /** P(right | s) for every position, [size] */
  table(): Float64Array {
    const S = this.config.size;
    const z = this.net.predict(this.inputs, S); // [S, 2]
    const p = new Float64Array(S);
    for (let s = 0; s < S; s++) p[s] = sigmoid(z[2 * s + 1]! - z[2 * s]!); // P(right) = e^{z1} / (e^{z0} + e^{z1}) = σ(z1 − z0)
    return p;
  }

  /**
   * REINFORCE on one episode with predicted rewards r̂ (stop-gradient):
   *    loss = −(1/T) Σₜ [Aₜ log π(aₜ|sₜ) + c_H H(π(·|sₜ))],  Aₜ = Gₜ − b,  Gₜ = Σ_{t′≥t} γ^{t′−t} r̂(s_{t′},a_{t′})
   * folded per state: ∂loss/∂z(s) = −(1/T) [c(s,·) − (Σₐ c(s,a)) π(·|s)] + (c_H n(s)/T) π(·|s) ⊙ (log π(·|s) + H(s)),
   * c(s,a) = Σ_{t: sₜ=s, aₜ=a} Aₜ.
   */
  reinforce(ep: Episode, rhat: Float64Array, pRight: Float64Array): void {
    const c = this.config;
    const S = c.size;
    const T = ep.states.length;
    if (T === 0) return;
    const G = returnsToGo(Float64Array.from({ length: T }, (_, t) => rhat[ep.states[t]! * NUM_ACTIONS + ep.actions[t]!]!), c.discount); // Gₜ = r̂ₜ + γ Gₜ₊₁
    const coef = new Float64Array(S * NUM_ACTIONS); // c(s,a)
    const visits = new Float64Array(S); // n(s)
    let meanG = 0;
    for (let t = 0; t < T; t++) {
      const s = ep.states[t]!;
      let b = 0;
      if (c.baseline === 'moving') b = this.baseline.get();
      else if (c.baseline === 'expected') b = pRight[s]! * rhat[s * NUM_ACTIONS + RIGHT]! + (1 - pRight[s]!) * rhat[s * NUM_ACTIONS + LEFT]!; // Σₐ π(a|s) r̂(s,a)
      coef[s * NUM_ACTIONS + ep.actions[t]!]! += G[t]! - b; // Aₜ = Gₜ − b
      visits[s]! += 1;
      meanG += G[t]! / T;
    }
    if (c.baseline === 'moving') this.baseline.update(meanG); // b ← b + η (Ḡ − b)
    const dz = new Float64Array(S * NUM_ACTIONS);
    for (let s = 0; s < S; s++) {
      if (visits[s] === 0) continue;
      const at = s * NUM_ACTIONS;
      softmaxReinforceGrad(coef.subarray(at, at + NUM_ACTIONS), [1 - pRight[s]!, pRight[s]!], T, dz.subarray(at, at + NUM_ACTIONS), { coef: c.entropyCoef, visits: visits[s]! });
    }
    this.step(dz);
  }

  /** The seed's policy update: REINFORCE with A = r̂ and no baseline, ∂/∂z(s) of −(1/T) Σ n(s,a) r̂(s,a) log π(a|s). */
  seedUpdate(ep: Episode, rhat: Float64Array, pRight: Float64Array): void {
    const S = this.config.size;
    const T = ep.states.length;
    if (T === 0) return;
    const n = new Float64Array(S * NUM_ACTIONS);
    for (let t = 0; t < T; t++) n[ep.states[t]! * NUM_ACTIONS + ep.actions[t]!]! += 1;
    const dz = new Float64Array(S * NUM_ACTIONS);
    for (let s = 0; s < S; s++) {
      const at = s * NUM_ACTIONS;
      softmaxReinforceGrad([n[at]! * rhat[at]!, n[at + 1]! * rhat[at + 1]!], [1 - pRight[s]!, pRight[s]!], T, dz.subarray(at, at + NUM_ACTIONS));
    }
    this.step(dz);
  }

  /** Backprop of ∂loss/∂z, clamp each element to ±gradClip, one Adam step. */
  private step(dz: Float64Array): void {
    this.net.forward(this.inputs, this.config.size);
    this.net.zeroGrad();
    this.net.backward(dz);
    clipByValue(this.net.flatGrads, this.config.gradClip);
    this.opt.step(this.net.flatParams, this.net.flatGrads);
  }

  toArrays(): Record<string, TensorToWrite> {
    return { ...this.net.toArrays('policy'), ...this.opt.toArrays('policy_adam') };
  }

  restore(baseline: number, arrays: Map<string, NamedTensor>): void {
    this.net.fromArrays('policy', arrays);
    this.opt.fromArrays('policy_adam', arrays);
    this.baseline.values[0] = baseline;
  }
}
