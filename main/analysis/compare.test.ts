import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClassificationMetrics } from '../metrics/types';
import { pairedBootstrap } from '../stats/paired';
import { chiSquareSf } from '../stats/special';
import { PairedBootstrap } from './bootstrap';
import { compareToBaseline, pairBySeed, prepareComparison } from './compare';
import { rankVariants } from './ranking';
import type { SeedRun, Variant } from './variants';

const NO_METRICS = {} as ClassificationMetrics;

function variant(key: string, runs: [number, number[]][]): Variant {
  const seedRuns: SeedRun[] = runs.map(([seed, p]) => ({
    seed,
    runId: `${key}#seed${seed}`,
    metrics: NO_METRICS,
    predictions: Int32Array.from(p),
    testLogits: null,
    valLogits: null,
    history: [],
    bestEpoch: null,
  }));
  return { key, label: key, kind: 'trained', loss: key, params: {}, runs: seedRuns };
}

/**
 * Predictions for a 2×2 McNemar table on binary labels (all 0): `both` images both right,
 * `b` only the baseline right, `c` only the candidate right, `neither` both wrong.
 */
function mcnemarCase(both: number, b: number, c: number, neither: number): { labels: number[]; base: number[]; cand: number[] } {
  const base: number[] = [];
  const cand: number[] = [];
  const push = (n: number, x: number, y: number) => {
    for (let i = 0; i < n; i++) {
      base.push(x);
      cand.push(y);
    }
  };
  push(both, 0, 0);
  push(b, 0, 1);
  push(c, 1, 0);
  push(neither, 1, 1);
  return { labels: base.map(() => 0), base, cand };
}

describe('comparison against the baseline', () => {
  it('pairs runs by seed, not by position, and leaves out seeds one side lacks', () => {
    const labels = [0, 1, 0, 1, 0, 1, 0, 1];
    const base = variant('ce', [
      [3, [0, 1, 1, 1, 0, 0, 0, 1]],
      [1, [0, 0, 0, 1, 0, 1, 1, 1]],
      [2, [1, 1, 0, 1, 0, 1, 0, 0]],
    ]);
    const cand = variant('focal', [
      [2, [0, 1, 0, 1, 0, 1, 0, 1]],
      [1, [0, 1, 0, 0, 0, 1, 0, 1]],
    ]);
    base.runs.sort((a, b) => a.seed - b.seed);
    cand.runs.sort((a, b) => a.seed - b.seed);
    const paired = pairBySeed(cand, base);
    assert.deepEqual(paired.seeds, [1, 2]);
    const boot = new PairedBootstrap(labels, 2, 1000, 5, 0.95);
    prepareComparison(cand, base, boot);
    const result = compareToBaseline(cand, base, boot)!;
    assert.deepEqual(result.seeds, [1, 2]);
    // Same as the primitive called with the seed-matched lists by hand.
    const byHand = pairedBootstrap({
      labels,
      numClasses: 2,
      baseline: [base.runs[0]!.predictions!, base.runs[1]!.predictions!],
      candidate: [cand.runs[0]!.predictions!, cand.runs[1]!.predictions!],
      resamples: 1000,
      seed: 5,
    });
    assert.ok(Math.abs(result.difference - byHand.difference) < 1e-12);
    assert.ok(Math.abs(result.interval[0] - byHand.interval[0]) < 1e-12 && Math.abs(result.interval[1] - byHand.interval[1]) < 1e-12);
    assert.equal(result.significant, byHand.significant);
    assert.equal(result.mcnemar.perSeed.length, 2);
    // No seed in common: nothing to compare.
    assert.equal(compareToBaseline(variant('x', [[9, labels]]), base, boot), null);
  });

  it("uses the exact McNemar test below 25 discordant images (b = 10, c = 2: p = 2·79/4096)", () => {
    const { labels, base, cand } = mcnemarCase(30, 10, 2, 8);
    const boot = new PairedBootstrap(labels, 2, 200, 0, 0.95);
    const [b, c] = [variant('ce', [[1, base]]), variant('x', [[1, cand]])];
    prepareComparison(c, b, boot);
    const m = compareToBaseline(c, b, boot)!.mcnemar;
    assert.equal(m.perSeed[0]!.b, 10);
    assert.equal(m.perSeed[0]!.c, 2);
    assert.equal(m.perSeed[0]!.method, 'exact');
    // P(X <= 2), X ~ Bin(12, 1/2) = (1 + 12 + 66) / 4096.
    assert.ok(Math.abs(m.pMax - (2 * 79) / 4096) < 1e-15, String(m.pMax));
    assert.equal(m.significant, true);
  });

  it("matches the textbook chi-square McNemar example (Agresti: b = 150, c = 86)", () => {
    // Agresti, An Introduction to Categorical Data Analysis, presidential approval ratings:
    // 794 approve twice, 150 approve→disapprove, 86 disapprove→approve, 570 disapprove twice.
    const { labels, base, cand } = mcnemarCase(794, 150, 86, 570);
    const boot = new PairedBootstrap(labels, 2, 100, 0, 0.95);
    const [b, c] = [variant('ce', [[1, base]]), variant('x', [[1, cand]])];
    prepareComparison(c, b, boot);
    const s = compareToBaseline(c, b, boot)!.mcnemar.perSeed[0]!;
    assert.equal(s.method, 'chi2-corrected');
    // Continuity-corrected statistic (|150 − 86| − 1)² / 236 = 3969 / 236 = 16.818.
    assert.ok(Math.abs(s.statistic - 3969 / 236) < 1e-12);
    assert.ok(Math.abs(s.pValue - chiSquareSf(3969 / 236, 1)) < 1e-15);
    assert.equal(s.pValue.toExponential(1), '4.1e-5');
  });

  it('counts a row as McNemar-significant only when every seed is (p_max)', () => {
    const strong = mcnemarCase(30, 12, 0, 8);
    const weak = mcnemarCase(30, 3, 2, 15);
    const labels = strong.labels;
    const boot = new PairedBootstrap(labels, 2, 100, 0, 0.95);
    const base = variant('ce', [[1, strong.base], [2, weak.base]]);
    const cand = variant('x', [[1, strong.cand], [2, weak.cand]]);
    prepareComparison(cand, base, boot);
    const m = compareToBaseline(cand, base, boot)!.mcnemar;
    assert.ok(m.perSeed[0]!.pValue < 0.05 && m.perSeed[1]!.pValue > 0.05);
    assert.equal(m.pMax, m.perSeed[1]!.pValue);
    assert.equal(m.significant, false);
  });
});

describe('ranking with ties', () => {
  it('ranks by mean balanced accuracy over common seeds and ties non-significant differences', () => {
    const labels = Array.from({ length: 400 }, (_, i) => i % 4);
    const make = (wrongEvery: number, shift: number) => labels.map((y, i) => ((i + shift) % wrongEvery === 0 ? (y + 1) % 4 : y));
    const best = variant('best', [[1, make(50, 0)], [2, make(50, 1)]]);
    const close = variant('close', [[1, make(45, 0)], [2, make(45, 3)]]);
    const worst = variant('worst', [[1, make(3, 0)], [2, make(3, 1)], [7, make(3, 2)]]);
    const posthoc: Variant = { ...variant('best+posthoc-la', [[1, labels]]), kind: 'posthoc' };
    const boot = new PairedBootstrap(labels, 4, 1000, 0, 0.95);
    const ranking = rankVariants([worst, close, best, posthoc], boot)!;
    assert.deepEqual(ranking.seeds, [1, 2], 'seed 7 is not common to every loss');
    assert.deepEqual(ranking.entries.map((e) => [e.key, e.rank]), [['best', 1], ['close', 1], ['worst', 3]]);
    assert.deepEqual(ranking.entries[0]!.tiedWith, ['best', 'close']);
    assert.ok(!ranking.entries.some((e) => e.key.includes('posthoc')), 'post-hoc rows are not ranked');
  });
});
