import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { afinn, meanAfinn, SentimentJudge, sentimentRewards } from './sentiment.js';

const POS = 'I love this, it is amazing!';
const NEG = 'This is awful and I hate it.';

describe('AFINN scores', () => {
  it('scores the reference sentence 7 and places each word’s score in reading order', () => {
    const a = afinn(POS);
    expect(a.score).toBe(7); // love 3 + amazing 4
    expect(a.tokens).toEqual(['i', 'love', 'this', 'it', 'is', 'amazing']);
    expect(a.perToken).toEqual([0, 3, 0, 0, 0, 4]);
    expect(afinn(NEG).score).toBeLessThan(0);
  });
  it('handles negation and repeated words', () => {
    expect(afinn('not good').perToken).toEqual([0, -3]);
    expect(afinn('good good bad').perToken).toEqual([3, 3, -3]);
    const r = sentimentRewards('good good bad');
    expect(Array.from(r).reduce((x, y) => x + y, 0)).toBe(afinn('good good bad').score);
    expect(Array.from(sentimentRewards('good bad', 'comparative'))).toEqual([1.5, -1.5]);
    expect(Array.from(sentimentRewards(''))).toEqual([0]);
    expect(meanAfinn([POS, 'good'])).toBe(5);
  });
});

describe('SentimentJudge', () => {
  it('the oracle prefers the positive text on either side', () => {
    const j = new SentimentJudge(new Rng(1));
    expect(j.compare([{ left: POS, right: NEG }, { left: NEG, right: POS }])).toEqual(['left', 'right']);
    expect(j.score(POS)).toBe(7);
  });

  it('equal scores are ties by default; without tieOnEqual the rational teacher gives them to the left', () => {
    const pairs = [{ left: 'the cat sat', right: 'a dog ran' }, { left: 'good', right: 'nice' }, { left: POS, right: NEG }];
    expect(new SentimentJudge(new Rng(1)).compare(pairs)).toEqual(['tie', 'tie', 'left']);
    expect(new SentimentJudge(new Rng(1), { tieOnEqual: false }).compare(pairs)).toEqual(['left', 'left', 'left']);
  });

  it('mistake rate flips about that fraction of labels', () => {
    const j = new SentimentJudge(new Rng(2), { teacher: 'mistake', overrides: { epsMistake: 0.3 } });
    const labels = j.compare(Array.from({ length: 2000 }, () => ({ left: POS, right: NEG })));
    const wrong = labels.filter((l) => l === 'right').length / labels.length;
    expect(wrong).toBeGreaterThan(0.25);
    expect(wrong).toBeLessThan(0.35);
  });

  it('a Boltzmann teacher is noisier for close pairs than for far ones', () => {
    const j = new SentimentJudge(new Rng(3), { teacher: 'noisy', tieOnEqual: false });
    const close = j.compare(Array.from({ length: 1000 }, () => ({ left: 'good', right: 'nice' }))); // 3 vs 3 … equal returns
    const far = j.compare(Array.from({ length: 1000 }, () => ({ left: POS, right: NEG })));
    const leftRate = (ls: string[]): number => ls.filter((l) => l === 'left').length / ls.length;
    expect(leftRate(close)).toBeGreaterThan(0.4);
    expect(leftRate(close)).toBeLessThan(0.6);
    expect(leftRate(far)).toBeGreaterThan(0.99);
  });

  it('ties and skips follow the B-Pref thresholds', () => {
    const eq = new SentimentJudge(new Rng(4), { teacher: 'equal', overrides: { epsEqual: 1 } });
    // mean return (7 + 6 + 7 − 7)/4 = 3.25: |7 − 6| < 3.25 ties, |7 − (−7)| does not
    expect(eq.compare([{ left: POS, right: 'I love it, it is great' }, { left: POS, right: 'I hate this, it is terrible' }])).toEqual(['tie', 'left']);
    const sk = new SentimentJudge(new Rng(5), { teacher: 'skip', overrides: { epsSkip: 0.9 }, tieOnEqual: false });
    const labels = sk.compare([{ left: 'the cat', right: 'a dog' }, { left: POS, right: NEG }]);
    expect(labels[0]).toBe('skip'); // neither continuation says anything positive
    expect(labels[1]).toBe('left');
  });

  it('is deterministic for a seed and rejects a bad mode', () => {
    const pairs = Array.from({ length: 50 }, (_, i) => ({ left: i % 2 ? POS : 'good', right: 'nice day' }));
    const a = new SentimentJudge(new Rng(9), { teacher: 'noisy' }).compare(pairs);
    const b = new SentimentJudge(new Rng(9), { teacher: 'noisy' }).compare(pairs);
    expect(a).toEqual(b);
    expect(() => new SentimentJudge(new Rng(1), { mode: 'loud' as 'score' })).toThrow(/mode/);
    expect(() => new SentimentJudge(new Rng(1), { teacher: 'sloppy' })).toThrow(/unknown teacher/);
  });
});
