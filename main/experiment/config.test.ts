import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseExperimentConfig } from './config';

test('a minimal configuration gets every default', () => {
  const config = parseExperimentConfig({ data: '/d', losses: [{ id: 'ce' }] });
  assert.equal(config.imageSize, 32);
  assert.deepEqual(config.seeds, [1]);
  assert.deepEqual(config.imbalance, { kind: 'none' });
  assert.equal(config.training.epochs, 15);
  assert.equal(config.training.optimizer, 'adam');
  assert.deepEqual(config.losses[0], { id: 'ce', params: {} });
  assert.equal(config.backend, 'auto');
});

test('invalid configurations list every problem with its path', () => {
  assert.throws(
    () => parseExperimentConfig({ data: '', losses: [], imbalance: { kind: 'exp', ratio: 0.5 }, training: { epochs: 0 } }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      for (const where of ['data', 'losses', 'imbalance.ratio', 'training.epochs']) assert.match(error.message, new RegExp(where.replace('.', '\\.')));
      return true;
    },
  );
  assert.throws(() => parseExperimentConfig('not an object'), ConfigError);
  assert.throws(() => parseExperimentConfig({ data: '/d', losses: [{ id: 'ce' }], backend: 'cuda' }), /backend/);
});

test('a seed listed twice is refused: its runs would share an id and count twice in the summary', () => {
  assert.throws(() => parseExperimentConfig({ data: '/d', losses: [{ id: 'ce' }], seeds: [1, 2, 1] }), /seeds: repeats a seed/);
});
