/** What one epoch of the adder passes between its parts (sampler → judge → reward fit): the queries asked. Types only. */

/**
 * The queries of an epoch, query i = (state (a[i], b[i]); actions xl[i] and xr[i]): xl the greedy answer under the
 * learned reward, xr a perturbed one. Empty arrays when the label budget is spent.
 */
export interface AdderBatch {
  a: Float64Array;
  b: Float64Array;
  /** the left (greedy) and right (perturbed) actions */
  xl: Float64Array;
  xr: Float64Array;
}
