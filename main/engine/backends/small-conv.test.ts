import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
// tfjs-layers' bundle registers tfjs-core's gradient functions (core's CommonJS build does not).
import '@tensorflow/tfjs-layers';
import { initWasmAndCpu, relativeError, valuesFor } from './kernel-test-support';
import { setSmallConvPolicy, trySmallConv2d, trySmallConvFilterGrad } from './small-conv';

/**
 * The SIMD small-channel 3x3 convolutions (simd/small-conv.wat) against tfjs-backend-cpu on
 * the same inputs: relative error (max abs difference / max abs value) at most 1e-4.
 */

const TOLERANCE = 1e-4;

let previousPolicy: ReturnType<typeof setSmallConvPolicy>;

before(async () => {
  await initWasmAndCpu();
  // The shapes below are small: skip the size threshold so that they take the SIMD path.
  previousPolicy = setSmallConvPolicy('always');
});

after(() => {
  setSmallConvPolicy(previousPolicy);
});

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  pad: Pad;
}

const cases: Case[] = [];
for (const ci of [1, 2, 3, 4]) {
  for (const co of [4, 16, 32]) {
    cases.push({ n: 1, h: 7, w: 5, ci, co, pad: 'same' });
    cases.push({ n: 2, h: 6, w: 9, ci, co, pad: 'valid' });
  }
}
cases.push({ n: 1, h: 5, w: 6, ci: 3, co: 12, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] });
cases.push({ n: 3, h: 11, w: 13, ci: 3, co: 20, pad: 'same' });
cases.push({ n: 2, h: 9, w: 8, ci: 1, co: 64, pad: 'valid' });
cases.push({ n: 2, h: 3, w: 3, ci: 2, co: 8, pad: 'valid' });

function label(c: Case): string {
  return `${c.n}x${c.h}x${c.w}, ${c.ci}->${c.co}, pad ${JSON.stringify(c.pad)}`;
}

/** Runs `f` on the wasm backend with tensors made from `values`, returning its output's values; checks no buffer leaks. */
function onWasm(values: Array<[Float32Array, number[]]>, f: (backend: BackendWasm, ...t: tf.TensorInfo[]) => tf.TensorInfo | null): Float32Array {
  tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const tensors = values.map(([v, s]) => tf.tensor(v, s));
  const buffers = backend.numDataIds();
  const info = f(backend, ...tensors);
  assert.ok(info, 'the SIMD kernel applies');
  const out = tf.engine().makeTensorFromTensorInfo(info);
  const data = out.dataSync().slice() as Float32Array;
  out.dispose();
  assert.equal(backend.numDataIds(), buffers, 'no wasm buffers leak');
  tf.dispose(tensors);
  tf.setBackend('cpu');
  return data;
}

function onCpu(f: () => tf.Tensor): Float32Array {
  tf.setBackend('cpu');
  return tf.tidy(f).dataSync() as Float32Array;
}

test('forward matches the cpu backend (plain, bias, bias + ReLU)', () => {
  for (const c of cases) {
    const xs = [c.n, c.h, c.w, c.ci];
    const fs = [3, 3, c.ci, c.co];
    const x = valuesFor(xs);
    const f = valuesFor(fs);
    const b = valuesFor([c.co]);
    const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', dilations: 1 } as unknown as tf.Conv2DAttrs;
    const expected = onCpu(() => tf.conv2d(tf.tensor4d(x, xs as never), tf.tensor4d(f, fs as never), 1, c.pad));
    const actual = onWasm([[x, xs], [f, fs]], (be, xt, ft) => trySmallConv2d(be, xt, ft, attrs));
    assert.ok(relativeError(actual, expected) <= TOLERANCE, `${label(c)}: ${relativeError(actual, expected)}`);
    for (const relu of [false, true]) {
      const fused = onCpu(() =>
        tf.fused.conv2d({ x: tf.tensor4d(x, xs as never), filter: tf.tensor4d(f, fs as never), strides: 1, pad: c.pad, bias: tf.tensor1d(b), activation: relu ? 'relu' : 'linear' }),
      );
      const ours = onWasm([[x, xs], [f, fs], [b, [c.co]]], (be, xt, ft, bt) => trySmallConv2d(be, xt, ft, attrs, bt, relu));
      assert.ok(relativeError(ours, fused) <= TOLERANCE, `${label(c)} bias relu=${relu}: ${relativeError(ours, fused)}`);
    }
  }
});

test('filter gradient matches the cpu backend', () => {
  for (const c of cases) {
    const xs = [c.n, c.h, c.w, c.ci];
    const x = valuesFor(xs);
    const ys = outShape(xs, c);
    const dy = valuesFor(ys);
    const expected = onCpu(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, xs as never), dy: tf.tensor4d(dy, ys as never) }, { strides: 1, pad: c.pad, dataFormat: 'NHWC', filterShape: [3, 3, c.ci, c.co] } as never) as tf.Tensor);
    const actual = onWasm([[x, xs], [dy, ys]], (be, xt, dyt) => {
      const info = tf.backend_util.computeConv2DInfo(xs as never, [3, 3, c.ci, c.co], 1, 1, c.pad, undefined, false, 'channelsLast');
      return trySmallConvFilterGrad(be, xt, dyt, info);
    });
    assert.ok(relativeError(actual, expected) <= TOLERANCE, `${label(c)}: ${relativeError(actual, expected)}`);
  }
});

function outShape(xs: number[], c: Case): number[] {
  return tf.backend_util.computeConv2DInfo(xs as never, [3, 3, c.ci, c.co], 1, 1, c.pad, undefined, false, 'channelsLast').outShape;
}

test('the registered wasm kernels route small convs here and match cpu, gradients included', () => {
  const xs = [2, 9, 7, 3];
  const fs = [3, 3, 3, 16];
  const x = valuesFor(xs);
  const f = valuesFor(fs);
  const b = valuesFor([16]);
  const run = () => {
    const xt = tf.tensor4d(x, xs as never);
    const ft = tf.tensor4d(f, fs as never);
    const bt = tf.tensor1d(b);
    // The filter gradient of a fused conv + bias + ReLU (what a Conv2D layer runs).
    const loss = (w: tf.Tensor) => tf.sum(tf.mul(tf.fused.conv2d({ x: xt, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: bt, activation: 'relu' }), tf.mod(tf.reshape(tf.range(0, 2 * 9 * 7 * 16), [2, 9, 7, 16]), 5)));
    const { value, grad } = tf.valueAndGrad(loss)(ft);
    return [value.dataSync()[0], grad.dataSync().slice() as Float32Array] as const;
  };
  tf.setBackend('cpu');
  const [v0, g0] = tf.tidy(() => run() as never) as unknown as readonly [number, Float32Array];
  tf.setBackend('wasm');
  const [v1, g1] = tf.tidy(() => run() as never) as unknown as readonly [number, Float32Array];
  tf.setBackend('cpu');
  assert.ok(Math.abs(v1 - v0) <= TOLERANCE * Math.abs(v0), `loss ${v1} vs ${v0}`);
  assert.ok(relativeError(g1, g0) <= TOLERANCE, `filter gradient: ${relativeError(g1, g0)}`);
});
