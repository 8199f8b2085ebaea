import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng, deriveSeed, shuffleInPlace } from './random';

test('the same seed gives the same stream; restoring the state continues it', () => {
  const a = createRng(42);
  const b = createRng(42);
  const first = [a(), a(), a()];
  assert.deepEqual(first, [b(), b(), b()]);
  const saved = a.state;
  const next = [a(), a()];
  const resumed = createRng(0);
  resumed.state = saved;
  assert.deepEqual([resumed(), resumed()], next);
  assert.ok(first.every((v) => v >= 0 && v < 1));
});

test('derived seeds differ by purpose and shuffles are permutations', () => {
  assert.notEqual(deriveSeed(1, 'split'), deriveSeed(1, 'order'));
  assert.equal(deriveSeed(1, 'split'), deriveSeed(1, 'split'));
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = shuffleInPlace([...items], createRng(3));
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual([...shuffled].sort((x, y) => x - y), items);
});
