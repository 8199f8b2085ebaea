import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng, shuffleInPlace } from '../util/random';
import { classQuotas, epochOrder, positionsByClass, quotaEpochOrder, samplerProbabilities } from './samplers';

const COUNTS = [100, 36, 9, 4, 1];
const N = 150;

function groupsOf(counts: number[]): number[][] {
  let next = 0;
  return counts.map((n) => Array.from({ length: n }, () => next++));
}

function classOf(groups: number[][]): Map<number, number> {
  return new Map(groups.flatMap((g, c) => g.map((item) => [item, c] as [number, number])));
}

function drawnPerClass(order: number[], groups: number[][]): number[] {
  const cls = classOf(groups);
  const drawn = groups.map(() => 0);
  for (const item of order) drawn[cls.get(item)!]! += 1;
  return drawn;
}

test('class probabilities: instance n/N, class-balanced 1/C, sqrt √n/Σ√n, progressive interpolates by t/T', () => {
  assert.deepEqual(samplerProbabilities('instance', COUNTS, 0, 10), COUNTS.map((n) => n / N));
  assert.deepEqual(samplerProbabilities('class-balanced', COUNTS, 0, 10), [0.2, 0.2, 0.2, 0.2, 0.2]);
  assert.deepEqual(samplerProbabilities('sqrt', COUNTS, 0, 10), [10, 6, 3, 2, 1].map((r) => r / 22));
  const p = samplerProbabilities('progressive', COUNTS, 4, 10);
  COUNTS.forEach((n, j) => assert.ok(Math.abs(p[j]! - (0.6 * (n / N) + 0.4 * 0.2)) < 1e-15));
  assert.deepEqual(samplerProbabilities('progressive', COUNTS, 0, 10), samplerProbabilities('instance', COUNTS, 0, 10));
  // A class without images is never drawn.
  assert.deepEqual(samplerProbabilities('class-balanced', [5, 0, 5], 0, 1), [0.5, 0, 0.5]);
});

test('quotas add up to the epoch and round by largest remainder, ties to the lower class', () => {
  assert.deepEqual(classQuotas([0.2, 0.2, 0.2, 0.2, 0.2], 150), [30, 30, 30, 30, 30]);
  assert.deepEqual(classQuotas([10 / 22, 6 / 22, 3 / 22, 2 / 22, 1 / 22], 150), [68, 41, 20, 14, 7]);
  assert.deepEqual(classQuotas([1 / 3, 1 / 3, 1 / 3], 10), [4, 3, 3]);
  assert.deepEqual(classQuotas([0.5, 0, 0.5], 3), [2, 0, 1]);
});

test('each sampler draws exactly its class quotas per epoch (seeded)', () => {
  const groups = groupsOf(COUNTS);
  const expected: Record<string, number[]> = {
    'class-balanced': [30, 30, 30, 30, 30],
    sqrt: [68, 41, 20, 14, 7],
  };
  for (const [sampler, quotas] of Object.entries(expected)) {
    const order = epochOrder(sampler as 'sqrt', groups.flat(), groups, 0, 10, createRng(7));
    assert.equal(order.length, N);
    assert.deepEqual(drawnPerClass(order, groups), quotas, sampler);
  }
  // Progressive at t = 5 of 10: half instance, half balanced: 50+15, 18+15, 4.5+15, 2+15, 0.5+15.
  const progressive = epochOrder('progressive', groups.flat(), groups, 5, 10, createRng(7));
  assert.deepEqual(drawnPerClass(progressive, groups), [65, 33, 20, 17, 15]);
});

test('instance sampling is the shuffle training always did, on the same stream', () => {
  const groups = groupsOf(COUNTS);
  const a = groups.flat();
  const b = groups.flat();
  const rngA = createRng(11);
  const rngB = createRng(11);
  assert.deepEqual(epochOrder('instance', a, groups, 3, 10, rngA), shuffleInPlace(b, rngB));
  assert.equal(rngA.state, rngB.state);
});

test('within a class, no image repeats before every image of the class was drawn', () => {
  const groups = groupsOf([3, 2]);
  const order = quotaEpochOrder(groups, [3, 7], createRng(5));
  const second = order.filter((i) => i >= 3).map((i) => i - 3);
  // 7 draws from 2 images: each appears 3 or 4 times, never 5 and 2.
  const counts = [0, 1].map((k) => second.filter((x) => x === k).length).sort();
  assert.deepEqual(counts, [3, 4]);
  assert.deepEqual(order.filter((i) => i < 3).sort(), [0, 1, 2]);
});

test('same seed, same order; another seed, another order', () => {
  const groups = groupsOf(COUNTS);
  const run = (seed: number) => epochOrder('class-balanced', groups.flat(), groups, 0, 1, createRng(seed));
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

test('positionsByClass groups positions by label', () => {
  assert.deepEqual(positionsByClass([1, 0, 1, 2], 4), [[1], [0, 2], [3], []]);
});
