import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initWasmAndCpu, relativeError, valuesFor } from './kernel-test-support';
// tfjs-layers' bundle registers tfjs-core's gradient functions (core's CommonJS build does not).
import '@tensorflow/tfjs-layers';
import { setPatchBudget } from './conv2d-backprop-filter';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS, wasmTrainingKernelsRegistered } from './wasm-training-kernels';

/**
 * Every kernel registered for 'wasm' is compared with tfjs-backend-cpu, the reference
 * implementation, on the same inputs: relative error (max abs difference / max abs value)
 * at most 1e-4.
 */

const TOLERANCE = 1e-4;

before(async () => {
  await initWasmAndCpu();
});

type Outputs = tf.TypedArray[];

/** Runs `fn` on both backends and returns its outputs' values, wasm first. */
async function onBoth(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ wasm: Outputs; cpu: Outputs }> {
  const run = async (backend: string): Promise<Outputs> => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    const values = tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync().slice());
    });
    assert.equal(tf.memory().numTensors, before, `no tensors leak on ${backend}`);
    // Kernel intermediates never become tensors: check the backend's own buffers too.
    assert.equal(tf.backend().numDataIds(), buffers, `no buffers leak on ${backend}`);
    return values;
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  return { wasm, cpu };
}

function assertClose(result: { wasm: Outputs; cpu: Outputs }, label: string): void {
  assert.equal(result.wasm.length, result.cpu.length);
  result.cpu.forEach((expected, i) => {
    const err = relativeError(result.wasm[i], expected);
    assert.ok(err <= TOLERANCE, `${label} output ${i}: relative error ${err.toExponential(2)} > ${TOLERANCE}`);
  });
}

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: Pad;
}

const shapes: Array<Omit<ConvCase, 'stride' | 'pad'>> = [
  { n: 1, h: 7, w: 9, ci: 3, co: 4, k: 3 }, // batch 1, odd sizes
  { n: 3, h: 8, w: 8, ci: 1, co: 8, k: 3 }, // one input channel
  { n: 2, h: 11, w: 6, ci: 5, co: 2, k: 1 }, // 1x1 filter
  { n: 2, h: 5, w: 5, ci: 8, co: 16, k: 5 }, // filter as large as the image
  { n: 2, h: 6, w: 7, ci: 4, co: 3, k: 2 }, // even filter: asymmetric 'same' padding
  { n: 4, h: 9, w: 9, ci: 16, co: 32, k: 3 }, // wider layer
];
const cases: ConvCase[] = [];
for (const s of shapes) for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) cases.push({ ...s, stride, pad });
// Explicit padding, including one larger than the filter (the input gradient's fallback path).
cases.push({ n: 2, h: 10, w: 11, ci: 3, co: 4, k: 3, stride: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] });
cases.push({ n: 2, h: 6, w: 6, ci: 2, co: 3, k: 2, stride: 1, pad: [[0, 0], [3, 0], [0, 3], [0, 0]] });
cases.push({ n: 1, h: 7, w: 7, ci: 2, co: 3, k: 1, stride: 3, pad: 'valid' });

function describe(c: ConvCase): string {
  return `x[${c.n},${c.h},${c.w},${c.ci}] k${c.k} co${c.co} stride ${c.stride} pad ${JSON.stringify(c.pad)}`;
}

async function checkFilterGradients(label: string): Promise<void> {
  for (const c of cases) {
    const xv = valuesFor([c.n, c.h, c.w, c.ci]);
    const filterShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
    const outShape = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], filterShape, c.stride, 1, c.pad).outShape;
    const dyv = valuesFor(outShape);
    const result = await onBoth(() => {
      const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
      const dy = tf.tensor4d(dyv, outShape as [number, number, number, number]);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
    });
    assertClose(result, `${label} ${describe(c)}`);
  }
}

test('Conv2DBackpropFilter matches cpu', async () => {
  await checkFilterGradients('dW');
});

test('Conv2DBackpropFilter matches cpu when its patch matrix is split into chunks', async () => {
  // One output row per chunk: the path large images take to stay within the wasm heap.
  const previous = setPatchBudget(1);
  try {
    await checkFilterGradients('dW chunked');
  } finally {
    setPatchBudget(previous);
  }
});

test('Conv2DBackpropInput matches cpu', async () => {
  for (const c of cases) {
    const inputShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
    const filterShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
    const fv = valuesFor(filterShape);
    const outShape = tf.backend_util.computeConv2DInfo(inputShape, filterShape, c.stride, 1, c.pad).outShape;
    const dyv = valuesFor(outShape);
    const result = await onBoth(() => {
      const filter = tf.tensor4d(fv, filterShape);
      const dy = tf.tensor4d(dyv, outShape as [number, number, number, number]);
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape }) as tf.Tensor;
    });
    assertClose(result, `dX ${describe(c)}`);
  }
});

test('Conv2DBackpropFilter handles NCHW through its fallback loop', async () => {
  const [n, ci, h, w, co, k] = [2, 3, 7, 6, 4, 3];
  const xv = valuesFor([n, ci, h, w]);
  const dyv = valuesFor([n, co, 4, 3]);
  const result = await onBoth(() => {
    const x = tf.tensor4d(xv, [n, ci, h, w]);
    const dy = tf.tensor4d(dyv, [n, co, 4, 3]);
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [k, k, ci, co] }) as tf.Tensor;
  });
  assertClose(result, 'dW NCHW');
});

test('conv2d gradients through the public API match cpu (stride 2, batch 1 and 3)', async () => {
  for (const n of [1, 3]) {
    const xv = valuesFor([n, 9, 7, 3]);
    const fv = valuesFor([3, 3, 3, 5]);
    const result = await onBoth(() => {
      const x = tf.tensor4d(xv, [n, 9, 7, 3]);
      const f = tf.tensor4d(fv, [3, 3, 3, 5]);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))));
      return g([x, f]);
    });
    assertClose(result, `tf.grads(conv2d) batch ${n}`);
  }
});

test('MaxPoolGrad matches cpu, including all-negative windows and padding', async () => {
  const configs: Array<{ shape: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid'; lo: number; hi: number }> = [
    { shape: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid', lo: -1, hi: 1 },
    { shape: [1, 7, 9, 4], size: 2, stride: 2, pad: 'same', lo: -5, hi: -1 }, // only negative values
    { shape: [2, 9, 7, 2], size: 3, stride: 2, pad: 'same', lo: -1, hi: 1 }, // overlapping windows
    { shape: [3, 6, 6, 5], size: 3, stride: 1, pad: 'valid', lo: -1, hi: 1 },
  ];
  for (const c of configs) {
    const xv = valuesFor(c.shape, c.lo, c.hi);
    const result = await onBoth(() => {
      const x = tf.tensor4d(xv, c.shape);
      // A non-uniform upstream gradient so that routing mistakes show up.
      return tf.grad((a: tf.Tensor) => {
        const y = tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad);
        return tf.sum(tf.mul(y, tf.reshape(tf.range(1, y.size + 1), y.shape)));
      })(x);
    });
    assertClose(result, `MaxPoolGrad ${JSON.stringify(c)}`);
  }
});

test('MaxPoolGrad sends ties to the first maximum and skips NaN, like cpu', async () => {
  // 2x2 windows: all zero, all one, all -2, a tie between 3s, and two holding NaN or -Infinity.
  const rows = [
    [0, 0, 1, 1, -2, -2, NaN, 5],
    [0, 0, 1, 1, -2, -2, 4, NaN],
    [3, 0, -Infinity, -Infinity, 7, 7, 0, 0],
    [3, 0, -Infinity, -1, 7, 7, 0, 0],
  ];
  const xv = new Float32Array(rows.flat());
  const result = await onBoth(() => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d(xv, [1, 4, 8, 1])));
  assertClose(result, 'MaxPoolGrad ties');
});

test('MaxPoolGrad 2x2 stride 2 fast path matches cpu exactly: ReLU zeros, negative windows, NaN, infinities', async () => {
  // Even sizes, odd sizes (last row and column outside every window) and 'same' with no padding.
  const configs: Array<{ shape: [number, number, number, number]; pad: 'same' | 'valid' }> = [
    { shape: [2, 6, 8, 3], pad: 'valid' },
    { shape: [2, 7, 9, 3], pad: 'valid' },
    { shape: [1, 4, 6, 5], pad: 'same' },
    // Channels in fours take the SIMD loop.
    { shape: [2, 6, 8, 4], pad: 'valid' },
    { shape: [2, 7, 9, 8], pad: 'valid' },
    { shape: [1, 4, 6, 12], pad: 'same' },
  ];
  for (const c of configs) {
    const xv = valuesFor(c.shape, -1, 0.3);
    const half = xv.length / 2;
    for (let i = 0; i < xv.length; i++) {
      // First half as after a ReLU (many tied zeros, a -0 among them); the second keeps its
      // mostly negative values; NaN and infinities scattered through both.
      if (i < half) xv[i] = i % 19 === 0 ? -0 : Math.max(0, xv[i]);
      if (i % 11 === 0) xv[i] = NaN;
      else if (i % 13 === 0) xv[i] = -Infinity;
      else if (i % 29 === 0) xv[i] = Infinity;
    }
    // Windows that get no gradient: channel 0 of the first window all NaN or -Infinity,
    // channel 1 of the second all -Infinity.
    const [, , w, ch] = c.shape;
    const at = (row: number, col: number, k: number): number => (row * w + col) * ch + k;
    [NaN, -Infinity, -Infinity, NaN].forEach((v, i) => (xv[at(i >> 1, i & 1, 0)] = v));
    for (let i = 0; i < 4; i++) xv[at(i >> 1, 2 + (i & 1), 1)] = -Infinity;
    const info = tf.backend_util.computePool2DInfo(c.shape, [2, 2], [2, 2], 1, c.pad);
    // Distinct upstream values (so misrouting shows), with a -0 that cpu turns into +0.
    const dyv = new Float32Array(tf.util.sizeFromShape(info.outShape)).map((_, i) => (i % 7 === 0 ? -0 : i + 1));
    const result = await onBoth(() => {
      const x = tf.tensor4d(xv, c.shape);
      const output = tf.maxPool(x, 2, 2, c.pad);
      const dy = tf.tensor4d(dyv, info.outShape as [number, number, number, number]);
      const attrs = { filterSize: [2, 2], strides: [2, 2], pad: c.pad } as unknown as tf.NamedAttrMap;
      return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output }, attrs) as tf.Tensor;
    });
    // Bit for bit: same routing, and +0 (not -0) wherever cpu has it.
    assert.deepStrictEqual(Buffer.from(result.wasm[0].buffer), Buffer.from(result.cpu[0].buffer), `MaxPoolGrad ${JSON.stringify(c)}`);
  }
});

test('Tile matches cpu for float32, int32 and bool', async () => {
  const configs: Array<{ shape: number[]; reps: number[] }> = [
    { shape: [1, 1, 1, 5], reps: [3, 4, 2, 1] },
    { shape: [2, 3], reps: [2, 3] },
    { shape: [3], reps: [4] },
    { shape: [2, 1, 3], reps: [1, 5, 1] },
    { shape: [2, 2], reps: [1, 1] },
    { shape: [], reps: [] },
  ];
  for (const c of configs) {
    const fv = valuesFor(c.shape);
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const result = await onBoth(() => {
        const base = tf.tensor(fv, c.shape);
        const x = dtype === 'float32' ? base : dtype === 'int32' ? tf.cast(tf.mul(base, 100), 'int32') : tf.greater(base, 0);
        return c.shape.length === 0 ? tf.clone(x) : tf.tile(x, c.reps);
      });
      assertClose(result, `Tile ${JSON.stringify(c)} ${dtype}`);
    }
  }
});

test('Sum and Mean match cpu over every kind of axis set', async () => {
  const shape = [3, 4, 5, 6];
  const xv = valuesFor(shape, -3, 3);
  const axesList: number[][] = [[0], [1, 2], [0, 1, 2], [1], [3], [2, 3], [0, 2], [0, 1, 2, 3]];
  for (const axes of axesList) {
    for (const keepDims of [false, true]) {
      const result = await onBoth(() => {
        const x = tf.tensor(xv, shape);
        return [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)];
      });
      assertClose(result, `Sum/Mean axes ${axes} keepDims ${keepDims}`);
      // Shapes too, not just values.
      await tf.setBackend('wasm');
      const x = tf.tensor(xv, shape);
      const s = tf.sum(x, axes, keepDims);
      await tf.setBackend('cpu');
      const xc = tf.tensor(xv, shape);
      const sc = tf.sum(xc, axes, keepDims);
      assert.deepEqual(s.shape, sc.shape);
      tf.dispose([x, s, xc, sc]);
    }
  }
  // int32 input takes the stock path.
  const ints = await onBoth(() => tf.sum(tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), 0));
  assertClose(ints, 'Sum int32');
});

test('Identity and same-dtype Cast share data safely', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const backend = tf.backend();
  const before = backend.numDataIds();
  const a = tf.tensor([1, 2, 3]);
  const b = tf.clone(a);
  const c = tf.cast(a, 'float32');
  const d = tf.cast(a, 'int32');
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3]);
  assert.equal(d.dtype, 'int32');
  assert.deepEqual(Array.from(d.dataSync()), [1, 2, 3]);
  tf.dispose([b, c, d]);
  assert.equal(backend.numDataIds(), before, 'all data released');
  assert.ok(await tf.setBackend('cpu'));
});

test('gradients of a small conv-BN-ReLU-maxpool-GAP-dense net match cpu', async () => {
  const [n, size, ci] = [3, 11, 3];
  const xv = valuesFor([n, size, size, ci]);
  const w1v = valuesFor([3, 3, ci, 6]);
  const w2v = valuesFor([3, 3, 6, 8]);
  const wdv = valuesFor([8, 4]);
  const labels = [0, 3, 1];
  const result = await onBoth(() => {
    const x = tf.tensor4d(xv, [n, size, size, ci]);
    const params = [tf.tensor4d(w1v, [3, 3, ci, 6]), tf.ones([6]), tf.zeros([6]), tf.tensor4d(w2v, [3, 3, 6, 8]), tf.tensor2d(wdv, [8, 4]), tf.zeros([4])];
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
    const loss = (w1: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w2: tf.Tensor, wd: tf.Tensor, bd: tf.Tensor): tf.Scalar => {
      let h: tf.Tensor = tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      h = tf.relu(tf.batchNorm(h, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5));
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'same');
      h = tf.relu(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'valid'));
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(pooled, wd as tf.Tensor2D), bd);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    };
    return tf.grads(loss as unknown as (...args: tf.Tensor[]) => tf.Tensor)(params);
  });
  assertClose(result, 'whole-net gradients');
});

test('registration is idempotent and reports itself', () => {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
  try {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
  } finally {
    console.warn = original;
  }
  assert.deepEqual(warnings, []);
  assert.ok(wasmTrainingKernelsRegistered());
  for (const name of WASM_TRAINING_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), `${name} registered`);
});

interface DepthwiseCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  multiplier: number;
  k: number;
  stride: number;
  dilation: number;
  pad: Pad;
}

const depthwiseCases: DepthwiseCase[] = [];
for (const [n, h, w, ci, multiplier, k] of [
  [1, 7, 9, 3, 1, 3], // MobileNet's: multiplier 1, odd sizes
  [2, 8, 8, 4, 2, 3], // channel multiplier 2
  [2, 6, 5, 1, 3, 2], // one input channel, even filter
  [3, 10, 10, 8, 1, 5], // larger filter
] as const) {
  for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) depthwiseCases.push({ n, h, w, ci, multiplier, k, stride, dilation: 1, pad });
}
// Explicit padding.
depthwiseCases.push({ n: 2, h: 9, w: 8, ci: 2, multiplier: 2, k: 3, stride: 2, dilation: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] });

test('DepthwiseConv2dNativeBackpropFilter and ...BackpropInput exist on wasm and match cpu', async () => {
  for (const c of depthwiseCases) {
    const xShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
    const filterShape: [number, number, number, number] = [c.k, c.k, c.ci, c.multiplier];
    const outShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, c.stride, c.dilation, c.pad, undefined, true).outShape as [number, number, number, number];
    const [xv, fv, dyv] = [valuesFor(xShape), valuesFor(filterShape), valuesFor(outShape)];
    const label = `x[${xShape}] k${c.k} ×${c.multiplier} stride ${c.stride} dilation ${c.dilation} pad ${JSON.stringify(c.pad)}`;
    const attrs = { strides: c.stride, dilations: c.dilation, pad: c.pad };
    const filterGrad = await onBoth(
      () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(xv, xShape), dy: tf.tensor4d(dyv, outShape) }, { ...attrs, filterShape }) as tf.Tensor,
    );
    assertClose(filterGrad, `depthwise dW ${label}`);
    const inputGrad = await onBoth(
      () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.tensor4d(dyv, outShape), filter: tf.tensor4d(fv, filterShape) }, { ...attrs, inputShape: xShape }) as tf.Tensor,
    );
    assertClose(inputGrad, `depthwise dx ${label}`);
  }
});

test('a dilated depthwise gradient is refused with a message, as tfjs-core refuses it', async () => {
  assert.ok(await tf.setBackend('wasm'));
  assert.throws(
    () => tf.tidy(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.ones([1, 9, 9, 2]), dy: tf.ones([1, 9, 9, 2]) }, { strides: 1, dilations: 2, pad: 'same', filterShape: [3, 3, 2, 1] })),
    /dilated depthwise convolution .* not supported/,
  );
});

test('a depthwise convolution trains on wasm: tf.grads through it match cpu', async () => {
  const xShape: [number, number, number, number] = [2, 8, 8, 4];
  const filterShape: [number, number, number, number] = [3, 3, 4, 1];
  const [xv, fv] = [valuesFor(xShape), valuesFor(filterShape)];
  const result = await onBoth(() => {
    const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.square(tf.depthwiseConv2d(x, w, 2, 'same')));
    return tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([tf.tensor4d(xv, xShape), tf.tensor4d(fv, filterShape)]);
  });
  assertClose(result, 'grads of sum((depthwise(x, w))²)');
});
