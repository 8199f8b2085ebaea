import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initWasmAndCpu, relativeError, valuesFor } from './kernel-test-support';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter';
import { setWinogradFilterGradChunkBudget, setWinogradFilterGradPolicy, winogradFilterGradPays } from './winograd-filter-grad';
import { setWinogradSimd } from './winograd-conv';

/**
 * The Winograd filter gradient against tfjs-backend-cpu's Conv2DBackpropFilter on the same
 * inputs: relative error (max abs difference / max abs value) at most 1e-4. The cost model
 * is overridden ('always') so that every shape below takes the Winograd path. Transforms
 * whose channels come in fours run as SIMD (simd/winograd.wat) unless setWinogradSimd(false)
 * forces the JS loops, so each shape is checked both ways.
 */

const TOLERANCE = 1e-4;
let previousPolicy: ReturnType<typeof setWinogradFilterGradPolicy>;

before(async () => {
  await initWasmAndCpu({ register: false });
  previousPolicy = setWinogradFilterGradPolicy('always');
});

after(() => {
  setWinogradFilterGradPolicy(previousPolicy);
});

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  pad: Pad;
}

async function check(c: Case): Promise<void> {
  const xShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
  const filterShape: [number, number, number, number] = [3, 3, c.ci, c.co];
  const outShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, 1, c.pad).outShape as [number, number, number, number];
  const xv = valuesFor(xShape);
  const dyv = valuesFor(outShape);
  const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', filterShape };
  const label = `x[${xShape}] co${c.co} pad ${JSON.stringify(c.pad)}`;

  assert.ok(await tf.setBackend('cpu'));
  const expected = tf.tidy(() => {
    const out = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(xv, xShape), dy: tf.tensor4d(dyv, outShape) }, attrs) as tf.Tensor;
    return out.dataSync().slice() as Float32Array;
  });

  assert.ok(await tf.setBackend('wasm'));
  const backend = tf.backend();
  const x = tf.tensor4d(xv, xShape);
  const dy = tf.tensor4d(dyv, outShape);
  const buffers = backend.numDataIds();
  const info = conv2dBackpropFilterWasm({ inputs: { x, dy }, backend, attrs: attrs as unknown as tf.NamedAttrMap });
  assert.equal(backend.numDataIds(), buffers + 1, `${label}: only the result is left on the backend`);
  const result = tf.engine().makeTensorFromTensorInfo(info);
  assert.deepEqual(result.shape, filterShape);
  const actual = result.dataSync().slice() as Float32Array;
  tf.dispose([result, x, dy]);
  const err = relativeError(actual, expected);
  assert.ok(err <= TOLERANCE, `${label}: relative error ${err.toExponential(2)} > ${TOLERANCE}`);
}

const shapes: Array<Omit<Case, 'pad'>> = [
  { n: 1, h: 7, w: 9, ci: 3, co: 5 }, // batch 1, odd sizes, tiles overhang both edges
  { n: 3, h: 8, w: 8, ci: 1, co: 8 }, // one input channel, tiles divide the image
  { n: 2, h: 5, w: 6, ci: 7, co: 3 }, // channels not multiples of 4, more in than out
  { n: 2, h: 4, w: 4, ci: 16, co: 32 }, // a single tile per image ('same')
  { n: 2, h: 3, w: 3, ci: 6, co: 2 }, // 'valid' output of a single pixel
  { n: 2, h: 13, w: 10, ci: 9, co: 17 }, // several tiles per row and column, partial last ones
  { n: 2, h: 13, w: 10, ci: 8, co: 12 }, // the same with both transforms in SIMD
  { n: 3, h: 8, w: 8, ci: 3, co: 4 }, // SIMD dy transform only, one vector of channels
];
const cases: Case[] = [];
for (const s of shapes) for (const pad of ['same', 'valid'] as const) cases.push({ ...s, pad });
cases.push({ n: 2, h: 9, w: 7, ci: 4, co: 6, pad: [[0, 0], [2, 0], [0, 2], [0, 0]] }); // asymmetric explicit padding
cases.push({ n: 1, h: 6, w: 5, ci: 5, co: 4, pad: [[0, 0], [3, 1], [1, 4], [0, 0]] }); // padding beyond the filter

test('Winograd Conv2DBackpropFilter matches cpu', async () => {
  for (const c of cases) await check(c);
});

test('Winograd Conv2DBackpropFilter matches cpu with the JS transforms only', async () => {
  const previous = setWinogradSimd(false);
  try {
    for (const c of cases) await check(c);
    await check({ n: 2, h: 16, w: 16, ci: 32, co: 64, pad: 'same' });
  } finally {
    setWinogradSimd(previous);
  }
});

test('Winograd Conv2DBackpropFilter matches cpu with one row of tiles per chunk', async () => {
  const previous = setWinogradFilterGradChunkBudget(1);
  try {
    for (const c of cases) await check(c);
  } finally {
    setWinogradFilterGradChunkBudget(previous);
  }
});

test('Winograd Conv2DBackpropFilter matches cpu on the reference CNN layer shapes', async () => {
  // Batch 2 keeps tfjs-backend-cpu's reference quick; the tiling per image is the same.
  for (const [h, ci, co] of [[32, 3, 32], [16, 32, 64], [8, 64, 128], [16, 16, 32]]) await check({ n: 2, h, w: h, ci, co, pad: 'same' });
});

test('Winograd Conv2DBackpropFilter matches the im2col path at batch 64 (sums over 1024 tiles)', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const [n, h, ci, co] = [64, 16, 32, 64];
  const x = tf.tensor4d(valuesFor([n, h, h, ci]), [n, h, h, ci]);
  const dy = tf.tensor4d(valuesFor([n, h, h, co]), [n, h, h, co]);
  const run = (policy: 'always' | 'never'): Float32Array => {
    const previous = setWinogradFilterGradPolicy(policy);
    try {
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, ci, co] } as unknown as tf.NamedAttrMap;
      const out = tf.engine().makeTensorFromTensorInfo(conv2dBackpropFilterWasm({ inputs: { x, dy }, backend: tf.backend(), attrs }));
      const data = out.dataSync().slice() as Float32Array; // 18k values: small enough to read back
      out.dispose();
      return data;
    } finally {
      setWinogradFilterGradPolicy(previous);
    }
  };
  const err = relativeError(run('always'), run('never'));
  tf.dispose([x, dy]);
  assert.ok(err <= TOLERANCE, `batch 64: relative error ${err.toExponential(2)} > ${TOLERANCE}`);
});

test('the cost model picks Winograd for 16+ channels each way, im2col for 3- and 8-channel layers', () => {
  const previous = setWinogradFilterGradPolicy('auto');
  try {
    assert.ok(winogradFilterGradPays(64, 32, 64, 16, 16));
    assert.ok(winogradFilterGradPays(64, 64, 128, 8, 8));
    assert.ok(!winogradFilterGradPays(64, 3, 32, 32, 32));
    assert.ok(!winogradFilterGradPays(64, 3, 16, 32, 32));
    assert.ok(winogradFilterGradPays(64, 16, 32, 16, 16));
    assert.ok(winogradFilterGradPays(64, 32, 64, 8, 8));
    assert.ok(!winogradFilterGradPays(1, 3, 5, 7, 9));
    // The CIFAR ResNets' equal-width layers.
    assert.ok(winogradFilterGradPays(64, 16, 16, 32, 32));
    assert.ok(winogradFilterGradPays(64, 32, 32, 16, 16));
    assert.ok(winogradFilterGradPays(64, 64, 64, 8, 8));
    assert.ok(!winogradFilterGradPays(64, 8, 8, 32, 32));
  } finally {
    setWinogradFilterGradPolicy(previous);
  }
});
