import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainingSchema } from '../experiment/config';
import { learningRateAt } from './schedule';

test('cosine starts at the base rate, halves midway and ends at zero', () => {
  const training = trainingSchema.parse({ learningRate: 0.1, schedule: 'cosine' });
  assert.equal(learningRateAt(training, 0, 100), 0.1);
  assert.ok(Math.abs(learningRateAt(training, 50, 100) - 0.05) < 1e-12);
  assert.ok(learningRateAt(training, 100, 100) < 1e-12);
});

test('step divides by ten at half and three quarters of training', () => {
  const training = trainingSchema.parse({ learningRate: 1, schedule: 'step' });
  assert.equal(learningRateAt(training, 49, 100), 1);
  assert.ok(Math.abs(learningRateAt(training, 50, 100) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRateAt(training, 80, 100) - 0.01) < 1e-12);
  assert.equal(learningRateAt(trainingSchema.parse({ learningRate: 1, schedule: 'constant' }), 99, 100), 1);
});
