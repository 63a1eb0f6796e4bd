/**
 * Small helpers for the optimizer config resolvers: reject unknown keys, check types and ranges, and name the
 * offending option in the ConfigError.
 */
import { ConfigError } from '../core/errors.js';

/** Merges overrides into defaults, rejecting keys the config does not have. */
export function mergeKnown<T extends object>(what: string, defaults: T, overrides: Record<string, unknown>): T {
  const known = Object.keys(defaults);
  for (const k of Object.keys(overrides)) {
    if (!known.includes(k)) throw new ConfigError(k, `unknown ${what} option "${k}"; known options: ${known.join(', ')}`);
  }
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** A finite number in [lo, hi] (open ends with loOpen / hiOpen). */
export function checkNumber(key: string, v: unknown, lo: number, hi: number, opts: { loOpen?: boolean; hiOpen?: boolean; integer?: boolean } = {}): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new ConfigError(key, `${key} must be a number, got ${JSON.stringify(v)}`);
  const loOk = opts.loOpen ? v > lo : v >= lo;
  const hiOk = opts.hiOpen ? v < hi : v <= hi;
  const range = `${opts.loOpen ? '(' : '['}${lo}, ${hi}${opts.hiOpen ? ')' : ']'}`;
  if (!loOk || !hiOk) throw new ConfigError(key, `${key} must be in ${range}, got ${v}`);
  if (opts.integer && !Number.isInteger(v)) throw new ConfigError(key, `${key} must be an integer, got ${v}`);
  return v;
}

export function checkBoolean(key: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(key, `${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function checkChoice<C extends string>(key: string, v: unknown, choices: readonly C[]): C {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new ConfigError(key, `${key} must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as C;
}
