import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurationEstimator, formatDuration } from './estimate';

describe('sweep duration estimate', () => {
  // Two settings: 4 runs of 10 epochs on 1,000 images, then 4 runs on 100 images; 2 at a time.
  const settings = [
    { runs: 4, trainImages: 1000, epochs: 10, parallel: 2 },
    { runs: 4, trainImages: 100, epochs: 10, parallel: 2 },
  ];

  it('knows nothing before the first epoch, then scales the first epochs by each setting\'s images', () => {
    const e = new DurationEstimator(settings);
    assert.deepEqual(e.estimate(), { remainingSeconds: null, basis: 'none', runsLeft: 8 });
    // Two runs' first epochs: 2 s each for 1,000 images → 0.002 s per image-epoch.
    e.observeEpoch(0, 2);
    e.observeEpoch(0, 2);
    const est = e.estimate();
    assert.equal(est.basis, 'epochs');
    // Left: setting 1 has 4·10·1000 − 2·1000 = 38,000 image-epochs over 2 workers; setting 2 4,000 over 2.
    assert.ok(Math.abs(est.remainingSeconds! - (38_000 * 0.002) / 2 - (4_000 * 0.002) / 2) < 1e-9);
  });

  it('once runs finish, their whole time replaces the epoch figure', () => {
    const e = new DurationEstimator(settings);
    for (let k = 0; k < 10; k++) e.observeEpoch(0, 2);
    e.observeRun(0, 25); // 25 s for 10 epochs of 1,000 images: 0.0025 s per image-epoch
    const est = e.estimate();
    assert.equal(est.basis, 'runs');
    assert.equal(est.runsLeft, 7);
    assert.ok(Math.abs(est.remainingSeconds! - (30_000 * 0.0025) / 2 - (4_000 * 0.0025) / 2) < 1e-9);
    // Runs finished before a resume count as done but measure nothing.
    const resumed = new DurationEstimator(settings);
    for (let k = 0; k < 4; k++) resumed.observeRun(0, null);
    assert.deepEqual(resumed.estimate(), { remainingSeconds: null, basis: 'none', runsLeft: 4 });
  });

  it('reads as a person says it', () => {
    assert.deepEqual([formatDuration(0.2), formatDuration(45), formatDuration(720), formatDuration(3 * 3600 + 20 * 60)], ['1 s', '45 s', '12 min', '3 h 20 min']);
  });
});
