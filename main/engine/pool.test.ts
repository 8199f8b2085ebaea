import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadsPerWorker } from './pool';

test('threadsPerWorker shares the cores in whole threads among the workers still training, at least one each', () => {
  assert.equal(threadsPerWorker(8, 8), 1);
  assert.equal(threadsPerWorker(8, 3), 2);
  assert.equal(threadsPerWorker(8, 1), 8);
  assert.equal(threadsPerWorker(2, 1), 2);
  assert.equal(threadsPerWorker(2, 3), 1); // more workers than cores: never below one
  assert.equal(threadsPerWorker(4, 0), 4);
});
