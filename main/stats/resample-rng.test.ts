import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createRng, randomInt } from '../util/random';
import { createIndexSampler } from './resample-rng';

it('draws the same indices as util/random for the same seed', () => {
  for (const seed of [0, 1, 42, 0xffffffff, 123456789]) {
    const shared = createRng(seed);
    const fast = createIndexSampler(seed);
    for (let i = 0; i < 5000; i++) {
      const n = 1 + (i % 997);
      assert.equal(fast(n), randomInt(shared, n), `seed ${seed}, draw ${i}`);
    }
  }
});
