import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelCalls } from './wasm-kernel-calls';
import { backendMemory } from './simd/instantiate';
import { smallConvSimdFor, type SmallConvSimd } from './simd/small-conv-simd';
import { KernelPolicySwitch, type KernelPolicy } from './kernel-policy';

/**
 * Direct 3x3 stride-1 convolutions with few input channels (a CNN's first layer on RGB or
 * grayscale images) on the wasm backend, as WebAssembly SIMD (simd/small-conv.wat).
 *
 * With K = 9·ci = 27, XNNPACK's direct conv runs at ~8 GFLOP/s and the im2col GEMM of the
 * filter gradient does little better; Winograd does not pay for 3 channels either. Here the
 * forward pass keeps 2 pixels x 16 output channels of accumulators in locals over the 9·ci
 * taps, and the filter gradient 4 taps x 8 channels over blocks of pixels. The input is
 * first copied into a zero-padded buffer (cheap for so few channels), so neither loop has
 * edge cases.
 */

/** The most input channels (more would rather be a GEMM) and output channels (accumulator blocks are 16 wide). */
const MAX_CI = 4;
const MAX_CO = 64;

const policy = new KernelPolicySwitch();

/** 'never' sends every conv to the previous paths, 'always' ignores the size threshold (tests, benchmarks); returns the previous policy. */
export function setSmallConvPolicy(next: KernelPolicy): KernelPolicy {
  return policy.set(next);
}

/** Padding of a 3x3 stride-1 conv: output pixel (r, q) reads input rows r - top .. r - top + 2. */
export interface SmallConvGeometry {
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
}

/** The SIMD kernels for this conv, or null where they do not apply (the caller takes its usual path). */
export function smallConvFor(backend: BackendWasm, x: tf.TensorInfo, ci: number, co: number, g: SmallConvGeometry): SmallConvSimd | null {
  if (policy.current === 'never' || x.dtype !== 'float32' || x.shape.length !== 4) return null;
  const [n, h, w] = x.shape;
  const fits =
    ci >= 1 && ci <= MAX_CI && co >= 4 && co <= MAX_CO && co % 4 === 0 && n > 0 && g.outHeight > 0 && g.outWidth > 0 &&
    g.padTop >= 0 && g.padLeft >= 0 &&
    // non-negative bottom and right padding: the whole input fits in the padded buffer
    g.outHeight + 2 >= h + g.padTop && g.outWidth + 2 >= w + g.padLeft;
  if (!fits) return null;
  const memory = backendMemory(backend);
  return memory === null ? null : smallConvSimdFor(memory);
}

function bytes(backend: BackendWasm, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('small-conv: tensor is not on the wasm backend');
  return data.memoryOffset;
}

/** x itself where it needs no padding, else a zero-padded copy [n, oh + 2, ow + 2, ci] owned by `k`. */
function padded(simd: SmallConvSimd, k: WasmKernelCalls, x: tf.TensorInfo, g: SmallConvGeometry): tf.TensorInfo {
  const [n, h, w, ci] = x.shape;
  const hp = g.outHeight + 2;
  const wp = g.outWidth + 2;
  if (g.padTop === 0 && g.padLeft === 0 && hp === h && wp === w) return x;
  const xp = k.own(k.backend.makeOutput([n, hp, wp, ci], 'float32'));
  simd.pad(bytes(k.backend, x), bytes(k.backend, xp), n, h, w, ci, hp, wp, g.padTop, g.padLeft);
  return xp;
}

/** Conv2D / FusedConv2D (optional bias [co], optional ReLU) with filter [3, 3, ci, co]; a new [n, oh, ow, co] tensor. */
export function smallConv2d(
  backend: BackendWasm, simd: SmallConvSimd, x: tf.TensorInfo, filter: tf.TensorInfo, g: SmallConvGeometry,
  bias?: tf.TensorInfo, relu = false,
): tf.TensorInfo {
  const [n, , , ci] = x.shape;
  const co = filter.shape[3];
  const co16 = Math.ceil(co / 16) * 16;
  const k = new WasmKernelCalls(backend);
  try {
    const out = k.own(backend.makeOutput([n, g.outHeight, g.outWidth, co], 'float32'));
    const xp = padded(simd, k, x, g);
    const wt = k.own(backend.makeOutput([9 * ci, co16], 'float32'));
    const b16 = k.own(backend.makeOutput([co16], 'float32'));
    // Views are taken after the last allocation: a heap growth would detach them.
    const wv = backend.typedArrayFromHeap(wt) as Float32Array;
    const fv = backend.typedArrayFromHeap(filter) as Float32Array;
    if (co16 === co) wv.set(fv);
    else {
      wv.fill(0);
      for (let t = 0; t < 9 * ci; t++) wv.set(fv.subarray(t * co, (t + 1) * co), t * co16);
    }
    const bv = backend.typedArrayFromHeap(b16) as Float32Array;
    bv.fill(0);
    if (bias !== undefined) bv.set(backend.typedArrayFromHeap(bias) as Float32Array);
    simd.forward(
      bytes(backend, xp), bytes(backend, wt), bytes(backend, b16), bytes(backend, out),
      n, g.outHeight + 2, g.outWidth + 2, ci, g.outHeight, g.outWidth, co, co16, relu ? 1 : 0,
    );
    return k.keep(out);
  } finally {
    k.dispose();
  }
}

/**
 * Output rows per block of the filter gradient: ~128 pixels, so that a block's dy (at most
 * 32 KB for 64 channels) stays in L1/L2 while every group of taps sweeps it, and each float32
 * partial sum adds up a bounded number of products before it joins the total.
 */
const BLOCK_PIXELS = 128;

/** Conv2DBackpropFilter: dW [3, 3, ci, co] of the conv of x [n, h, w, ci] whose output gradient is dy [n, oh, ow, co]. */
export function smallConvFilterGrad(backend: BackendWasm, simd: SmallConvSimd, x: tf.TensorInfo, dy: tf.TensorInfo, g: SmallConvGeometry): tf.TensorInfo {
  const [n, , , ci] = x.shape;
  const co = dy.shape[3];
  const taps = 9 * ci;
  const slots = Math.ceil(taps / 4) * 4;
  const wp = g.outWidth + 2;
  const k = new WasmKernelCalls(backend);
  try {
    const out = k.own(backend.makeOutput([3, 3, ci, co], 'float32'));
    const xp = padded(simd, k, x, g);
    const acc = k.own(backend.makeOutput([slots, co], 'float32'));
    const offs = k.own(backend.makeOutput([slots], 'int32'));
    const ov = backend.typedArrayFromHeap(offs) as Int32Array;
    // Tap (i, j, c) reads xp[r + i, q + j, c]; the slots past the last tap repeat offset 0
    // (computed, never copied out).
    ov.fill(0);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < ci; c++) ov[(i * 3 + j) * ci + c] = ((i * wp + j) * ci + c) * 4;
    (backend.typedArrayFromHeap(acc) as Float32Array).fill(0);
    const blockRows = Math.max(1, Math.round(BLOCK_PIXELS / g.outWidth));
    simd.filterGrad(
      bytes(backend, xp), bytes(backend, dy), bytes(backend, acc), bytes(backend, offs), slots,
      n, g.outHeight + 2, wp, ci, g.outHeight, g.outWidth, co, blockRows,
    );
    (backend.typedArrayFromHeap(out) as Float32Array).set((backend.typedArrayFromHeap(acc) as Float32Array).subarray(0, taps * co));
    return k.keep(out);
  } finally {
    k.dispose();
  }
}

const MIN_FORWARD_PIXELS = 256;

/** Conv2D / FusedConv2D entry: the SIMD forward where it applies (3x3, stride and dilation 1, NHWC), else null. */
export function trySmallConv2d(
  backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs, bias?: tf.TensorInfo, relu = false,
): tf.TensorInfo | null {
  if (policy.current === 'never' || x.shape.length !== 4 || filter.shape.length !== 4 || filter.dtype !== 'float32') return null;
  if (filter.shape[0] !== 3 || filter.shape[1] !== 3 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return null;
  if (bias !== undefined && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== filter.shape[3])) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (info.inChannels !== filter.shape[2]) return null;
  // Below ~256 output pixels both take a few tens of microseconds, XNNPACK a hair less (measured).
  if (policy.current === 'auto' && info.batchSize * info.outHeight * info.outWidth < MIN_FORWARD_PIXELS) return null;
  const g = { padTop: info.padInfo.top, padLeft: info.padInfo.left, outHeight: info.outHeight, outWidth: info.outWidth };
  const simd = smallConvFor(backend, x, info.inChannels, info.outChannels, g);
  return simd === null ? null : smallConv2d(backend, simd, x, filter, g, bias, relu);
}

/** Conv2DBackpropFilter entry: the SIMD filter gradient where it applies, else null. */
export function trySmallConvFilterGrad(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo | null {
  const applies =
    info.dataFormat === 'channelsLast' && dy.dtype === 'float32' && info.filterHeight === 3 && info.filterWidth === 3 &&
    info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  if (!applies) return null;
  const g = { padTop: info.padInfo.top, padLeft: info.padInfo.left, outHeight: info.outHeight, outWidth: info.outWidth };
  const simd = smallConvFor(backend, x, info.inChannels, info.outChannels, g);
  return simd === null ? null : smallConvFilterGrad(backend, simd, x, dy, g);
}
