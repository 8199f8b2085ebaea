import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFixture } from '../metrics/fixtures/load';
import { sampleStd, summarize, summarizeSample } from './summary';

const ref = readFixture<{ summaries: { values: number[]; mean: number; std: number; ci95: [number, number] }[] }>(
  'main/stats/fixtures/reference.json',
);

describe('summary over seeds', () => {
  it('matches numpy mean, std(ddof=1) and scipy.stats.t.interval', () => {
    for (const r of ref.summaries) {
      const s = summarize(r.values);
      assert.equal(s.n, r.values.length);
      assert.ok(Math.abs(s.mean! - r.mean) < 1e-14);
      assert.ok(Math.abs(s.std! - r.std) < 1e-14);
      assert.ok(Math.abs(s.ci95![0] - r.ci95[0]) < 1e-12, `lower ${s.ci95![0]} vs ${r.ci95[0]}`);
      assert.ok(Math.abs(s.ci95![1] - r.ci95[1]) < 1e-12, `upper ${s.ci95![1]} vs ${r.ci95[1]}`);
    }
  });

  it('works a small example by hand', () => {
    // 0.80, 0.82, 0.84: mean 0.82, s = 0.02, t(0.975, 2) = 4.302653, half-width 4.302653·0.02/√3.
    const s = summarize([0.8, 0.82, 0.84]);
    assert.ok(Math.abs(s.mean! - 0.82) < 1e-15);
    assert.ok(Math.abs(s.std! - 0.02) < 1e-15);
    const half = (4.302652729749464 * 0.02) / Math.sqrt(3);
    assert.ok(Math.abs(s.ci95![1] - (0.82 + half)) < 1e-12);
  });

  it('one seed has a mean but no spread or interval; no seeds has nothing', () => {
    assert.deepEqual(summarize([0.7]), { n: 1, mean: 0.7, std: null, ci95: null });
    assert.deepEqual(summarize([]), { n: 0, mean: null, std: null, ci95: null });
    assert.deepEqual(summarizeSample([0.7]), { n: 1, mean: 0.7, std: null, ci95: null });
    assert.throws(() => summarizeSample([]), /empty/);
  });

  it('skips nulls (a shot group absent in a run) and rejects non-finite values', () => {
    assert.equal(summarize([0.5, null, 0.7, undefined]).n, 2);
    assert.throws(() => summarize([0.5, NaN]), /non-finite/);
    assert.throws(() => sampleStd([1]), /at least 2/);
  });

  it('identical values give a zero-width interval', () => {
    assert.deepEqual(summarize([0.9, 0.9, 0.9]).ci95, [0.9, 0.9]);
  });
});
