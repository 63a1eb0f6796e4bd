// The curated public surface: src/index.ts exports the pipeline's pieces and every domain under its own name, and
// nothing of the command line or of one domain's wiring at top level.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as rlhf from '../src/index.js';

/** The namespaces src/index.ts exports: the six domains, the report and the text reward models. */
const NAMESPACES = ['gridworld', 'line', 'adder', 'digits', 'text', 'arithmetic', 'report', 'textReward'];
const topLevel = Object.keys(rlhf).filter((k) => !NAMESPACES.includes(k));

describe('public API (src/index.ts)', () => {
  it('exports each step of the loop', () => {
    for (const name of ['Rng', 'RlhfError', 'ConfigError', 'initTensors', 'readSafetensors', 'writeSafetensors', 'BPrefTeacher', 'resolveTeacher', 'bradleyTerryLoss', 'plackettLuceLoss', 'selectQueries', 'HumanGatherer', 'RunDir', 'createProgress', 'createServer'] as const) {
      expect(typeof (rlhf as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('exports every domain as a namespace', () => {
    for (const d of ['gridworld', 'line', 'adder', 'digits', 'text', 'arithmetic'] as const) {
      expect(typeof rlhf[d], d).toBe('object');
      expect(Object.keys(rlhf[d]).length, d).toBeGreaterThan(0);
    }
  });

  it('exports no command-line constant or parser at top level (flag tables, help texts, …FromFlags, the default port)', () => {
    const cli = topLevel.filter((k) => /FLAGS$|HELP$|FromFlags$|Command$|^DEFAULT_PORT$/.test(k));
    expect(cli, 'CLI names belong to src/cli or a domain namespace').toEqual([]);
  });

  it("exports no domain's glue at top level (query makers, people-in-the-loop wiring, run-dir helpers of the CLI)", () => {
    // a domain's name as a camelCase word: gridworldX, xGridworldY, GRIDWORLD_X ("Line" only as a prefix: JsonlLineError is about JSONL)
    const word = /^(gridworld|grid|line|adder|digits|text|arithmetic)(?=[A-Z_]|$)|(Gridworld|Grid|Adder|Digits|Text|Arithmetic)(?=[A-Z_]|$)|(^|_)(GRIDWORLD|GRID|LINE|ADDER|DIGITS|TEXT|ARITHMETIC)(_|$)/;
    const domainNamed = topLevel.filter((k) => word.test(k));
    expect(domainNamed, 'a name about one domain belongs in that domain namespace').toEqual([]);
    for (const glue of ['gridworldQueryMaker', 'gridworldPeople', 'gridRewardHeatmaps', 'openHumanSession', 'runIdFromDir', 'humanJudgeFromFlags', 'activeQueryFromFlags']) {
      expect(topLevel, glue).not.toContain(glue);
    }
  });

  it('src/index.ts re-exports src/domains only as namespaces and nothing of src/cli', () => {
    const src = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8');
    const fromDomains = src.split('\n').filter((l) => /from '\.\/domains\//.test(l));
    expect(fromDomains.length).toBe(6);
    for (const l of fromDomains) expect(l).toMatch(/^export \* as (\w+) from '\.\/domains\/\1\/index\.js';$/);
    expect(src).not.toMatch(/from '\.\/cli\//);
  });
});
