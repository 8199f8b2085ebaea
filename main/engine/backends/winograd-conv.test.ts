import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initWasmAndCpu, relativeError, valuesFor } from './kernel-test-support';
// tfjs-layers' bundle registers tfjs-core's gradient functions (core's CommonJS build does not).
import '@tensorflow/tfjs-layers';
import { makeConv2dBackpropInputWasm } from './conv2d-backprop-input';
import { backendMemory } from './simd/instantiate';
import { winogradSimdFor } from './simd/winograd-simd';
import { makeConv2dWasm, makeFusedConv2dWasm } from './conv2d';
import {
  setWinogradChunkBudget,
  setWinogradPolicy,
  setWinogradSimd,
  winogradPays,
} from './winograd-conv';

/**
 * The Winograd kernels against tfjs-backend-cpu on the same inputs: relative error (max abs
 * difference / max abs value) at most 1e-4. The cost model is overridden ('always') so
 * that the small, awkward shapes below really take the Winograd path. Each transform runs as
 * SIMD when its channel count is a multiple of 4 and as JavaScript otherwise; the shapes mix
 * both, and the conv tests run once more with SIMD turned off.
 */

const TOLERANCE = 1e-4;

let previousPolicy: ReturnType<typeof setWinogradPolicy>;

before(async () => {
  await initWasmAndCpu();
  previousPolicy = setWinogradPolicy('always');
});

after(() => {
  setWinogradPolicy(previousPolicy);
});

/** Our kernels, built here on top of whatever is registered, so they are tested with or without registration. */
function ourKernel(name: 'Conv2D' | 'FusedConv2D' | 'Conv2DBackpropInput'): tf.KernelFunc {
  const registered = tf.getKernel(name, 'wasm');
  if (name === 'Conv2D') return makeConv2dWasm(registered);
  if (name === 'FusedConv2D') return makeFusedConv2dWasm(registered);
  return makeConv2dBackpropInputWasm(registered);
}

/** Runs one of our kernels on the wasm backend, as a tensor, checking that no buffer leaks. */
function runOurs(name: 'Conv2D' | 'FusedConv2D' | 'Conv2DBackpropInput', inputs: tf.NamedTensorMap, attrs: object): Float32Array {
  const backend = tf.backend();
  const buffers = backend.numDataIds();
  const info = ourKernel(name)({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const out = tf.engine().makeTensorFromTensorInfo(info);
  const data = out.dataSync().slice() as Float32Array;
  out.dispose();
  assert.equal(backend.numDataIds(), buffers, `${name}: no wasm buffers leak`);
  return data;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  const err = relativeError(actual, expected);
  assert.ok(err <= TOLERANCE, `${label}: relative error ${err.toExponential(2)} > ${TOLERANCE}`);
}

/** `fn` on the cpu backend, then back to wasm. */
async function onCpu(fn: () => tf.Tensor): Promise<Float32Array> {
  assert.ok(await tf.setBackend('cpu'));
  const data = tf.tidy(() => fn().dataSync().slice() as Float32Array);
  assert.ok(await tf.setBackend('wasm'));
  return data;
}

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  pad: Pad;
}

const shapes: Array<Omit<Case, 'pad'>> = [
  { n: 1, h: 7, w: 9, ci: 3, co: 5 }, // batch 1, odd sizes, tiles overhang both edges
  { n: 3, h: 8, w: 8, ci: 1, co: 8 }, // one input channel, tiles divide the image
  { n: 2, h: 5, w: 6, ci: 7, co: 3 }, // channels not multiples of 4
  { n: 2, h: 4, w: 4, ci: 16, co: 32 }, // a single tile per image ('same')
  { n: 2, h: 3, w: 3, ci: 6, co: 2 }, // 'valid' output of a single pixel
  { n: 2, h: 13, w: 10, ci: 9, co: 17 }, // several tiles per row and column, partial last ones
];
const cases: Case[] = [];
for (const s of shapes) for (const pad of ['same', 'valid'] as const) cases.push({ ...s, pad });
cases.push({ n: 2, h: 9, w: 7, ci: 4, co: 6, pad: [[0, 0], [2, 0], [0, 2], [0, 0]] }); // asymmetric explicit padding
cases.push({ n: 1, h: 6, w: 5, ci: 5, co: 4, pad: [[0, 0], [3, 1], [1, 4], [0, 0]] }); // padding beyond the filter
// Channels in fours (SIMD transforms), alone or mixed with the JS ones.
for (const pad of ['same', 'valid'] as const) {
  cases.push({ n: 2, h: 13, w: 10, ci: 8, co: 12, pad }); // both SIMD, partial tiles at both edges
  cases.push({ n: 1, h: 7, w: 9, ci: 4, co: 4, pad }); // one channel group each way
  cases.push({ n: 2, h: 6, w: 11, ci: 12, co: 5, pad }); // SIMD input, JS output
  cases.push({ n: 2, h: 9, w: 5, ci: 3, co: 8, pad }); // JS input, SIMD output
}
cases.push({ n: 2, h: 9, w: 7, ci: 8, co: 16, pad: [[0, 0], [2, 0], [0, 2], [0, 0]] }); // SIMD, asymmetric padding
cases.push({ n: 1, h: 6, w: 5, ci: 4, co: 8, pad: [[0, 0], [3, 1], [1, 4], [0, 0]] }); // SIMD, padding beyond the filter

/** Runs `body` with the SIMD transforms on, then with them off (JavaScript everywhere). */
async function withAndWithoutSimd(body: (simd: boolean) => Promise<void>): Promise<void> {
  for (const simd of [true, false]) {
    const previous = setWinogradSimd(simd);
    try {
      await body(simd);
    } finally {
      setWinogradSimd(previous);
    }
  }
}

function label(c: Case): string {
  return `x[${c.n},${c.h},${c.w},${c.ci}] co${c.co} pad ${JSON.stringify(c.pad)}`;
}

test('the SIMD transforms instantiate on the wasm backend heap', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const memory = backendMemory(tf.backend() as unknown as { wasm: unknown });
  assert.ok(memory, 'the wasm backend exposes its memory');
  assert.ok(winogradSimdFor(memory), 'winograd.wat instantiates');
});

test('Winograd Conv2D matches cpu', async () => {
  assert.ok(await tf.setBackend('wasm'));
  await withAndWithoutSimd(async (simd) => {
    for (const c of cases) {
      const xv = valuesFor([c.n, c.h, c.w, c.ci]);
      const fv = valuesFor([3, 3, c.ci, c.co]);
      const expected = await onCpu(() => tf.conv2d(tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), tf.tensor4d(fv, [3, 3, c.ci, c.co]), 1, c.pad));
      const actual = tf.tidy(() => {
        const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
        const filter = tf.tensor4d(fv, [3, 3, c.ci, c.co]);
        return runOurs('Conv2D', { x, filter }, { strides: 1, pad: c.pad, dataFormat: 'NHWC', dilations: 1 });
      });
      assertClose(actual, expected, `conv ${label(c)}${simd ? '' : ' (no SIMD)'}`);
    }
  });
});

test('Winograd Conv2DBackpropInput matches cpu', async () => {
  assert.ok(await tf.setBackend('wasm'));
  await withAndWithoutSimd(async (simd) => {
    for (const c of cases) {
      const inputShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
      const filterShape: [number, number, number, number] = [3, 3, c.ci, c.co];
      const outShape = tf.backend_util.computeConv2DInfo(inputShape, filterShape, 1, 1, c.pad).outShape as [number, number, number, number];
      const dyv = valuesFor(outShape);
      const fv = valuesFor(filterShape);
      const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', inputShape };
      const expected = await onCpu(
        () => tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor4d(dyv, outShape), filter: tf.tensor4d(fv, filterShape) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      const actual = tf.tidy(() => runOurs('Conv2DBackpropInput', { dy: tf.tensor4d(dyv, outShape), filter: tf.tensor4d(fv, filterShape) }, attrs));
      assertClose(actual, expected, `dX ${label(c)}${simd ? '' : ' (no SIMD)'}`);
    }
  });
});

test('Winograd FusedConv2D with bias and ReLU matches cpu; other activations fall back', async () => {
  assert.ok(await tf.setBackend('wasm'));
  // 5->6: JS transforms; 8->12: SIMD (bias and ReLU in the SIMD output transform).
  for (const [n, h, w, ci, co] of [[2, 7, 6, 5, 6], [2, 7, 6, 8, 12]]) {
    const xv = valuesFor([n, h, w, ci]);
    const fv = valuesFor([3, 3, ci, co]);
    const bv = valuesFor([co]);
    for (const activation of ['linear', 'relu', 'elu'] as const) {
      for (const withBias of [false, true]) {
        const run = (): tf.Tensor =>
          tf.fused.conv2d({
            x: tf.tensor4d(xv, [n, h, w, ci]),
            filter: tf.tensor4d(fv, [3, 3, ci, co]),
            strides: 1,
            pad: 'same',
            bias: withBias ? tf.tensor1d(bv) : undefined,
            activation,
          });
        const expected = await onCpu(run);
        const actual = tf.tidy(() =>
          runOurs(
            'FusedConv2D',
            { x: tf.tensor4d(xv, [n, h, w, ci]), filter: tf.tensor4d(fv, [3, 3, ci, co]), ...(withBias ? { bias: tf.tensor1d(bv) } : {}) },
            { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation },
          ),
        );
        assertClose(actual, expected, `fused ${ci}->${co} ${activation}${withBias ? ' + bias' : ''}`);
      }
    }
  }
});

test('Winograd matches cpu when its tiles are split into chunks (chunks end mid-row)', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const previous = setWinogradChunkBudget(1); // one tile per chunk
  try {
    // cases[14]: 8->12, SIMD transforms resuming mid-row.
    for (const c of [cases[0], cases[10], cases[12], cases[14]]) {
      const xv = valuesFor([c.n, c.h, c.w, c.ci]);
      const fv = valuesFor([3, 3, c.ci, c.co]);
      const expected = await onCpu(() => tf.conv2d(tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), tf.tensor4d(fv, [3, 3, c.ci, c.co]), 1, c.pad));
      const actual = tf.tidy(() =>
        runOurs('Conv2D', { x: tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), filter: tf.tensor4d(fv, [3, 3, c.ci, c.co]) }, { strides: 1, pad: c.pad, dataFormat: 'NHWC', dilations: 1 }),
      );
      assertClose(actual, expected, `chunked conv ${label(c)}`);
    }
    // Five tiles per chunk for 9->17 channels: 24 tiles, so the last chunk is partial.
    setWinogradChunkBudget(36 * 5 * (9 + 17));
    const c = cases[10];
    const xv = valuesFor([c.n, c.h, c.w, c.ci]);
    const fv = valuesFor([3, 3, c.ci, c.co]);
    const expected = await onCpu(() => tf.conv2d(tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), tf.tensor4d(fv, [3, 3, c.ci, c.co]), 1, c.pad));
    const actual = tf.tidy(() =>
      runOurs('Conv2D', { x: tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), filter: tf.tensor4d(fv, [3, 3, c.ci, c.co]) }, { strides: 1, pad: c.pad, dataFormat: 'NHWC', dilations: 1 }),
    );
    assertClose(actual, expected, `chunked (partial last chunk) conv ${label(c)}`);
  } finally {
    setWinogradChunkBudget(previous);
  }
});

test('configurations Winograd does not cover go to the existing kernels and still match cpu', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const [n, h, w, ci, co] = [2, 9, 8, 4, 6];
  const xv = valuesFor([n, h, w, ci]);
  for (const [k, stride, dilation] of [[3, 2, 1], [3, 1, 2], [5, 1, 1], [1, 1, 1]] as const) {
    const fv = valuesFor([k, k, ci, co]);
    const expected = await onCpu(() => tf.conv2d(tf.tensor4d(xv, [n, h, w, ci]), tf.tensor4d(fv, [k, k, ci, co]), stride, 'same', 'NHWC', dilation));
    const actual = tf.tidy(() =>
      runOurs('Conv2D', { x: tf.tensor4d(xv, [n, h, w, ci]), filter: tf.tensor4d(fv, [k, k, ci, co]) }, { strides: stride, pad: 'same', dataFormat: 'NHWC', dilations: dilation }),
    );
    assertClose(actual, expected, `conv k${k} stride ${stride} dilation ${dilation}`);

    if (dilation !== 1) continue;
    const inputShape: [number, number, number, number] = [n, h, w, ci];
    const outShape = tf.backend_util.computeConv2DInfo(inputShape, [k, k, ci, co], stride, 1, 'same').outShape as [number, number, number, number];
    const dyv = valuesFor(outShape);
    const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', inputShape };
    const dxExpected = await onCpu(
      () => tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor4d(dyv, outShape), filter: tf.tensor4d(fv, [k, k, ci, co]) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    const dx = tf.tidy(() => runOurs('Conv2DBackpropInput', { dy: tf.tensor4d(dyv, outShape), filter: tf.tensor4d(fv, [k, k, ci, co]) }, attrs));
    assertClose(dx, dxExpected, `dX k${k} stride ${stride}`);
  }
});

test('gradients through the public API match cpu with the Winograd kernels registered', async () => {
  const [n, h, w, ci, co] = [3, 10, 7, 6, 9];
  const xv = valuesFor([n, h, w, ci]);
  const fv = valuesFor([3, 3, ci, co]);
  const bv = valuesFor([co]);
  const grads = (): tf.Tensor[] => {
    const x = tf.tensor4d(xv, [n, h, w, ci]);
    const f = tf.tensor4d(fv, [3, 3, ci, co]);
    const b = tf.tensor1d(bv);
    const loss = (a: tf.Tensor, g: tf.Tensor, c: tf.Tensor): tf.Scalar => {
      const plain = tf.conv2d(a as tf.Tensor4D, g as tf.Tensor4D, 1, 'same');
      const fused = tf.fused.conv2d({ x: a as tf.Tensor4D, filter: g as tf.Tensor4D, strides: 1, pad: 'valid', bias: c, activation: 'relu' });
      return tf.add(tf.sum(tf.square(plain)), tf.sum(tf.mul(fused, fused)));
    };
    return tf.grads(loss)([x, f, b]);
  };
  assert.ok(await tf.setBackend('cpu'));
  const expected = tf.tidy(() => grads().map((t) => t.dataSync().slice()));
  assert.ok(await tf.setBackend('wasm'));
  const before = tf.memory().numTensors;
  const actual = tf.tidy(() => grads().map((t) => t.dataSync().slice()));
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  expected.forEach((e, i) => assertClose(actual[i] as Float32Array, e as Float32Array, `gradient ${i}`));
});

test('the cost model picks Winograd for the reference CNN layers and not for thin, small or single-image convs', () => {
  const previous = setWinogradPolicy('auto');
  try {
    assert.ok(winogradPays(64, 32, 64, 16, 16), '32->64 at 16x16, batch 64');
    assert.ok(winogradPays(64, 64, 128, 8, 8), '64->128 at 8x8, batch 64');
    assert.ok(winogradPays(64, 64, 32, 16, 16), 'input gradient of 32->64');
    assert.ok(winogradPays(64, 128, 64, 8, 8), 'input gradient of 64->128');
    // LossLab's default network (widths 16/32/64) with the SIMD transforms
    assert.ok(winogradPays(64, 16, 32, 16, 16), '16->32 at 16x16, batch 64');
    assert.ok(winogradPays(64, 32, 64, 8, 8), '32->64 at 8x8, batch 64');
    assert.ok(winogradPays(64, 32, 16, 16, 16), 'input gradient of 16->32');
    assert.ok(winogradPays(64, 64, 32, 8, 8), 'input gradient of 32->64');
    assert.ok(winogradPays(64, 16, 32, 32, 32), '16->32 at 32x32');
    assert.ok(!winogradPays(64, 3, 32, 32, 32), '3->32 at 32x32 (3 channels: JS input transform, thin GEMMs)');
    assert.ok(!winogradPays(64, 3, 16, 32, 32), '3->16 at 32x32');
    assert.ok(!winogradPays(1, 64, 128, 8, 8), 'batch 1');
    assert.ok(!winogradPays(64, 32, 32, 4, 4), '4x4 images');
    assert.ok(!winogradPays(64, 6, 12, 16, 16), 'few channels, not in fours');
  } finally {
    setWinogradPolicy(previous);
  }
});
