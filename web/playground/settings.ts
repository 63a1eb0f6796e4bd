/**
 * What a playground run is started with: the page's URL parameters (the automation contract, docs/playground.md).
 *
 *   playground.html?domain=gridworld&judge=simulated&iterations=200&seed=1&autorun=1
 *
 * The playground's own parameters are PLAYGROUND_OPTIONS below; every other parameter is one of the domain's
 * command-line flags without its dashes (`size=6`, `explore-bonus=0`, `teacher=oracle`, `beta=inf`, `mistake=0.1`),
 * read by the domain's own option set, so the page and `rlhf run <domain>` accept the same settings and the same
 * errors name them.
 */
import { defineOptions } from '../../src/core/config/options.js';
import { ConfigError } from '../../src/core/errors.js';
import { JUDGE_MODES, type JudgeMode } from '../../src/loop/parts.js';
import { GRIDWORLD_OPTIONS, resolveGridworldConfig, type GridworldConfig, type GridworldConfigInput } from '../../src/domains/gridworld/config.js';

export const DOMAINS = ['gridworld'] as const;
export type PlaygroundDomain = (typeof DOMAINS)[number];

/** The playground's own settings (the domain's come from its flags). */
export interface PlaygroundOptions {
  /** which loop runs in the page (default gridworld) */
  domain: PlaygroundDomain;
  /** who judges: simulated (the B-Pref teacher), human (you), mixed (you; the teacher answers what you leave) */
  judge: JudgeMode;
  /** comparisons shown to you per iteration (human and mixed; default 5) */
  ask: number;
  /** seconds to wait for you per iteration before moving on (mixed: the teacher answers the rest); 0 = no limit */
  timeout: number;
  /** start at once, without the form (default false) */
  autorun: boolean;
}

export const PLAYGROUND_OPTIONS = defineOptions<PlaygroundOptions>('playground', [
  { key: 'domain', type: 'enum', choices: DOMAINS, default: 'gridworld', help: 'which loop runs in the page' },
  { key: 'judge', type: 'enum', choices: JUDGE_MODES, default: 'simulated', help: 'who judges: simulated, human (you) or mixed' },
  { key: 'ask', type: 'int', min: 1, max: 1000, default: 5, help: 'comparisons shown to you per iteration' },
  { key: 'timeout', type: 'number', min: 0, default: 0, help: 'seconds to wait for you per iteration (0: no limit)' },
  { key: 'autorun', type: 'bool', default: false, help: 'start at once' },
]);

/** A run's settings: the playground's options and the domain's flags as given (strings, as in the URL). */
export interface Settings {
  playground: PlaygroundOptions;
  /** the domain's flags given (name → value), e.g. { size: "6", "explore-bonus": "0" } */
  flags: Record<string, string>;
}

/** Flags the page reads itself; all others go to the domain. */
const OWN = new Set(PLAYGROUND_OPTIONS.flags);
/** Parameters of the page, not of a run (backend.ts reads `backend`). */
const PAGE_ONLY = new Set(['backend']);

/** Reads settings from URL parameters; throws ConfigError naming the parameter. */
export function settingsFromParams(params: URLSearchParams): Settings {
  const own: Record<string, string | boolean> = {};
  const flags: Record<string, string> = {};
  for (const [k, v] of params) {
    if (PAGE_ONLY.has(k)) continue;
    if (OWN.has(k)) own[k] = k === 'autorun' ? v !== '0' && v !== 'false' : v;
    else flags[k] = v;
  }
  const playground = PLAYGROUND_OPTIONS.resolveFlags(own);
  const s = { playground, flags };
  gridworldConfig(s); // checks the domain's flags now
  return s;
}

/** The settings as URL parameters (the page's address for this run). */
export function settingsToParams(s: Settings): URLSearchParams {
  const p = new URLSearchParams();
  p.set('domain', s.playground.domain);
  p.set('judge', s.playground.judge);
  if (s.playground.judge !== 'simulated') p.set('ask', String(s.playground.ask));
  if (s.playground.timeout > 0) p.set('timeout', String(s.playground.timeout));
  for (const [k, v] of Object.entries(s.flags)) p.set(k, v);
  return p;
}

/**
 * Defaults for a run with people, where the flags leave them open: 10 pairs sampled per iteration (you see `ask` of
 * them), 20 iterations, and the reward refit on every label so far (few labels per iteration: docs/playground.md).
 */
const WITH_PEOPLE: GridworldConfigInput = { batch: 10, iterations: 20, replayLabels: true };

/** The gridworld config of a run: its flags over the page's defaults over the domain's. */
export function gridworldConfig(s: Settings): GridworldConfig {
  const spec = GRIDWORLD_OPTIONS.flagSpec();
  const values: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(s.flags)) {
    const f = spec[k];
    if (!f) throw new ConfigError(k, `unknown setting "${k}": the gridworld takes ${Object.keys(spec).join(', ')}; the page ${[...OWN].join(', ')}`);
    // a boolean flag is on when given without a value (or "1"/"true"), as on the command line
    values[k] = f.type === 'boolean' ? v !== '0' && v !== 'false' : v;
  }
  const input = GRIDWORLD_OPTIONS.fromFlags(values);
  const base = s.playground.judge === 'simulated' ? {} : WITH_PEOPLE;
  const merged: GridworldConfigInput = { ...base, ...input };
  if (merged.rewardImpl === 'tfjs') throw new ConfigError('reward-impl', 'the playground fits the gridworld reward in typed arrays: drop reward-impl=tfjs');
  return resolveGridworldConfig(merged);
}
