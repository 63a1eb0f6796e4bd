/**
 * Reward functions: a reward can be a learned reward model, a built-in function or the user's own module, and several
 * are combined with weights, as TRL's GRPOTrainer takes `reward_funcs` and `reward_weights`:
 *
 *   r(x, y) = Σ_k w_k · r_k(x, y)           each r_k's batch mean is logged as reward_fn/<name>
 *
 * On the command line each is one `--reward-fn SPEC[:WEIGHT]` (weight 1 when omitted):
 *   exact              1 when the completion is exactly the reference answer (extra.answer), else 0 (spaces around
 *                      either are ignored)
 *   length=N           −|len(y) − N| / N: 0 at N characters, lower the further from it
 *   regex=PATTERN      1 when the completion matches the JavaScript regular expression, else 0 (format rewards)
 *   keyword=W1,W2,…    the share of the words that occur in the completion (case-insensitive); one word: presence
 *   afinn              the AFINN-165 sentiment score of the completion (./sentiment.ts)
 *   ./my-reward.js     the default export of the module, (prompt, completion, extra) → number | Promise<number>
 * e.g. `--reward-fn exact --reward-fn ./brevity.js:0.5 --reward-fn length=20:-0.1`. A PATTERN that itself ends in
 * ":<number>" needs an explicit weight after it. A learned reward model enters through `rewardModelFunction`.
 *
 * Browser-safe: loading a user module goes through an `importModule` the caller supplies (the CLI resolves the path
 * against the working directory and imports it); everything else is plain code.
 */
import { ConfigError, DataError } from '../core/errors.js';
import { afinn } from './sentiment.js';

/** One sample a reward function scores: the prompt, the completion, and the task's extra columns (e.g. answer). */
export interface RewardSample {
  prompt: string;
  completion: string;
  /** what the task knows about the sample (TRL passes the dataset's other columns as keyword arguments) */
  extra: Readonly<Record<string, unknown>>;
}

/** A user's reward function: the default export of a `--reward-fn` module. */
export type RewardFn = (prompt: string, completion: string, extra: Readonly<Record<string, unknown>>) => number | Promise<number>;

/** A named, weighted reward function that scores a batch. */
export interface RewardFunction {
  /** the metric key's last part (reward_fn/<name>), unique within a run */
  readonly name: string;
  /** w_k */
  readonly weight: number;
  /** the spec it came from (for messages and config.json) */
  readonly spec: string;
  /** r_k of every sample (a learned model scores the batch at once) */
  score(samples: readonly RewardSample[]): number[] | Promise<number[]>;
}

export const BUILTIN_REWARDS = ['exact', 'length', 'regex', 'keyword', 'afinn'] as const;
export type BuiltinReward = (typeof BUILTIN_REWARDS)[number];

/** A spec, parsed: a built-in (with its argument) or a module path, and the weight. */
export type RewardSpec = { kind: 'builtin'; name: BuiltinReward; arg: string | undefined; weight: number; spec: string } | { kind: 'module'; path: string; weight: number; spec: string };

const WEIGHT = /^(.*):([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i;

/** True when a spec names a module file rather than a built-in. */
function looksLikePath(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || /\.(m|c)?js$/.test(s) || s.includes('/');
}

/** Parses `SPEC[:WEIGHT]` (see the file comment); ConfigError naming --reward-fn on a malformed one. */
export function parseRewardSpec(spec: string): RewardSpec {
  const fail = (why: string): never => {
    throw new ConfigError('reward-fn', `--reward-fn ${JSON.stringify(spec)}: ${why}`);
  };
  if (spec.trim() === '') fail('empty; expected one of exact, length=N, regex=PATTERN, keyword=W1,W2, afinn or a module path like ./my-reward.js');
  const m = WEIGHT.exec(spec);
  const body = m ? m[1]! : spec;
  const weight = m ? Number(m[2]) : 1;
  if (!Number.isFinite(weight)) fail(`the weight must be a finite number, got ${m?.[2]}`);
  const eq = body.indexOf('=');
  const head = eq >= 0 ? body.slice(0, eq) : body;
  if ((BUILTIN_REWARDS as readonly string[]).includes(head)) {
    const name = head as BuiltinReward;
    const arg = eq >= 0 ? body.slice(eq + 1) : undefined;
    if ((name === 'length' || name === 'regex' || name === 'keyword') && (arg === undefined || arg === ''))
      fail(`${name} needs an argument: ${name === 'length' ? 'length=20 (target characters)' : name === 'regex' ? 'regex=^\\d+$' : 'keyword=great,love'}`);
    if ((name === 'exact' || name === 'afinn') && arg !== undefined) fail(`${name} takes no argument`);
    if (name === 'length' && !(Number.isFinite(Number(arg)) && Number(arg) > 0)) fail(`length=N needs N > 0 characters, got "${arg}"`);
    if (name === 'regex') {
      try {
        new RegExp(arg!);
      } catch (e) {
        fail(`not a valid regular expression: ${(e as Error).message}`);
      }
    }
    return { kind: 'builtin', name, arg, weight, spec };
  }
  if (!looksLikePath(body)) fail(`"${head}" is not a built-in reward (${BUILTIN_REWARDS.join(', ')}) nor a module path (start it with ./ or /)`);
  return { kind: 'module', path: body, weight, spec };
}

/** The name a spec's metric key gets: the built-in's name, or the module file's base name. */
function specName(s: RewardSpec): string {
  if (s.kind === 'builtin') return s.name;
  const base = s.path.split(/[\\/]/).pop() ?? s.path;
  return base.replace(/\.(m|c)?[jt]s$/, '') || 'module';
}

/** A per-sample function as a RewardFunction, with the checks every reward goes through. */
function perSample(name: string, weight: number, spec: string, fn: RewardFn): RewardFunction {
  return {
    name,
    weight,
    spec,
    async score(samples) {
      const out = await Promise.all(
        samples.map(async (s, i) => {
          let v: unknown;
          try {
            v = await fn(s.prompt, s.completion, s.extra);
          } catch (e) {
            throw new DataError(`reward function "${name}" threw on sample ${i} (${describe(s)}): ${(e as Error).message ?? String(e)}`, { cause: e });
          }
          return v;
        }),
      );
      return checkScores(name, out, samples);
    },
  };
}

function describe(s: RewardSample): string {
  const cut = (t: string) => (t.length > 60 ? `${t.slice(0, 57)}…` : t);
  return `prompt ${JSON.stringify(cut(s.prompt))}, completion ${JSON.stringify(cut(s.completion))}`;
}

/** Every value must be a finite number: DataError naming the function and the first bad sample. */
function checkScores(name: string, values: readonly unknown[], samples: readonly RewardSample[]): number[] {
  if (values.length !== samples.length) throw new DataError(`reward function "${name}" returned ${values.length} scores for ${samples.length} samples`);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new DataError(`reward function "${name}" returned ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v)} for sample ${i} (${describe(samples[i]!)}); a reward must be a finite number`);
  });
  return values as number[];
}

/** The built-in rewards (see the file comment). */
function builtin(s: Extract<RewardSpec, { kind: 'builtin' }>, name: string): RewardFunction {
  const arg = s.arg ?? '';
  switch (s.name) {
    case 'exact':
      return perSample(name, s.weight, s.spec, (_p, y, extra) => {
        if (extra.answer === undefined || extra.answer === null) throw new Error('the exact reward needs a reference answer (extra.answer), and the task gave none');
        return y.trim() === String(extra.answer).trim() ? 1 : 0;
      });
    case 'length': {
      const target = Number(arg);
      return perSample(name, s.weight, s.spec, (_p, y) => (0 - Math.abs([...y].length - target)) / target); // −|len − N| / N (0 − x: no −0 at the target)
    }
    case 'regex': {
      const re = new RegExp(arg);
      return perSample(name, s.weight, s.spec, (_p, y) => (re.test(y) ? 1 : 0));
    }
    case 'keyword': {
      const words = arg
        .split(',')
        .map((w) => w.trim().toLowerCase())
        .filter((w) => w.length > 0);
      return perSample(name, s.weight, s.spec, (_p, y) => words.filter((w) => y.toLowerCase().includes(w)).length / words.length);
    }
    case 'afinn':
      return perSample(name, s.weight, s.spec, (_p, y) => afinn(y).score);
  }
}

/** Imports a module given its path as written on the command line (the CLI resolves it against the working directory). */
export type ModuleImporter = (path: string) => Promise<unknown>;

/** The default export of a module as a reward function; ConfigError naming --reward-fn when it is not one. */
async function fromModule(s: Extract<RewardSpec, { kind: 'module' }>, name: string, importModule: ModuleImporter | undefined): Promise<RewardFunction> {
  if (!importModule) throw new ConfigError('reward-fn', `--reward-fn ${s.path}: this context cannot load modules (no importer given)`);
  let mod: unknown;
  try {
    mod = await importModule(s.path);
  } catch (e) {
    throw new ConfigError('reward-fn', `--reward-fn ${s.path}: cannot load the module: ${(e as Error).message ?? String(e)}`);
  }
  const fn = (mod as { default?: unknown } | null)?.default ?? mod;
  if (typeof fn !== 'function')
    throw new ConfigError(
      'reward-fn',
      `--reward-fn ${s.path}: the default export is ${fn === null ? 'null' : typeof fn}, not a function; write \`export default function (prompt, completion, extra) { return … }\``,
    );
  return perSample(name, s.weight, s.spec, fn as RewardFn);
}

/** Names made unique: a second "length" becomes "length_2". */
function uniqueName(name: string, taken: Set<string>): string {
  let n = name;
  for (let k = 2; taken.has(n); k++) n = `${name}_${k}`;
  taken.add(n);
  return n;
}

/** The reward functions of a list of specs, in order (user modules through `importModule`). */
export async function loadRewardFunctions(specs: readonly string[], opts: { importModule?: ModuleImporter } = {}): Promise<RewardFunction[]> {
  if (specs.length === 0) throw new ConfigError('reward-fn', 'give at least one --reward-fn');
  const taken = new Set<string>();
  const out: RewardFunction[] = [];
  for (const spec of specs) {
    const s = parseRewardSpec(spec);
    const name = uniqueName(specName(s), taken);
    out.push(s.kind === 'builtin' ? builtin(s, name) : await fromModule(s, name, opts.importModule));
  }
  return out;
}

/**
 * A learned reward model (or any batch scorer) as a reward function: `scoreBatch` sees every sample of a batch at
 * once (one forward pass) and returns one score each.
 */
export function rewardModelFunction(name: string, scoreBatch: (samples: readonly RewardSample[]) => ArrayLike<number> | Promise<ArrayLike<number>>, weight = 1): RewardFunction {
  return {
    name,
    weight,
    spec: name,
    async score(samples) {
      return checkScores(name, Array.from(await scoreBatch(samples)), samples);
    },
  };
}

/** The combined rewards of a batch and each function's own values. */
export interface ScoredRewards {
  /** [N] r = Σ_k w_k r_k */
  total: Float32Array;
  /** name → [N] r_k */
  byFunction: Map<string, Float32Array>;
}

/** Scores a batch with every function and combines them: r = Σ_k w_k r_k. */
export async function scoreRewards(fns: readonly RewardFunction[], samples: readonly RewardSample[]): Promise<ScoredRewards> {
  const total = new Float32Array(samples.length);
  const byFunction = new Map<string, Float32Array>();
  for (const f of fns) {
    const v = Float32Array.from(await f.score(samples));
    byFunction.set(f.name, v);
    for (let i = 0; i < v.length; i++) total[i]! += f.weight * v[i]!; // Σ_k w_k r_k
  }
  return { total, byFunction };
}

/** reward_fn/<name> → the batch mean of r_k (docs/metrics.md). */
export function rewardFunctionMetrics(scored: ScoredRewards): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of scored.byFunction) out[`reward_fn/${name}`] = v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
  return out;
}
