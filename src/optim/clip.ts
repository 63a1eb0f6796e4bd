/**
 * Gradient clipping on plain typed arrays (the typed-array models: the line's policy and reward MLPs). The tensor
 * form, with the optimizer step, is gradients.ts's clipAndApply. No tfjs here.
 *
 *   by value:        gᵢ ← min(c, max(−c, gᵢ))                           (the seed's per-episode clamp)
 *   by global norm:  g ← g · c / ‖g‖ when ‖g‖ > c,  ‖g‖ = sqrt(Σᵢ gᵢ²)
 */

/** Clamps every element to [−c, c] in place. */
export function clipByValue(g: Float32Array | Float64Array, c: number): void {
  for (let i = 0; i < g.length; i++) g[i] = Math.max(-c, Math.min(c, g[i]!));
}

/** Scales g in place so that its L2 norm is at most c; returns the norm before clipping. */
export function clipByNorm(g: Float32Array | Float64Array, c: number): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  const norm = Math.sqrt(s);
  if (norm > c && norm > 0) {
    const k = c / norm;
    for (let i = 0; i < g.length; i++) g[i]! *= k;
  }
  return norm;
}
