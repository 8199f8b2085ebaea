import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initWasmAndCpu, seededValues } from './kernel-test-support';
import { describeNativeKernels, nativeKernels, setNativeKernels } from './native-kernels';
import { batchNormTraining } from '../layers/batch-norm-training';
import { setPatchBudget } from './conv2d-backprop-filter';
import { setWinogradPolicy } from './winograd-conv';
import { setWinogradFilterGradChunkBudget, setWinogradFilterGradPolicy } from './winograd-filter-grad';

const missing = nativeKernels() === null ? `the native kernels are not available here: ${describeNativeKernels()}` : false;

before(async () => {
  await initWasmAndCpu();
  tf.setBackend('wasm');
});

/** Runs `f` with the native kernels on or off, restoring the previous setting. */
function withNative<T>(on: boolean, f: () => T): T {
  const previous = setNativeKernels(on);
  try {
    return f();
  } finally {
    setNativeKernels(previous);
  }
}

/** Runs `f` with the native kernels allowed `threads` threads, then back to one. */
function withThreads<T>(threads: number, f: () => T): T {
  const budget = new Int32Array(new SharedArrayBuffer(4));
  budget[0] = threads;
  nativeKernels()!.shareThreadBudget(budget);
  try {
    return f();
  } finally {
    budget[0] = 1;
  }
}

function sameBits(actual: Float32Array, expected: Float32Array): number {
  let differing = 0;
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) differing++;
  return differing;
}

test('the native GEMM gives the products XNNPACK gives, bit for bit (column tails, long sums, rank 3)', { skip: missing }, () => {
  // Widths with every column tail (16, 8, 4 and single columns) and row counts not a multiple of 4.
  const cases: [number[], number[], boolean, boolean][] = [
    [[16, 3640], [3640, 16], false, false], // Winograd filter gradient: long sums
    [[2048, 16], [16, 16], false, false], // Winograd product: many rows
    [[37, 147], [147, 10], false, false], // a dense head
    [[13, 9], [9, 29], false, false], // 29 = 16 + 8 + 4 + 1
    [[5, 3], [3, 7], false, false],
    [[1, 6, 40], [1, 40, 33], false, false], // rank 3, batch of one
    [[64, 1024], [64, 10], true, false], // a dense layer's weight gradient: transposed first, then native
    [[64, 10], [1024, 10], false, true],
  ];
  for (const [aShape, bShape, ta, tb] of cases) {
    const a = tf.tensor(seededValues(tf.util.sizeFromShape(aShape), 11), aShape);
    const b = tf.tensor(seededValues(tf.util.sizeFromShape(bShape), 12), bShape);
    const stock = withNative(false, () => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb));
    const native = withNative(true, () => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb));
    assert.deepEqual(native.shape, stock.shape);
    const differing = sameBits(native.dataSync() as Float32Array, stock.dataSync() as Float32Array);
    assert.equal(differing, 0, `${JSON.stringify([aShape, bShape, ta, tb])}: ${differing} values differ from XNNPACK's`);
    tf.dispose([a, b, stock, native]);
  }
});

test('training steps give the same weights with and without the native kernels (GEMMs and Winograd transforms)', { skip: missing }, () => {
  // Winograd everywhere: its products are the GEMMs that matter, and its three transforms run
  // natively for channel counts in fours (8 and 12 here; 3 stays on JavaScript). 14 px leaves
  // output tiles that overhang the image edge; 'valid' padding, bias and a fused ReLU are covered.
  const previousPolicy = setWinogradPolicy('always');
  const previousGradPolicy = setWinogradFilterGradPolicy('always');
  try {
    const trained = (on: boolean) =>
      withNative(on, () => {
        const model = tfl.sequential({
          layers: [
            tfl.layers.conv2d({ inputShape: [14, 14, 3], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
            tfl.layers.batchNormalization(),
            tfl.layers.reLU(),
            tfl.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
            tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'valid', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
            tfl.layers.globalAveragePooling2d({}),
            tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
          ],
        });
        const optimizer = tf.train.adam(0.01);
        const x = tf.tensor4d(seededValues(16 * 14 * 14 * 3, 5), [16, 14, 14, 3]);
        const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 5), 'int32'), 5);
        for (let step = 0; step < 3; step++) {
          optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
        }
        const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
        tf.dispose([x, labels]);
        optimizer.dispose();
        model.dispose();
        return weights;
      });
    const stock = trained(false);
    for (const threads of [1, 3]) {
      const native = withThreads(threads, () => trained(true));
      assert.equal(native.length, stock.length);
      stock.forEach((w, i) => assert.equal(sameBits(native[i] as Float32Array, w), 0, `${threads} thread(s): weight ${i} differs`));
    }
  } finally {
    setWinogradPolicy(previousPolicy);
    setWinogradFilterGradPolicy(previousGradPolicy);
  }
});

test('a fused convolution (bias, ReLU, no bias, padding) gives the same values with and without the native kernels', { skip: missing }, () => {
  const previousPolicy = setWinogradPolicy('always');
  try {
    const x = tf.tensor4d(seededValues(3 * 14 * 13 * 8, 21), [3, 14, 13, 8]);
    const filter = tf.tensor4d(seededValues(3 * 3 * 8 * 12, 22), [3, 3, 8, 12]);
    const bias = tf.tensor1d(seededValues(12, 23));
    const cases: Array<[string, () => tf.Tensor]> = [
      ['bias + relu, same', () => tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias, activation: 'relu' })],
      ['bias, valid', () => tf.fused.conv2d({ x, filter, strides: 1, pad: 'valid', bias })],
      ['relu, no bias', () => tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', activation: 'relu' })],
    ];
    // 2,048 tiles: several native blocks, which helper threads share.
    const big = tf.tensor4d(seededValues(8 * 64 * 64 * 8, 24), [8, 64, 64, 8]);
    cases.push(['many blocks, bias + relu', () => tf.fused.conv2d({ x: big, filter, strides: 1, pad: 'same', bias, activation: 'relu' })]);
    for (const [label, conv] of cases) {
      const stock = withNative(false, conv);
      for (const threads of [1, 3]) {
        const native = withThreads(threads, () => withNative(true, conv));
        assert.deepEqual(native.shape, stock.shape);
        assert.equal(sameBits(native.dataSync() as Float32Array, stock.dataSync() as Float32Array), 0, `${label}, ${threads} thread(s): values differ`);
        native.dispose();
      }
      stock.dispose();
    }
    tf.dispose([x, filter, bias, big]);
  } finally {
    setWinogradPolicy(previousPolicy);
  }
});

test('a filter gradient over many tiles and several chunks gives the same values with and without the native kernels', { skip: missing }, () => {
  // 4 images of 30x30: 8x8 tiles each (the last row and column overhang), 256 tiles; the native
  // kernels take them in blocks, continuing the float32 sums, inside the wasm path's chunks,
  // which a small budget makes several (an uneven last one included).
  const previousPolicy = setWinogradFilterGradPolicy('always');
  const previousBudget = setWinogradFilterGradChunkBudget(36 * 32 * 8 * 3);
  try {
    const x = tf.tensor4d(seededValues(4 * 30 * 30 * 16, 31), [4, 30, 30, 16]);
    const dy = tf.tensor4d(seededValues(4 * 30 * 30 * 16, 32), [4, 30, 30, 16]);
    const filter = tf.tensor4d(seededValues(3 * 3 * 16 * 16, 33), [3, 3, 16, 16]);
    // d/dfilter of sum(conv(x, filter) * dy) is the filter gradient of dy: Conv2DBackpropFilter.
    const grad = () => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(filter);
    for (const budget of [36 * 32 * 8 * 3, 4 * 1024 * 1024]) {
      setWinogradFilterGradChunkBudget(budget);
      const stock = withNative(false, grad);
      const native = withNative(true, grad);
      assert.equal(sameBits(native.dataSync() as Float32Array, stock.dataSync() as Float32Array), 0, `chunk budget ${budget}: values differ`);
      tf.dispose([stock, native]);
    }
    tf.dispose([x, dy, filter]);
  } finally {
    setWinogradFilterGradPolicy(previousPolicy);
    setWinogradFilterGradChunkBudget(previousBudget);
  }
});

test('a filter gradient through image patches (strides, paddings, 1x1, chunks and blocks) gives the same values with and without the native kernels', { skip: missing }, () => {
  const previousPolicy = setWinogradFilterGradPolicy('never');
  const previousBudget = setPatchBudget(4 * 1024 * 1024);
  type Case = { x: [number, number, number, number]; k: number; strides: number; pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]; budgets: number[] };
  const cases: Case[] = [
    // 320 output rows of 32 pixels, 16 channels: a tap's native blocks hold 256 rows, so one
    // chunk is two blocks (256, 64); then chunks of 300 rows (blocks 256 and 44, then 20),
    // summed in float64.
    { x: [10, 64, 64, 16], k: 3, strides: 2, pad: 'same', budgets: [4 * 1024 * 1024, 300 * 144 * 32] },
    { x: [3, 17, 17, 8], k: 3, strides: 2, pad: 'valid', budgets: [4 * 1024 * 1024, 7 * 72 * 8] },
    { x: [2, 15, 15, 16], k: 1, strides: 2, pad: 'valid', budgets: [4 * 1024 * 1024, 3 * 16 * 8] },
    // Stride 1, output size = input size: the wasm path's shifted-planes fill.
    { x: [2, 12, 12, 16], k: 3, strides: 1, pad: 'same', budgets: [4 * 1024 * 1024, 5 * 144 * 12] },
    { x: [2, 11, 13, 4], k: 5, strides: 1, pad: [[0, 0], [2, 1], [1, 2], [0, 0]], budgets: [4 * 1024 * 1024, 100 * 4] },
  ];
  try {
    cases.forEach(({ x: shape, k, strides, pad, budgets }, i) => {
      const co = 8 + i;
      const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(shape), 40 + i), shape);
      const filter = tf.tensor4d(seededValues(k * k * shape[3] * co, 50 + i), [k, k, shape[3], co]);
      const y = tf.conv2d(x, filter, strides, pad);
      const dy = tf.tensor4d(seededValues(y.size, 60 + i), y.shape as [number, number, number, number]);
      const grad = () => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, strides, pad), dy)))(filter);
      for (const budget of budgets) {
        setPatchBudget(budget);
        const stock = withNative(false, grad);
        for (const threads of [1, 3]) {
          const native = withThreads(threads, () => withNative(true, grad));
          assert.equal(sameBits(native.dataSync() as Float32Array, stock.dataSync() as Float32Array), 0, `case ${i}, patch budget ${budget}, ${threads} thread(s): values differ`);
          native.dispose();
        }
        stock.dispose();
      }
      tf.dispose([x, filter, y, dy]);
    });
  } finally {
    setWinogradFilterGradPolicy(previousPolicy);
    setPatchBudget(previousBudget);
  }
});

test("ReLU's gradient runs in one native pass and gives the values of Step then Multiply, special values included", { skip: missing }, async () => {
  const special = [NaN, -0, 0, 1e-45, -1e-45, Infinity, -Infinity, 2, -2, 3.5];
  // 200,000 values: several tasks for helper threads.
  const x = tf.tensor1d([...special, ...special, ...seededValues(199980, 70)]);
  const dy = tf.tensor1d([...special.map(() => -3), 1, -1, Infinity, -Infinity, NaN, -0, 0, 5, 7, -7, ...seededValues(199980, 71)]);
  const grad = () => tf.grad((v: tf.Tensor) => tf.relu(v))(x, dy);
  const stock = withNative(false, grad);
  for (const threads of [1, 3]) {
    const native = withThreads(threads, () => withNative(true, grad));
    assert.equal(sameBits(native.dataSync() as Float32Array, stock.dataSync() as Float32Array), 0, `${threads} thread(s): values differ`);
    native.dispose();
  }
  const kernels = async (on: boolean) => (await withNative(on, () => tf.profile(() => grad().dispose()))).kernels.map((k) => k.name);
  assert.ok((await kernels(true)).includes('LossLabReluGrad'), 'the fused kernel ran');
  assert.ok((await kernels(false)).includes('Step'), 'without the native kernels, the stock gradient ran');
  tf.dispose([x, dy, stock]);
});

test('training-mode batch norm, forward and gradient, gives the same values with and without the native kernels', { skip: missing }, () => {
  // Channel counts with 16-, 8- and 4-wide tails; 154 rows: two full blocks of 64 and a short one.
  // And 16,384 rows: several tasks for helper threads.
  const shapes: [number, number, number, number][] = [...[4, 8, 12, 28, 64].map((c): [number, number, number, number] => [2, 7, 11, c]), [16, 32, 32, 16]];
  for (const shape of shapes) {
    const channels = shape[3];
    const x = tf.tidy(() => tf.add(tf.mul(tf.tensor4d(seededValues(tf.util.sizeFromShape(shape), 80 + channels), shape), 3), 1.5));
    const scale = tf.tensor1d(seededValues(channels, 81));
    const offset = tf.tensor1d(seededValues(channels, 82));
    const dy = tf.tensor4d(seededValues(x.size, 83), x.shape as [number, number, number, number]);
    const run = () => {
      const y = batchNormTraining(x, scale, offset, 1e-3);
      const grads = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a, s as tf.Tensor1D, o as tf.Tensor1D, 1e-3).y, dy)))([x, scale, offset]);
      return [y.y, y.mean, y.variance, ...grads];
    };
    const stock = withNative(false, run);
    for (const threads of [1, 3]) {
      const native = withThreads(threads, () => withNative(true, run));
      stock.forEach((t, i) => assert.equal(sameBits(native[i]!.dataSync() as Float32Array, t.dataSync() as Float32Array), 0, `${JSON.stringify(shape)}, ${threads} thread(s), output ${i}: values differ`));
      tf.dispose(native);
    }
    tf.dispose([x, scale, offset, dy, ...stock]);
  }
});

test('the addon advises a wasm heap to use huge pages where Linux offers them', { skip: missing }, () => {
  const native = nativeKernels()!;
  let setting = 'absent';
  try {
    setting = /\[(\w+)\]/.exec(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? 'absent';
  } catch {
    // not Linux, or no transparent huge pages: the advice is refused
  }
  type Memory = { buffer: ArrayBuffer; grow(pages: number): number };
  const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => Memory } }).WebAssembly;
  const memory = new Memory({ initial: 1, maximum: 65536 });
  const advised = native.adviseHugePages(memory.buffer);
  assert.equal(advised, setting === 'always' || setting === 'madvise', `transparent huge pages: ${setting}`);
  // What the heap grows into later keeps working (the advice covers the whole reservation).
  memory.grow(64);
  new Uint8Array(memory.buffer).fill(7);
  assert.equal(new Uint8Array(memory.buffer)[memory.buffer.byteLength - 1], 7);
});

test('the native GEMM refuses operands outside the heap or misaligned, and says so', { skip: missing }, () => {
  const native = nativeKernels()!;
  const heap = new ArrayBuffer(64);
  assert.throws(() => native.gemm(heap, 0, 0, 0, 5, 5, 5), /outside the heap/);
  assert.throws(() => native.gemm(heap, 2, 0, 0, 1, 1, 1), /misaligned/);
  assert.throws(() => native.gemm(heap, -4, 0, 0, 1, 1, 1), /non-negative integers/);
  assert.throws(() => (native.gemm as (...args: unknown[]) => void)(heap, 0, 0), /7 arguments/);
  // In bounds: 2x2 times 2x2, written in place.
  const f = new Float32Array(heap);
  f.set([1, 2, 3, 4], 0);
  f.set([5, 6, 7, 8], 4);
  native.gemm(heap, 0, 16, 32, 2, 2, 2);
  assert.deepEqual([...f.subarray(8, 12)], [19, 22, 43, 50]);
});

test('the backend notes say whether the native kernels run, and on which instruction set', () => {
  const line = describeNativeKernels();
  if (nativeKernels() === null) assert.match(line, /^native kernels off: /);
  else assert.match(line, /^native kernels on \((avx512f|avx2|neon|default)\)$/);
  const previous = setNativeKernels(false);
  assert.equal(nativeKernels(), null);
  assert.match(describeNativeKernels(), /off/);
  setNativeKernels(previous);
});
