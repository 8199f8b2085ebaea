import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFixture } from '../metrics/fixtures/load';
import { createRng } from '../util/random';
import { mcnemar, mcnemarTest, pairedBootstrap, percentileSorted, rankByPairedBootstrap, rankWithTies } from './paired';

const ref = readFixture<{
  versions: Record<string, string>;
  mcnemar: {
    table: [[number, number], [number, number]];
    exact: { statistic: number; pValue: number };
    chi2Corrected?: { statistic: number; pValue: number };
  }[];
}>('main/stats/fixtures/reference.json');

function relClose(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(err <= tol, `${what}: got ${actual}, expected ${expected}`);
}

/** Builds prediction arrays from a 2×2 correct/incorrect table on a binary task (all labels 0). */
function fromTable(table: [[number, number], [number, number]]): { labels: number[]; a: number[]; b: number[] } {
  const [[both, onlyA], [onlyB, neither]] = table;
  const labels: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  const push = (k: number, aRight: boolean, bRight: boolean) => {
    for (let i = 0; i < k; i++) {
      labels.push(0);
      a.push(aRight ? 0 : 1);
      b.push(bRight ? 0 : 1);
    }
  };
  push(both, true, true);
  push(onlyA, true, false);
  push(onlyB, false, true);
  push(neither, false, false);
  return { labels, a, b };
}

describe(`McNemar against hand-computed values and statsmodels ${ref.versions.statsmodels}`, () => {
  it('textbook example with 22 discordant pairs uses the exact binomial test', () => {
    // b = 6, c = 16: p = 2·Σ_{k≤6} C(22,k) / 2^22 = 2·110056/4194304 = 0.052478790283203125.
    const r = mcnemarTest(6, 16);
    assert.equal(r.method, 'exact');
    assert.equal(r.statistic, 6);
    assert.equal(r.pValue, (2 * 110056) / 4194304);
  });

  it("Agresti's presidential approval table (n = 1600) uses the corrected chi-square", () => {
    // b = 150, c = 86: (|150 − 86| − 1)² / 236 = 3969 / 236 = 16.8178; uncorrected 17.36.
    const r = mcnemarTest(150, 86);
    assert.equal(r.method, 'chi2-corrected');
    relClose(r.statistic, 3969 / 236, 1e-15, 'statistic');
    relClose(r.pValue, 4.114562281345944e-5, 1e-10, 'p-value');
  });

  it('matches statsmodels mcnemar on every reference table, from predictions', () => {
    for (const r of ref.mcnemar) {
      const { labels, a, b } = fromTable(r.table);
      const exact = mcnemar(labels, a, b, 'exact');
      assert.deepEqual(exact.table, r.table);
      assert.equal(exact.statistic, r.exact.statistic);
      relClose(exact.pValue, r.exact.pValue, 1e-12, `exact p for ${JSON.stringify(r.table)}`);
      if (r.chi2Corrected) {
        const chi = mcnemar(labels, a, b, 'chi2-corrected');
        relClose(chi.statistic + 1e-300, r.chi2Corrected.statistic + 1e-300, 1e-14, 'chi2 statistic');
        relClose(chi.pValue, r.chi2Corrected.pValue, 1e-10, `chi2 p for ${JSON.stringify(r.table)}`);
      }
      const auto = mcnemar(labels, a, b);
      assert.equal(auto.method, auto.b + auto.c < 25 ? 'exact' : 'chi2-corrected');
    }
  });

  it('no discordant pairs gives p = 1; bad counts are rejected', () => {
    assert.deepEqual(mcnemarTest(0, 0), { method: 'exact', statistic: 0, pValue: 1 });
    assert.equal(mcnemarTest(0, 0, 'chi2-corrected').pValue, 1);
    assert.throws(() => mcnemarTest(-1, 3), /non-negative integers/);
    assert.throws(() => mcnemar([0, 1], [0], [0, 1]), /one prediction per test image/);
  });
});

describe('paired bootstrap of the balanced-accuracy difference', () => {
  it('has the hand-computed distribution on two images', () => {
    // Image 0: both right. Image 1: baseline wrong, candidate right. One class, so balanced
    // accuracy = accuracy. Resamples {0,0}: Δ = 0 (p 1/4), {1,1}: Δ = 1 (1/4), mixed: 0.5 (1/2).
    const r = pairedBootstrap({ labels: [0, 0], numClasses: 1, baseline: [0, 1], candidate: [0, 0], resamples: 8000, seed: 3, keepSamples: true });
    const freq = (v: number) => r.samples!.filter((s) => s === v).length / 8000;
    assert.ok(Math.abs(freq(0) - 0.25) < 0.02, `P(0) = ${freq(0)}`);
    assert.ok(Math.abs(freq(0.5) - 0.5) < 0.02, `P(0.5) = ${freq(0.5)}`);
    assert.ok(Math.abs(freq(1) - 0.25) < 0.02, `P(1) = ${freq(1)}`);
    assert.equal(r.difference, 0.5);
    assert.deepEqual(r.interval, [0, 1]);
    assert.equal(r.significant, false);
  });

  it("spread matches the bootstrap's known variance of a mean of paired differences", () => {
    // With one class, Δ* is the mean of n draws of d_i = right_B − right_A, so its bootstrap
    // standard deviation is sd(d, ddof=0)/√n exactly in expectation.
    const rng = createRng(11);
    const n = 600;
    const labels = new Array<number>(n).fill(0);
    const a = labels.map(() => (rng() < 0.7 ? 0 : 1));
    const b = labels.map(() => (rng() < 0.75 ? 0 : 1));
    const d = a.map((ai, i) => (b[i] === 0 ? 1 : 0) - (ai === 0 ? 1 : 0));
    const m = d.reduce((s, x) => s + x, 0) / n;
    const se = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / n / n);
    const r = pairedBootstrap({ labels, numClasses: 1, baseline: a, candidate: b, keepSamples: true, seed: 5 });
    assert.equal(r.resamples, 2000);
    const sm = r.samples!.reduce((s, x) => s + x, 0) / r.samples!.length;
    const ssd = Math.sqrt(r.samples!.reduce((s, x) => s + (x - sm) ** 2, 0) / (r.samples!.length - 1));
    assert.ok(Math.abs(ssd / se - 1) < 0.08, `bootstrap sd ${ssd} vs theory ${se}`);
    assert.ok(Math.abs(r.difference - m) < 1e-15);
    // Percentile interval ≈ Δ ± 1.96·se for a near-normal distribution.
    assert.ok(Math.abs(r.interval[0] - (m - 1.96 * se)) < 0.25 * se);
    assert.ok(Math.abs(r.interval[1] - (m + 1.96 * se)) < 0.25 * se);
  });

  it('is deterministic per seed, zero for identical models, significant for a clear gain', () => {
    const rng = createRng(2);
    const n = 300;
    const labels = Array.from({ length: n }, () => Math.floor(rng() * 4));
    const weak = labels.map((y) => (rng() < 0.5 ? y : (y + 1) % 4));
    const strong = labels.map((y, i) => (rng() < 0.9 ? y : weak[i]!));
    const opts = { labels, numClasses: 4, baseline: weak, candidate: strong };
    const r1 = pairedBootstrap({ ...opts, seed: 42 });
    const r2 = pairedBootstrap({ ...opts, seed: 42 });
    const r3 = pairedBootstrap({ ...opts, seed: 43 });
    assert.deepEqual(r1.interval, r2.interval);
    assert.notDeepEqual(r1.interval, r3.interval);
    assert.ok(r1.significant && r1.interval[0] > 0 && r1.interval[0] < r1.difference && r1.difference < r1.interval[1]);
    const same = pairedBootstrap({ labels, numClasses: 4, baseline: weak, candidate: weak.slice() });
    assert.deepEqual(same.interval, [0, 0]);
    assert.equal(same.significant, false);
  });

  it('averages seed-matched runs', () => {
    const labels = [0, 0, 1, 1];
    const r = pairedBootstrap({
      labels,
      numClasses: 2,
      baseline: [[0, 0, 0, 0], [0, 1, 1, 1]], // BA 0.5 and 0.75
      candidate: [[0, 0, 1, 1], [0, 0, 1, 0]], // BA 1 and 0.75
      resamples: 50,
    });
    assert.equal(r.baseline, 0.625);
    assert.equal(r.candidate, 0.875);
    assert.equal(r.difference, 0.25);
    assert.throws(() => pairedBootstrap({ labels, numClasses: 2, baseline: [[0, 0, 0, 0]], candidate: [[0, 0, 0, 0], [0, 0, 0, 0]] }), /seed-matched/);
    assert.throws(() => pairedBootstrap({ labels, numClasses: 2, baseline: [0, 0], candidate: [0, 0, 0, 0] }), /2 predictions for 4 test images/);
  });

  it('stratified resampling keeps every class in every resample', () => {
    // The single class-1 image decides everything: the candidate gets it, the baseline does not.
    const labels = [0, 0, 0, 1];
    const opts = { labels, numClasses: 2, baseline: [0, 0, 0, 0], candidate: [0, 0, 0, 1], seed: 1 };
    const strat = pairedBootstrap({ ...opts, stratified: true });
    assert.deepEqual(strat.interval, [0.5, 0.5]);
    // Plain resampling misses image 3 with probability (3/4)^4 ≈ 0.32, giving Δ = 0.
    const plain = pairedBootstrap(opts);
    assert.equal(plain.interval[0], 0);
    assert.equal(plain.significant, false);
  });

  it('percentiles interpolate linearly like numpy', () => {
    assert.equal(percentileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(percentileSorted([1, 2, 3, 4], 0.025), 1.075);
    assert.equal(percentileSorted([7], 0.975), 7);
  });

  it('2,000 resamples of 10,000 images × 3 seeds take well under the test budget', () => {
    const rng = createRng(9);
    const n = 10_000;
    const labels = Int32Array.from({ length: n }, () => Math.floor(rng() * 10));
    const runs = () => [0, 1, 2].map(() => Int32Array.from(labels, (y) => (rng() < 0.8 ? y : (y + 1) % 10)));
    const t0 = performance.now();
    pairedBootstrap({ labels, numClasses: 10, baseline: runs(), candidate: runs() });
    assert.ok(performance.now() - t0 < 15_000); // 1.5 s measured on a 2-core machine at load average 15; generous margin
  });
});

describe('ranking with ties', () => {
  it('ties entries that are not significantly different from their group leader', () => {
    const sig = new Set(['A|C', 'A|D', 'C|D']);
    const ranked = rankWithTies(
      [
        { key: 'D', score: 0.6 },
        { key: 'B', score: 0.85 },
        { key: 'A', score: 0.9 },
        { key: 'C', score: 0.84 },
      ],
      (better, worse) => sig.has(`${better}|${worse}`),
    );
    assert.deepEqual(ranked.map((r) => [r.key, r.rank]), [['A', 1], ['B', 1], ['C', 3], ['D', 4]]);
    assert.deepEqual(ranked[0]!.tiedWith, ['A', 'B']);
    assert.deepEqual(ranked[3]!.tiedWith, ['D']);
  });

  it('orders lower-is-better metrics ascending and rejects duplicates', () => {
    const ranked = rankWithTies([{ key: 'x', score: 0.2 }, { key: 'y', score: 0.1 }], () => true, { higherIsBetter: false });
    assert.deepEqual(ranked.map((r) => [r.key, r.rank]), [['y', 1], ['x', 2]]);
    assert.throws(() => rankWithTies([{ key: 'x', score: 1 }, { key: 'x', score: 2 }], () => true), /duplicate/);
  });

  it('ranks losses from their predictions with the paired bootstrap', () => {
    const rng = createRng(4);
    const n = 400;
    const labels = Array.from({ length: n }, () => Math.floor(rng() * 3));
    const model = (acc: number) => labels.map((y) => (rng() < acc ? y : (y + 1) % 3));
    const good = model(0.9);
    const { ranking, comparisons } = rankByPairedBootstrap({
      labels,
      numClasses: 3,
      predictionsByKey: { ce: [model(0.6)], focal: [good], ldam: [good.map((p, i) => (i === 0 ? (p + 1) % 3 : p))] },
      resamples: 500,
    });
    const rankOf = Object.fromEntries(ranking.map((r) => [r.key, r.rank]));
    assert.equal(rankOf.focal, 1);
    assert.equal(rankOf.ldam, 1);
    assert.equal(rankOf.ce, 3);
    assert.ok(comparisons.size >= 2);
  });
});
