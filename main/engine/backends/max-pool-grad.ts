import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm-kernel-calls';

/**
 * MaxPoolGrad for the wasm backend.
 *
 * The stock 4.22 kernel is wrong whenever a pooling window holds no value above
 * FLT_MIN (~1e-38): it starts its running maximum at std::numeric_limits<float>::min()
 * instead of -infinity, so windows of negative numbers (max-pooling without a ReLU in
 * front) lose their whole gradient. It also sends ties to the last maximum where the cpu
 * backend (and TensorFlow) send them to the first.
 *
 * This version scans each window in row-major order and routes dy to the first element
 * holding the maximum, exactly like tfjs-backend-cpu, working on the wasm heap in place.
 */
export function maxPoolGradWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top: pt, left: pl } = info.padInfo;
  if (dy.shape.some((d, i) => d !== info.outShape[i])) {
    throw new Error(`MaxPoolGrad: dy has shape [${dy.shape}] but the pooling output shape is [${info.outShape}]`);
  }

  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  // Views are taken after the last allocation: a heap growth would detach them.
  const xv = backend.typedArrayFromHeap(input) as Float32Array;
  const yv = backend.typedArrayFromHeap(dy) as Float32Array;
  // Per-channel running maxima for one output pixel: the channel loop is innermost so that
  // every read walks memory contiguously (NHWC).
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    const xBatch = b * h * w * c;
    for (let r = 0; r < oh; r++) {
      const r0 = Math.max(0, r * sh - pt);
      const r1 = Math.min(h, r * sh - pt + fh);
      for (let q = 0; q < ow; q++) {
        const c0 = Math.max(0, q * sw - pl);
        const c1 = Math.min(w, q * sw - pl + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let i = r0; i < r1; i++) {
          for (let j = c0; j < c1; j++) {
            const base = xBatch + (i * w + j) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xv[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                where[ch] = base + ch;
              }
            }
          }
        }
        const yBase = ((b * oh + r) * ow + q) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = where[ch];
          if (at >= 0) dx[at] += yv[yBase + ch];
        }
      }
    }
  }
  return out;
}
