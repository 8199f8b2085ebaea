import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm-kernel-calls';

/**
 * The two gradients of a depthwise convolution for the wasm backend, which has neither
 * (tfjs 4.22): without them a MobileNet cannot be fine-tuned on wasm ("Kernel
 * 'DepthwiseConv2dNativeBackpropFilter' not registered"). Plain loops over the wasm heap, in
 * NHWC with the channel innermost so every inner loop walks contiguous memory. Same
 * definitions as tfjs-backend-cpu's kernels: output channel d·M + q of the forward pass reads
 * input channel d through filter[r, c, d, q], M being the channel multiplier.
 */

type Geometry = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function geometry(xShape: number[], filterShape: number[], attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs | tf.DepthwiseConv2dNativeBackpropInputAttrs): Geometry {
  // As tfjs-core's gradient of depthwiseConv2d, which refuses them before any kernel runs.
  const dilations = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : (attrs.dilations ?? [1, 1]);
  if (dilations.some((d) => d !== 1)) throw new Error(`The gradient of a dilated depthwise convolution (dilations ${dilations.join('×')}) is not supported; use dilation 1`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true, // depthwise: the filter is [h, w, in, multiplier]
  );
}

/**
 * Visits every (output position, filter tap) pair whose input position lies inside the image,
 * with the offsets of x (or dx), dy and the filter tap's first element.
 */
function forEachTap(g: Geometry, visit: (xAt: number, dyAt: number, wAt: number) => void): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = g;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = g;
  const { top, left } = g.padInfo;
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      for (let r = 0; r < fh; r++) {
        const xr = yr * sh - top + r * dh;
        if (xr < 0 || xr >= h) continue;
        for (let yc = 0; yc < ow; yc++) {
          const dyAt = ((b * oh + yr) * ow + yc) * co;
          for (let c = 0; c < fw; c++) {
            const xc = yc * sw - left + c * dw;
            if (xc < 0 || xc >= w) continue;
            visit(((b * h + xr) * w + xc) * ci, dyAt, (r * fw + c) * co);
          }
        }
      }
    }
  }
}

export function depthwiseBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const g = geometry(x.shape, attrs.filterShape, attrs);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  // Views are taken after the last allocation: a heap growth would detach them.
  const dW = backend.typedArrayFromHeap(out) as Float32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  dW.fill(0);
  const ci = g.inChannels;
  const m = g.outChannels / ci;
  forEachTap(g, (xAt, dyAt, wAt) => {
    for (let d = 0; d < ci; d++) {
      const value = xv[xAt + d] as number;
      for (let q = 0; q < m; q++) dW[wAt + d * m + q] = (dW[wAt + d * m + q] as number) + value * (dyv[dyAt + d * m + q] as number);
    }
  });
  return out;
}

export function depthwiseBackpropInputWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const g = geometry(attrs.inputShape, filter.shape, attrs);
  const out = backend.makeOutput(attrs.inputShape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  const wv = backend.typedArrayFromHeap(filter) as Float32Array;
  dx.fill(0);
  const ci = g.inChannels;
  const m = g.outChannels / ci;
  forEachTap(g, (xAt, dyAt, wAt) => {
    for (let d = 0; d < ci; d++) {
      let sum = 0;
      for (let q = 0; q < m; q++) sum += (dyv[dyAt + d * m + q] as number) * (wv[wAt + d * m + q] as number);
      dx[xAt + d] = (dx[xAt + d] as number) + sum;
    }
  });
  return out;
}
