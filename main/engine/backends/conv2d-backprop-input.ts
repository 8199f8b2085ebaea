import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asWasmBackend, stockKernelCaller, WasmKernelCalls } from './wasm-kernel-calls';
import { winogradConv2d, winogradPays } from './winograd-conv';

/**
 * Conv2DBackpropInput for the wasm backend. The stock one is a scalar loop, ~10x slower
 * than the forward convolution (393 ms vs 35 ms for the reference CNN's second layer).
 *
 * The input gradient is the "transposed convolution" of dy: spread dy out by the stride
 * (stride-1 zeros between neighbours), then convolve with the filter rotated by 180 degrees
 * and with its in/out channels swapped, padded so that every input pixel sees every window
 * it took part in. That is one call to wasm's XNNPACK Conv2D, or, for 3x3 stride 1 where its
 * cost model says it pays, Winograd (winograd-conv.ts) with the rotation folded into its
 * filter transform.
 *
 * `stock` is the stock kernel, used where this formulation does not apply.
 */
export function makeConv2dBackpropInputWasm(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  const fallback = stockKernelCaller('Conv2DBackpropInput', stock);
  return (args) => {
    const backend = asWasmBackend(args.backend);
    const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    checkDyShape(dy.shape, info.outShape);
    const padTop = info.filterHeight - 1 - info.padInfo.top;
    const padLeft = info.filterWidth - 1 - info.padInfo.left;
    const fast =
      info.dataFormat === 'channelsLast' && dy.dtype === 'float32' && filter.dtype === 'float32' && padTop >= 0 && padLeft >= 0 &&
      info.outHeight > 0 && info.outWidth > 0;
    if (!fast) return fallback(args);
    const winograd =
      info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
      info.inChannels === filter.shape[2] && info.inChannels > 0 && info.outChannels > 0 &&
      winogradPays(info.batchSize, info.outChannels, info.inChannels, info.inHeight, info.inWidth);
    if (winograd) {
      return winogradConv2d(backend, { x: dy, filter, flipped: true, padTop, padLeft, outHeight: info.inHeight, outWidth: info.inWidth });
    }
    return viaConv(backend, dy, filter, info, padTop, padLeft);
  };
}

function viaConv(backend: BackendWasm, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, padTop: number, padLeft: number): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const k = new WasmKernelCalls(backend);
  try {
    // Dilate dy by the stride: view each pixel as a 1x1 block and zero-pad it to sh x sw.
    // The block's trailing zeros after the last pixel simply count as bottom/right padding.
    let spread = dy;
    if (sh > 1 || sw > 1) {
      const blocks = k.reshape(dy, [n, oh, 1, ow, 1, co]);
      const padded = k.pad(blocks, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
      spread = k.reshape(padded, [n, oh * sh, ow * sw, co]);
    }
    const swapped = k.own(rotateAndSwap(backend, filter, kh, kw, ci, co)); // [kh, kw, co, ci]
    // Output size = spread + padTop + padBottom - kh + 1 must reach the input size; where the
    // forward pass ignored trailing input rows no padding is needed and the surplus is cut.
    const padBottom = h - spread.shape[1] - padTop + kh - 1;
    const padRight = w - spread.shape[2] - padLeft + kw - 1;
    const conv = k.conv2d(spread, swapped, { top: padTop, bottom: Math.max(0, padBottom), left: padLeft, right: Math.max(0, padRight) });
    return k.keep(k.sliceIfNeeded(conv, [n, h, w, ci]));
  } finally {
    k.dispose();
  }
}

/**
 * out[i,j,o,c] = filter[kh-1-i, kw-1-j, c, o]. Done here rather than with wasm's Reverse and
 * Transpose kernels: those use generic per-element index arithmetic and took longer than
 * this whole loop (~5 ms for a 3x3x64x128 filter).
 */
function rotateAndSwap(backend: BackendWasm, filter: tf.TensorInfo, kh: number, kw: number, ci: number, co: number): tf.TensorInfo {
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(filter) as Float32Array;
  let at = 0;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      for (let o = 0; o < co; o++) {
        for (let c = 0; c < ci; c++) dst[at++] = src[tap + c * co + o];
      }
    }
  }
  return out;
}

function checkDyShape(actual: number[], expected: number[]): void {
  if (actual.length !== 4 || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`Conv2DBackpropInput: dy has shape [${actual}] but the convolution's output shape is [${expected}]`);
  }
}
