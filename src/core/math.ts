/**
 * Numerically stable scalar functions on plain numbers, written once for the whole toolkit (no tfjs, no `node:`: a
 * browser or a tfjs-free domain may import them).
 *
 *   σ(x) = 1 / (1 + e^−x)                       computed from e^−|x| so that neither branch overflows
 *   log σ(x) = −softplus(−x) = min(x, 0) − log(1 + e^−|x|)
 *   softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|)
 */

/** σ(x) = 1/(1 + e^−x); for x < 0 written as eˣ/(1 + eˣ) so that e^−x cannot overflow. σ(±800) is exactly 1 / 0. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log σ(x) = min(x, 0) − log(1 + e^−|x|): finite for every finite x (log σ(−800) = −800, not log 0). */
export function logSigmoid(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

/** softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|) = −log σ(−x). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
