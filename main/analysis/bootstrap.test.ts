import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairedBootstrap } from '../stats/paired';
import { createRng, randomInt } from '../util/random';
import { PairedBootstrap, pairedBalancedAccuracyBootstrap } from './bootstrap';

function randomPredictions(labels: Int32Array, numClasses: number, skill: number, seed: number): Int32Array {
  const rng = createRng(seed);
  return labels.map((y) => (rng() < skill ? y : randomInt(rng, numClasses)));
}

describe('paired bootstrap of Δ balanced accuracy', () => {
  it('reproduces stats/paired.ts pairedBootstrap draw for draw (1 and 3 seed-matched runs)', () => {
    const rng = createRng(11);
    // Small and unbalanced, so that some resamples miss a class entirely.
    const labels = Int32Array.from({ length: 37 }, (_, i) => (i < 25 ? 0 : i < 33 ? 1 : i < 36 ? 2 : 3));
    for (const runs of [1, 3]) {
      const base = Array.from({ length: runs }, (_, r) => randomPredictions(labels, 4, 0.6, 100 + r));
      const cand = Array.from({ length: runs }, (_, r) => randomPredictions(labels, 4, 0.75, 200 + r));
      const seed = randomInt(rng, 1000);
      const reference = pairedBootstrap({ labels, numClasses: 4, baseline: base, candidate: cand, resamples: 3000, seed, keepSamples: true });
      const ours = pairedBalancedAccuracyBootstrap({ labels, numClasses: 4, baseline: base, candidate: cand, resamples: 3000, seed, level: 0.95 });
      assert.ok(Math.abs(ours.difference - reference.difference) < 1e-12, `difference ${ours.difference} vs ${reference.difference}`);
      assert.ok(Math.abs(ours.baseline - reference.baseline) < 1e-12);
      assert.ok(Math.abs(ours.candidate - reference.candidate) < 1e-12);
      assert.ok(Math.abs(ours.interval[0] - reference.interval[0]) < 1e-12, `lower ${ours.interval[0]} vs ${reference.interval[0]}`);
      assert.ok(Math.abs(ours.interval[1] - reference.interval[1]) < 1e-12, `upper ${ours.interval[1]} vs ${reference.interval[1]}`);
      assert.equal(ours.significant, reference.significant);
    }
  });

  it('has the hand-computed distribution on two images', () => {
    // Two images of one class; the baseline misses image 0, the candidate gets both. A resample
    // of two draws holds image 0 k times (k ~ Binomial(2, 1/2)), so Δ = k/2 is 0, 0.5 or 1
    // with probabilities 1/4, 1/2, 1/4.
    const labels = [0, 0];
    const boot = new PairedBootstrap(labels, 2, 8000, 3, 0.95);
    boot.addColumn('base', [[1, 0]]);
    boot.addColumn('cand', [[0, 0]]);
    const r = boot.compare('cand', 'base');
    assert.equal(r.difference, 0.5);
    assert.equal(r.baseline, 0.5);
    assert.equal(r.candidate, 1);
    assert.deepEqual(r.interval, [0, 1]);
    assert.equal(r.significant, false, 'an interval that reaches 0 is not significant');
    const ref = pairedBootstrap({ labels, numClasses: 2, baseline: [1, 0], candidate: [0, 0], resamples: 8000, seed: 3, keepSamples: true });
    const freq = (v: number) => ref.samples!.filter((s) => s === v).length / 8000;
    assert.ok(Math.abs(freq(0) - 0.25) < 0.02 && Math.abs(freq(0.5) - 0.5) < 0.02 && Math.abs(freq(1) - 0.25) < 0.02, `${freq(0)} ${freq(0.5)} ${freq(1)}`);
  });

  it('averages per-seed differences of balanced accuracy (hand-computed)', () => {
    // Classes 0 (4 images) and 1 (2 images).
    const labels = [0, 0, 0, 0, 1, 1];
    // Seed 1: baseline recall (2/4, 0/2) → BA 0.25; candidate (3/4, 1/2) → 0.625. Δ1 = 0.375.
    // Seed 2: baseline (4/4, 1/2) → 0.75;          candidate (4/4, 2/2) → 1.    Δ2 = 0.25.
    const base = [[0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 0]];
    const cand = [[0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 1, 1]];
    const r = pairedBalancedAccuracyBootstrap({ labels, numClasses: 2, baseline: base, candidate: cand, resamples: 200, seed: 0, level: 0.95 });
    assert.ok(Math.abs(r.difference - 0.3125) < 1e-15, String(r.difference));
    assert.ok(Math.abs(r.baseline - 0.5) < 1e-15);
    assert.ok(Math.abs(r.candidate - 0.8125) < 1e-15);
  });

  it('gives exactly zero for identical rows and a significant interval for a uniformly better one', () => {
    const labels = Int32Array.from({ length: 300 }, (_, i) => i % 3);
    const base = [randomPredictions(labels, 3, 0.5, 1), randomPredictions(labels, 3, 0.5, 2)];
    const same = pairedBalancedAccuracyBootstrap({ labels, numClasses: 3, baseline: base, candidate: base, resamples: 500, seed: 9, level: 0.95 });
    assert.deepEqual([same.difference, ...same.interval], [0, 0, 0]);
    assert.equal(same.significant, false);
    const perfect = [Array.from(labels), Array.from(labels)];
    const better = pairedBalancedAccuracyBootstrap({ labels, numClasses: 3, baseline: base, candidate: perfect, resamples: 500, seed: 9, level: 0.95 });
    assert.ok(better.interval[0] > 0 && better.significant);
  });

  it('reuses resamples across comparisons and refuses mismatched seeds', () => {
    const labels = Int32Array.from({ length: 50 }, (_, i) => i % 2);
    const boot = new PairedBootstrap(labels, 2, 300, 1, 0.9);
    const a = boot.addColumn('a', [randomPredictions(labels, 2, 0.7, 1)]);
    const b = boot.addColumn('b', [randomPredictions(labels, 2, 0.6, 2)]);
    const first = boot.compare(a, b);
    // A column added after the first comparison sees the very same resamples.
    const c = boot.addColumn('c', [randomPredictions(labels, 2, 0.6, 2)]);
    assert.deepEqual(boot.compare(a, c).interval, first.interval);
    const two = boot.addColumn('two', [labels, labels]);
    assert.throws(() => boot.compare(two, a), /seed-matched/);
    assert.throws(() => new PairedBootstrap([0, 5], 2, 10, 0, 0.95), /label/);
  });
});
