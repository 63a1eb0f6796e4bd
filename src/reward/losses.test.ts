import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initTensors } from '../core/tensor.js';
import { bradleyTerryArrays, bradleyTerryGrad, bradleyTerryLoss, bradleyTerryProbability, bradleyTerryTerm, plackettLuceLoss } from './losses.js';

beforeAll(async () => {
  await initTensors();
});

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** −log P(order) for one ranking, plain JS (best first). */
function plNll(r: number[]): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const m = Math.max(...r.slice(i));
    const tail = r.slice(i).reduce((a, x) => a + Math.exp(x - m), 0);
    s += r[i]! - (m + Math.log(tail));
  }
  return -s;
}

describe('Bradley–Terry loss', () => {
  it('matches hand-computed values: ties are ½ targets', () => {
    // d = [2, 0]: −log sigmoid(2) = log(1 + e^−2) = 0.126928; a tie at d = 0 costs ln 2
    const loss = tf.tidy(() => bradleyTerryLoss(tf.tensor1d([2, 0]), tf.tensor1d([0, 0]), tf.tensor1d([1, 0.5])).dataSync()[0]!);
    expect(loss).toBeCloseTo((Math.log1p(Math.exp(-2)) + Math.LN2) / 2, 6);
    expect(loss).toBeCloseTo(0.410038, 5);
    // μ = 0 (right preferred) at d = 2: −log(1 − sigmoid(2)) = 2 + log(1 + e^−2) = 2.126928
    const right = tf.tidy(() => bradleyTerryLoss(tf.tensor1d([2]), tf.tensor1d([0]), tf.tensor1d([0])).dataSync()[0]!);
    expect(right).toBeCloseTo(2.126928, 5);
  });

  it('weights give a weighted mean', () => {
    const loss = tf.tidy(() => bradleyTerryLoss(tf.tensor1d([2, 0]), tf.tensor1d([0, 0]), tf.tensor1d([1, 0.5]), tf.tensor1d([3, 1])).dataSync()[0]!);
    expect(loss).toBeCloseTo((3 * Math.log1p(Math.exp(-2)) + Math.LN2) / 4, 6);
  });

  it('gradient is (sigmoid(d) − μ)/N w.r.t. the left returns and the negative w.r.t. the right', () => {
    const left = [2, 0, -1.5];
    const right = [0, 0, 1];
    const mu = [1, 0.5, 0];
    const [gl, gr] = tf.tidy(() => {
      const g = tf.grads((l: tf.Tensor, r: tf.Tensor) => bradleyTerryLoss(l as tf.Tensor1D, r as tf.Tensor1D, tf.tensor1d(mu)));
      return g([tf.tensor1d(left), tf.tensor1d(right)]).map((t) => Array.from(t.dataSync()));
    });
    const want = left.map((l, i) => (sig(l - right[i]!) - mu[i]!) / 3);
    gl!.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 6));
    gr!.forEach((g, i) => expect(g).toBeCloseTo(-want[i]!, 6));
  });

  it('is finite for large return differences', () => {
    const loss = tf.tidy(() => bradleyTerryLoss(tf.tensor1d([500]), tf.tensor1d([-500]), tf.tensor1d([0])).dataSync()[0]!);
    expect(loss).toBeCloseTo(1000, 2);
  });

  it('the typed-array form gives the tensor form’s loss and gradient (weighted and not)', () => {
    const d = [2, 0, -1.5, 30, -30];
    const mu = [1, 0.5, 0, 0, 1];
    const w = [3, 1, 0, 2, 1];
    for (const weights of [undefined, w]) {
      const grad = new Float64Array(d.length);
      const typed = bradleyTerryArrays(d, mu, weights, grad);
      const [loss, g] = tf.tidy(() => {
        const f = (x: tf.Tensor) => bradleyTerryLoss(x as tf.Tensor1D, tf.zerosLike(x) as tf.Tensor1D, tf.tensor1d(mu), weights ? tf.tensor1d(weights) : undefined);
        const { value, grad: gt } = tf.valueAndGrad(f)(tf.tensor1d(d));
        return [value.dataSync()[0]!, Array.from(gt.dataSync())];
      });
      expect(typed).toBeCloseTo(loss, 5);
      grad.forEach((x, i) => expect(x).toBeCloseTo(g[i]!, 6));
    }
    // ℓ(d, μ) = −[μ log σ(d) + (1−μ) log(1−σ(d))], ∂ℓ/∂d = σ(d) − μ
    expect(bradleyTerryTerm(2, 1)).toBeCloseTo(-Math.log(sig(2)), 12);
    expect(bradleyTerryTerm(2, 0.25)).toBeCloseTo(-(0.25 * Math.log(sig(2)) + 0.75 * Math.log(1 - sig(2))), 12);
    expect(bradleyTerryTerm(-800, 1)).toBe(800); // finite where log σ(−800) underflows
    expect(bradleyTerryGrad(0.7, 0.5)).toBeCloseTo(sig(0.7) - 0.5, 15);
    expect(bradleyTerryArrays([], [])).toBe(0);
    expect(bradleyTerryArrays([1], [1], [0])).toBe(0);
    expect(() => bradleyTerryArrays([1, 2], [1])).toThrow(/2 differences, 1 targets/);
  });

  it('bradleyTerryProbability is sigmoid(Rˡ − Rʳ), stable at the extremes', () => {
    expect(bradleyTerryProbability(1, 0)).toBeCloseTo(sig(1), 12);
    expect(bradleyTerryProbability(0, 0)).toBe(0.5);
    expect(bradleyTerryProbability(-800, 800)).toBe(0);
    expect(bradleyTerryProbability(800, -800)).toBe(1);
  });
});

describe('Plackett–Luce loss', () => {
  it('matches the hand-computed negative log-likelihood', () => {
    // [3, 1, 0]: −[(3 − log(e³ + e + 1)) + (1 − log(e + 1))] = 0.169845 + 0.313262 = 0.483108
    const loss = tf.tidy(() => plackettLuceLoss(tf.tensor2d([[3, 1, 0]])).dataSync()[0]!);
    expect(loss).toBeCloseTo(plNll([3, 1, 0]), 5);
    expect(loss).toBeCloseTo(0.483108, 4);
  });

  it('with two items equals Bradley–Terry', () => {
    const pl = tf.tidy(() => plackettLuceLoss(tf.tensor2d([[0.7, -0.2]])).dataSync()[0]!);
    const bt = tf.tidy(() => bradleyTerryLoss(tf.tensor1d([0.7]), tf.tensor1d([-0.2]), tf.tensor1d([1])).dataSync()[0]!);
    expect(pl).toBeCloseTo(bt, 6);
  });

  it('masks padding, also when the real scores are very negative', () => {
    const scores = [
      [2, 0, 1],
      [-1000, -1001, 5], // third entry is padding: its value must not matter
    ];
    const mask = [
      [1, 1, 1],
      [1, 1, 0],
    ];
    const loss = tf.tidy(() => plackettLuceLoss(tf.tensor2d(scores), tf.tensor2d(mask)).dataSync()[0]!);
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo((plNll([2, 0, 1]) + plNll([-1000, -1001])) / 2, 4);
  });

  it('scores that span more than ~104 give the exact, finite loss (a log-sum-exp per suffix)', () => {
    // [5, 0, −120, −121]: −[(5 − log(e⁵ + 1 + …)) + (0 − log(1 + …)) + (−120 − log(e^−120 + e^−121))] = 0.320
    const loss = tf.tidy(() => plackettLuceLoss(tf.tensor2d([[5, 0, -120, -121]])).dataSync()[0]!);
    expect(loss).toBeCloseTo(plNll([5, 0, -120, -121]), 4);
    expect(loss).toBeCloseTo(0.32, 3);
    const masked = tf.tidy(() => plackettLuceLoss(tf.tensor2d([[5, 0, -120, -121, 7]]), tf.tensor2d([[1, 1, 1, 1, 0]])).dataSync()[0]!);
    expect(masked).toBeCloseTo(loss, 5);
  });

  it('gradients stay finite when the scores span more than ~89 (e.g. [0, −90])', () => {
    const g = tf.tidy(() => Array.from(tf.grad((s: tf.Tensor) => plackettLuceLoss(s as tf.Tensor2D))(tf.tensor2d([[0, -90]])).dataSync()));
    // with two items PL is Bradley–Terry: ∂/∂R₁ = σ(R₁ − R₀) ≈ 0, ∂/∂R₀ = −σ(R₁ − R₀)
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g[0]).toBeCloseTo(-sig(-90), 6);
    expect(g[1]).toBeCloseTo(sig(-90), 6);
    const g2 = tf.tidy(() => Array.from(tf.grad((s: tf.Tensor) => plackettLuceLoss(s as tf.Tensor2D))(tf.tensor2d([[5, 0, -120, -121]])).dataSync()));
    expect(g2.every(Number.isFinite)).toBe(true);
    expect(g2[2]).toBeCloseTo(-sig(-1), 4); // ∂/∂R₂ of −[R₂ − log(e^R₂ + e^R₃)] = −(1 − σ(R₂ − R₃)) = −σ(R₃ − R₂)
  });

  it('gradient matches finite differences of the plain-JS likelihood', () => {
    const r = [0.5, 1.5, -0.3, 0.2];
    const g = tf.tidy(() => Array.from(tf.grad((s: tf.Tensor) => plackettLuceLoss(s as tf.Tensor2D))(tf.tensor2d([r])).dataSync()));
    const h = 1e-4;
    r.forEach((_, i) => {
      const up = r.slice();
      const dn = r.slice();
      up[i]! += h;
      dn[i]! -= h;
      expect(g[i]).toBeCloseTo((plNll(up) - plNll(dn)) / (2 * h), 3);
    });
  });
});
