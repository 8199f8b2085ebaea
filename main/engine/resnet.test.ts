import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { modelSchema } from '../experiment/config';
import { initWasmAndCpu } from './backends/kernel-test-support';
import { buildNetwork, disposeNetwork, exportableModel, forwardLogits } from './model';
import { networkStats } from './network-stats';
import { optionAKernel } from './resnet';

before(async () => {
  await initWasmAndCpu();
  assert.ok(await tf.setBackend('wasm'));
});

const resnet = (depth: number, width = 16) => modelSchema.parse({ family: 'resnet', depth, width });

test('ResNet-20/32/56 have the parameter counts of He et al. (2016), table 6', () => {
  // Conv and batch-norm scale/shift plus a 64→10 dense layer; option-A shortcuts add none.
  const expected: Record<number, number> = { 20: 269_722, 32: 464_154, 56: 853_018 };
  for (const depth of [20, 32, 56]) {
    const network = buildNetwork(resnet(depth), { imageSize: 32, channels: 3 }, 10, 1);
    const stats = networkStats(network);
    assert.equal(stats.trainableParams, expected[depth], `ResNet-${depth}`);
    // Paper: 0.27M, 0.46M, 0.85M.
    assert.equal(Math.round(stats.trainableParams / 1e4) / 100, { 20: 0.27, 32: 0.46, 56: 0.85 }[depth]);
    disposeNetwork(network);
  }
});

test('ResNet-20 costs 2 × 40.6M multiply-accumulates per 32 px image, the figure usually quoted (41M)', () => {
  const network = buildNetwork(resnet(20), { imageSize: 32, channels: 3 }, 10, 1);
  const { flopsPerImage } = networkStats(network);
  // 3×3 convs: 0.44M + 3·2·2.36M + (1.18M + 5·2.36M) + (1.18M + 5·2.36M); shortcuts 16·32·256 + 32·64·64; dense 640.
  const macs = 16 * 3 * 9 * 1024 + 6 * 16 * 16 * 9 * 1024 + (16 * 32 * 9 * 256 + 5 * 32 * 32 * 9 * 256) + (32 * 64 * 9 * 64 + 5 * 64 * 64 * 9 * 64) + 16 * 32 * 256 + 32 * 64 * 64 + 640;
  assert.equal(flopsPerImage, 2 * macs);
  disposeNetwork(network);
});

test('width scales every stage and the head', () => {
  const network = buildNetwork(resnet(20, 8), { imageSize: 16, channels: 1 }, 3, 1);
  assert.equal(network.featureSize, 32);
  const logits = tf.tidy(() => forwardLogits(network, tf.zeros([2, 16, 16, 1]), false));
  assert.deepEqual(logits.shape, [2, 3]);
  logits.dispose();
  disposeNetwork(network);
});

test('an option-A shortcut takes every second pixel and pads channels with zeros on both sides', () => {
  const kernel = optionAKernel(2, 4);
  const x = tf.tensor4d(Array.from({ length: 1 * 4 * 4 * 2 }, (_, i) => i + 1), [1, 4, 4, 2]);
  const y = tf.conv2d(x, kernel, 2, 'valid');
  const values = y.arraySync()[0]!;
  // Output pixel (r, c) is input pixel (2r, 2c); channels 0 and 3 are the zero padding.
  const input = x.arraySync()[0]!;
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      assert.deepEqual(values[r]![c], [0, input[2 * r]![2 * c]![0], input[2 * r]![2 * c]![1], 0]);
    }
  }
  tf.dispose([kernel, x, y]);
});

test('the same seed gives the same initial weights; the shortcut kernels are frozen', () => {
  const a = buildNetwork(resnet(20, 4), { imageSize: 8, channels: 1 }, 3, 7);
  const b = buildNetwork(resnet(20, 4), { imageSize: 8, channels: 1 }, 3, 7);
  const c = buildNetwork(resnet(20, 4), { imageSize: 8, channels: 1 }, 3, 8);
  const values = (n: typeof a) => [...n.features.getWeights(), ...n.head.getWeights()].map((w) => Array.from(w.dataSync()));
  assert.deepEqual(values(a), values(b));
  assert.notDeepEqual(values(a), values(c));
  const frozen = a.features.nonTrainableWeights.map((w) => w.name).filter((name) => name.includes('shortcut'));
  assert.equal(frozen.length, 2, `two frozen shortcut kernels: ${frozen.join(', ')}`);
  assert.ok(a.features.trainableWeights.every((w) => !w.name.includes('shortcut')));
  [a, b, c].forEach(disposeNetwork);
});

test('a training step on wasm matches the cpu backend, and the shortcut kernels do not move', async () => {
  const step = async (backend: string) => {
    await tf.setBackend(backend);
    const network = buildNetwork(resnet(20, 4), { imageSize: 8, channels: 3 }, 3, 5);
    const shortcutBefore = network.features.nonTrainableWeights.filter((w) => w.name.includes('shortcut')).map((w) => Array.from(w.read().dataSync()));
    const variables = [...network.features.trainableWeights, ...network.head.trainableWeights].map((w) => (w as unknown as { val: tf.Variable }).val);
    const optimizer = tf.train.momentum(0.1, 0.9);
    const x = tf.tensor4d(Array.from({ length: 6 * 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.37)), [6, 8, 8, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
    const losses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forwardLogits(network, x, true)) as tf.Scalar, true, variables);
      losses.push(loss!.dataSync()[0]!);
      loss!.dispose();
    }
    const shortcutAfter = network.features.nonTrainableWeights.filter((w) => w.name.includes('shortcut')).map((w) => Array.from(w.read().dataSync()));
    const weights = network.features.getWeights().map((w) => Array.from(w.dataSync()));
    tf.dispose([x, y]);
    optimizer.dispose();
    disposeNetwork(network);
    return { losses, weights, shortcutBefore, shortcutAfter };
  };
  const cpu = await step('cpu');
  const wasm = await step('wasm');
  assert.deepEqual(wasm.shortcutAfter, wasm.shortcutBefore);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(wasm.losses[i]! - cpu.losses[i]!) < 1e-4 * Math.abs(cpu.losses[i]!), `loss ${i}: ${wasm.losses[i]} vs ${cpu.losses[i]}`);
  let worst = 0;
  cpu.weights.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - wasm.weights[i]![j]!) / (Math.abs(v) + 1e-3)))));
  assert.ok(worst < 1e-3, `weights agree (worst relative difference ${worst})`);
});

test('a saved ResNet loads in stock TensorFlow.js and gives the same logits', async () => {
  const network = buildNetwork(resnet(20, 4), { imageSize: 8, channels: 3 }, 3, 2);
  const x = tf.tensor4d(Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.cos(i)), [2, 8, 8, 3]);
  const expected = tf.tidy(() => forwardLogits(network, x, false));
  let artifacts: tf.io.ModelArtifacts | null = null;
  await exportableModel(network).save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
  const actual = loaded.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(actual.dataSync()).map((v) => v.toFixed(5)), Array.from(expected.dataSync()).map((v) => v.toFixed(5)));
  tf.dispose([x, expected, actual]);
  loaded.dispose();
  disposeNetwork(network);
});
