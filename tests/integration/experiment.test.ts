import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, test } from 'node:test';
import { parseExperimentConfig, type ExperimentConfigInput } from '../../main/experiment/config';
import { startExperiment } from '../../main/experiment/run-experiment';
import { temporaryDir, writeMnistFolder } from '../fixtures/mnist-folder';

let data = '';

before(async () => {
  data = await writeMnistFolder(temporaryDir('mnist4'), { digits: [0, 1, 2, 3], perClass: 60 });
});

function config(overrides: Partial<ExperimentConfigInput> = {}) {
  return parseExperimentConfig({
    data,
    imageSize: 28,
    losses: [{ id: 'ce' }, { id: 'weighted-ce' }, { id: 'focal' }],
    seeds: [1],
    model: { width: 8, depth: 2 },
    training: { epochs: 6, batchSize: 32, learningRate: 0.005 },
    backend: 'wasm',
    workers: 2,
    ...overrides,
  });
}

test('three losses train on real digits, learn, and report complete metrics', async () => {
  const output = await startExperiment(config()).done;
  const { results } = output;
  assert.deepEqual(results.classes, ['digit-0', 'digit-1', 'digit-2', 'digit-3']);
  assert.equal(results.backend?.name, 'wasm');
  const testSize = results.testItems.length;
  assert.equal(testSize, results.dataset.counts.test.reduce((a, b) => a + b, 0));
  assert.equal(results.runs.length, 3);
  for (const run of results.runs) {
    assert.equal(run.status, 'done', `${run.runId}: ${run.error ?? ''}`);
    const metrics = run.metrics!;
    // Chance is 0.25 on four balanced classes.
    assert.ok(metrics.accuracy > 0.6, `${run.runId} accuracy ${metrics.accuracy}`);
    const total = run.confusion!.flat().reduce((a, b) => a + b, 0);
    assert.equal(total, testSize, 'the confusion matrix counts every test image once');
    assert.equal(run.confusion!.length, 4);
    assert.equal(run.history!.length, 6);
    const tensors = run.history!.map((h) => h.numTensors);
    assert.ok(tensors.every((n) => n === tensors[0]), `tensor count must stay flat across epochs: ${tensors.join(',')}`);
    assert.ok(run.imagesPerSecond! > 0);
    assert.equal(output.logits.get(run.runId)!.test.length, testSize * 4);
  }
  assert.equal(results.summary.length, 3);
  assert.equal(results.summary[0]!.metrics.accuracy.n, 1);
  assert.equal(results.summary[0]!.metrics.accuracy.ci95, null, 'one seed has no interval');
});

test('the same seed gives the same numbers; another seed gives other numbers', async () => {
  const single = { losses: [{ id: 'ce' }], training: { epochs: 3, batchSize: 32, learningRate: 0.005 } };
  const first = await startExperiment(config({ ...single, seeds: [1, 2] })).done;
  const again = await startExperiment(config({ ...single, seeds: [1] })).done;
  const [a1, a2] = first.results.runs;
  const [b1] = again.results.runs;
  assert.deepEqual(b1!.metrics, a1!.metrics);
  assert.deepEqual(Array.from(again.logits.get(b1!.runId)!.test), Array.from(first.logits.get(a1!.runId)!.test));
  assert.notDeepEqual(Array.from(first.logits.get(a2!.runId)!.test), Array.from(first.logits.get(a1!.runId)!.test));
  const summary = first.results.summary[0]!;
  assert.equal(summary.metrics.accuracy.n, 2);
  assert.ok(summary.metrics.accuracy.ci95 !== null);
});

test('cancelling an experiment stops its runs and reports them as cancelled', async () => {
  let cancelled = false;
  const experiment = startExperiment(config({ losses: [{ id: 'ce' }, { id: 'focal' }], training: { epochs: 500, batchSize: 32 }, workers: 1 }), {
    events: {
      onBatch: () => {
        if (!cancelled) {
          cancelled = true;
          experiment.cancel();
        }
      },
    },
  });
  const { results } = await experiment.done;
  assert.deepEqual(
    results.runs.map((r) => r.status),
    ['cancelled', 'cancelled'],
    'the running run stops and the queued one never starts',
  );
  assert.equal(results.summary.length, 0);
});

test('pixels larger than the memory LossLab allows itself are read from a pixel file: the same numbers, and no file left', async () => {
  const single = { losses: [{ id: 'ce' }, { id: 'focal' }], training: { epochs: 2, batchSize: 32, learningRate: 0.005, augment: { flip: true, crop: true } } };
  const cacheDir = temporaryDir('stream-cache');
  const inMemory = await startExperiment(config(single), { cacheDir }).done;
  const previous = process.env.LOSSLAB_PIXEL_MEMORY_MB;
  process.env.LOSSLAB_PIXEL_MEMORY_MB = '0.01'; // 10 KB: 240 digits of 28×28 need 188 KB
  let pixelFiles: string[] = [];
  let streamed;
  try {
    const running = startExperiment(config(single), { cacheDir, events: { onDatasetLoaded: () => (pixelFiles = fs.readdirSync(cacheDir).filter((name) => name.startsWith('losslab-pixels-'))) } });
    streamed = await running.done;
  } finally {
    if (previous === undefined) delete process.env.LOSSLAB_PIXEL_MEMORY_MB;
    else process.env.LOSSLAB_PIXEL_MEMORY_MB = previous;
  }
  assert.equal(pixelFiles.length, 1, 'the pixels were in a pixel file beside the cache while the runs trained');
  const numbers = (output: typeof inMemory) => output.results.runs.map((run) => [run.runId, run.metrics, run.history!.map((h) => [h.trainLoss, h.valBalancedAccuracy])]);
  assert.deepEqual(numbers(streamed), numbers(inMemory));
  assert.deepEqual(streamed.results.dataset.counts, inMemory.results.dataset.counts);
  assert.deepEqual(fs.readdirSync(cacheDir).filter((name) => name.startsWith('losslab-pixels-')), [], 'the pixel file is removed once the runs have settled');
});
