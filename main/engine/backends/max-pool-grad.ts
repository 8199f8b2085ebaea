import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm-kernel-calls';
import { maxPoolGradSimdFor } from './simd/max-pool-grad-simd';
import { backendMemory } from './simd/instantiate';

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
 * Non-overlapping 2x2 windows (the reference CNN's pooling) take a branch-free fast path:
 * SIMD (simd/max-pool-grad.wat) when the channels come in fours, JavaScript otherwise.
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
  // Views are taken after the last allocation: a heap growth would detach them.
  const xv = backend.typedArrayFromHeap(input) as Float32Array;
  const yv = backend.typedArrayFromHeap(dy) as Float32Array;
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && pt === 0 && pl === 0 && 2 * oh <= h && 2 * ow <= w) {
    // Only a last odd row or column lies outside every window.
    if (2 * oh !== h || 2 * ow !== w) dx.fill(0);
    const memory = c % 4 === 0 ? backendMemory(backend) : null;
    const simd = memory === null ? null : maxPoolGradSimdFor(memory);
    if (simd !== null) {
      // Four channels per instruction, in place on the heap (simd/max-pool-grad.wat).
      const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
      simd.maxPoolGrad2x2(at(input), at(dy), at(out), n, h, w, c);
    } else {
      maxPoolGrad2x2(xv, yv, dx, n, h, w, c, oh, ow);
    }
    return out;
  }
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    const xBatch = b * h * w * c;
    for (let r = 0; r < oh; r++) {
      const r0 = Math.max(0, r * sh - pt);
      const r1 = Math.min(h, r * sh - pt + fh);
      for (let q = 0; q < ow; q++) {
        const c0 = Math.max(0, q * sw - pl);
        const c1 = Math.min(w, q * sw - pl + fw);
        const yBase = ((b * oh + r) * ow + q) * c;
        if (r1 - r0 === 2 && c1 - c0 === 2) {
          // 2x2 windows (the usual pooling) unrolled: ~1.4x faster than the loops below.
          const p00 = xBatch + (r0 * w + c0) * c;
          const down = w * c;
          for (let ch = 0; ch < c; ch++) {
            const p = p00 + ch;
            let best = xv[p];
            let at = p;
            // Same order and strict comparisons as the general loop (first maximum wins).
            if (!(best > -Infinity)) {
              best = -Infinity;
              at = -1;
            }
            const v1 = xv[p + c];
            if (v1 > best) {
              best = v1;
              at = p + c;
            }
            const v2 = xv[p + down];
            if (v2 > best) {
              best = v2;
              at = p + down;
            }
            if (xv[p + down + c] > best) at = p + down + c;
            if (at >= 0) dx[at] += yv[yBase + ch];
          }
          continue;
        }
        // The window (a few pixels x c channels) stays in L1 across the channel loop.
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = r0; i < r1; i++) {
            let p = xBatch + (i * w + c0) * c + ch;
            for (let j = c0; j < c1; j++, p += c) {
              const v = xv[p];
              if (v > best) {
                best = v;
                at = p;
              }
            }
          }
          // No element beats -Infinity only when all are NaN or -Infinity; cpu drops those too.
          if (at >= 0) dx[at] += yv[yBase + ch];
        }
      }
    }
  }
  return out;
}

/**
 * 2x2 windows with stride 2 and no padding: every input element lies in at most one
 * window, so each window writes its four dx entries itself (no fill, no +=).
 *
 * On real data the scan's branches are unpredictable; here the first maximum is picked
 * with comparisons turned into 0/1 integers instead, ~2x faster. Write them as `+(a > b)`
 * (a setcc): `a > b ? 1 : 0` compiles to a branch and is as slow as the scan. The strict
 * `>` keeps ties with the earlier element, as the scan does. Windows holding NaN or
 * -Infinity (their sum is NaN or -Infinity; float32 values cannot overflow a float64 sum)
 * take the scan.
 */
function maxPoolGrad2x2(xv: Float32Array, yv: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const down = w * c;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        const p00 = ((b * h + 2 * r) * w + 2 * q) * c;
        const end = p00 + c;
        // Channels innermost: four contiguous streams.
        for (let p = p00, yi = ((b * oh + r) * ow + q) * c; p < end; p++, yi++) {
          const x00 = xv[p];
          const x01 = xv[p + c];
          const x10 = xv[p + down];
          const x11 = xv[p + down + c];
          dx[p] = 0;
          dx[p + c] = 0;
          dx[p + down] = 0;
          dx[p + down + c] = 0;
          // `+ 0` turns a -0 gradient into +0, as the cpu backend's 0 + dy does.
          const g = yv[yi] + 0;
          if (x00 + x01 + x10 + x11 > -Infinity) {
            const top = +(x01 > x00) * c;
            const bottom = down + +(x11 > x10) * c;
            // The bottom row wins only if its maximum beats both top elements.
            const useBottom = (+(x10 > x00) & +(x10 > x01)) | (+(x11 > x00) & +(x11 > x01));
            dx[p + (top ^ ((top ^ bottom) & -useBottom))] = g;
          } else {
            let best = -Infinity;
            let at = -1;
            if (x00 > best) {
              best = x00;
              at = p;
            }
            if (x01 > best) {
              best = x01;
              at = p + c;
            }
            if (x10 > best) {
              best = x10;
              at = p + down;
            }
            if (x11 > best) at = p + down + c;
            if (at >= 0) dx[at] = g;
          }
        }
      }
    }
  }
}
