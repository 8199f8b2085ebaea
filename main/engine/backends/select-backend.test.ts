import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs-core's gradient functions (core's CommonJS build does not), as the app does.
import '@tensorflow/tfjs-layers';
import { listBackends, selectBackend, type BackendRequest } from './select-backend';
import { wasmTrainingKernelsRegistered } from './wasm-training-kernels';

// The native packages are optional; on the build machines they cannot install. Expectations
// that depend on them follow what listBackends reports, so the file passes either way.
let nativeAvailable = false;

test('listBackends reports every rung of the ladder', async () => {
  const list = await listBackends();
  const names = list.map((b) => b.name);
  // The ladder's order; other rungs (e.g. a GPU backend) may sit between or after these.
  const ladder = ['tensorflow', 'wasm', 'cpu'].map((name) => names.indexOf(name));
  assert.ok(ladder.every((i, k) => i >= 0 && (k === 0 || i > ladder[k - 1])), `ladder order in ${names}`);
  const byName = Object.fromEntries(list.map((b) => [b.name, b]));
  assert.equal(byName.wasm.available, true, `wasm: ${byName.wasm.reason}`);
  assert.equal(byName.cpu.available, true);
  nativeAvailable = byName.tensorflow.available;
  if (!nativeAvailable) {
    assert.match(byName.tensorflow.reason ?? '', /@tensorflow\/tfjs-node(-gpu)? is not installed|failed to load/);
  }
});

test("'auto' picks the fastest available backend (wasm here) with the training kernels", async () => {
  const info = await selectBackend('auto');
  assert.equal(info.requested, 'auto');
  assert.equal(tf.getBackend(), info.name);
  if (nativeAvailable) {
    assert.equal(info.name, 'tensorflow');
    return;
  }
  assert.equal(info.name, 'wasm');
  assert.equal(info.package, '@tensorflow/tfjs-backend-wasm');
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  // Both native packages were tried first and their absence recorded, silently.
  assert.ok(info.notes.some((n) => n.includes('@tensorflow/tfjs-node-gpu')));
  assert.ok(info.notes.some((n) => n.includes('@tensorflow/tfjs-node ') || n.includes("@tensorflow/tfjs-node is")));
  assert.ok(info.notes.some((n) => n.startsWith('using @tensorflow/tfjs-backend-wasm')));
  assert.ok(wasmTrainingKernelsRegistered());
});

test("explicit 'wasm' and 'cpu' requests switch backends and can train a conv layer", async () => {
  for (const requested of ['wasm', 'cpu', 'wasm'] as const) {
    const info = await selectBackend(requested);
    assert.equal(info.name, requested);
    assert.equal(info.requested, requested);
    assert.equal(tf.getBackend(), requested);
    // Conv2DBackpropFilter is the kernel stock wasm lacks: a gradient must now work.
    const grad = tf.tidy(() => {
      const x = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
      const g = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'same')));
      return tf.sum(g(tf.ones([3, 3, 2, 4]))).dataSync()[0];
    });
    // Each of the 3x3x2x4 weights sees the 5x5 image minus the padded border.
    assert.equal(grad, 4 * 2 * (25 * 9 - 2 * 5 * 3 * 2 + 4));
  }
});

test("an unavailable 'tensorflow' request fails with advice", async (t) => {
  if (nativeAvailable) {
    t.skip('a native TensorFlow package is installed here');
    return;
  }
  const active = tf.getBackend();
  await assert.rejects(selectBackend('tensorflow'), (error: Error) => {
    assert.match(error.message, /npm install @tensorflow\/tfjs-node/);
    assert.match(error.message, /'wasm'/);
    assert.match(error.message, /not installed/);
    return true;
  });
  assert.equal(tf.getBackend(), active, 'a failed request leaves the active backend alone');
});

test('an unknown request is rejected', async () => {
  await assert.rejects(selectBackend('gpu' as BackendRequest), /Unknown backend 'gpu'/);
});
