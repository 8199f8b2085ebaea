import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExperimentConfig } from '../../main/experiment/config';
import { startExperiment } from '../../main/experiment/run-experiment';
import { temporaryDir, writeMnistFolder } from '../fixtures/mnist-folder';

// The product's claim in one test: on a long-tailed training set, a class-prior-aware loss
// trained by the real engine beats plain cross-entropy on balanced accuracy, same seed, same data.
test('balanced softmax and logit adjustment beat cross-entropy on a long tail (CNN, same seed)', async (t) => {
  const data = await writeMnistFolder(temporaryDir('long-tail'), { digits: [0, 1, 2, 3, 4, 5], perClass: 70 });
  const config = parseExperimentConfig({
    data,
    imageSize: 16,
    imbalance: { kind: 'exp', ratio: 25 },
    losses: [{ id: 'ce' }, { id: 'balanced-softmax' }, { id: 'logit-adjusted' }],
    seeds: [1],
    model: { width: 8, depth: 2 },
    training: { epochs: 12, batchSize: 16, learningRate: 0.004 },
    backend: 'wasm',
  });
  const { results } = await startExperiment(config).done;
  const balanced = Object.fromEntries(results.runs.map((r) => [r.loss, r.metrics!.balancedAccuracy]));
  t.diagnostic(`balanced accuracy on the long tail: ${JSON.stringify(balanced)}`);
  assert.ok(results.dataset.imbalanceRatio >= 20, `ratio ${results.dataset.imbalanceRatio}`);
  assert.ok(
    Math.max(balanced['balanced-softmax']!, balanced['logit-adjusted']!) > balanced.ce!,
    `balanced accuracy: ${JSON.stringify(balanced)}`,
  );
});
