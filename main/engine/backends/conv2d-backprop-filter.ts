import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { asWasmBackend, WasmKernelCalls } from './wasm-kernel-calls';
import { winogradFilterGrad, winogradFilterGradPays } from './winograd-filter-grad';
import { trySmallConvFilterGrad } from './small-conv';
import { nativeKernels } from './native-kernels';
import { backendMemory, currentBuffer } from './simd/instantiate';

/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none, so a CNN
 * cannot train on it at all).
 *
 *   dW[kh,kw,ci,co] = sum over (b,oh,ow) of x[b, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[b,oh,ow,co]
 *
 * is one matrix product: patches [kh*kw*ci, n*oh*ow] (im2col of x, built here) times dy
 * viewed as [n*oh*ow, co], run by wasm's BatchMatMul, i.e. XNNPACK's fully-connected GEMM;
 * the product is dW already in its [kh,kw,ci,co] layout.
 *
 * The other well-known formulation, a convolution of x (batch and channels swapped) with dy
 * as a dilated filter through wasm's Conv2D, gives the same numbers but measured 1.3x to 3x
 * slower here: that path re-transposes the large dy "filter" with a generic per-element
 * loop before XNNPACK packs it.
 */
export function conv2dBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x, dy } = args.inputs as unknown as tf.Conv2DBackpropFilterInputs & { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  checkDyShape(dy.shape, info.outShape);

  const { top: pt, left: pl } = info.padInfo;
  const fast =
    info.dataFormat === 'channelsLast' && x.dtype === 'float32' && dy.dtype === 'float32' && pt >= 0 && pl >= 0 &&
    info.outHeight > 0 && info.outWidth > 0;
  // 3x3 stride 1: Winograd F(4x4,3x3) where its cost model says it beats im2col.
  const winograd =
    fast && info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.inChannels > 0 && info.outChannels > 0 &&
    winogradFilterGradPays(info.batchSize, info.inChannels, info.outChannels, info.outHeight, info.outWidth);
  if (winograd) return winogradFilterGrad(backend, x, dy, pt, pl);
  // 3x3 stride 1, few input channels: direct SIMD loops (small-conv.ts), faster than im2col.
  const small = fast ? trySmallConvFilterGrad(backend, x, dy, info) : null;
  if (small) return small;
  return fast ? viaMatMul(backend, x, dy, info) : viaLoops(backend, x, dy, info);
}

/**
 * The patch matrix is kh*kw*ci times larger than x, so it is built and multiplied in chunks
 * of output rows holding at most this many values (dW is the sum of the chunks' products).
 * 8M floats (32 MB) covers the reference CNN in one chunk while keeping large images
 * within the wasm heap's 2-4 GB.
 */
let patchBudget = 8 * 1024 * 1024;

/** Changes the chunk size (in float32 values); returns the previous one. For tests and tuning. */
export function setPatchBudget(values: number): number {
  const previous = patchBudget;
  patchBudget = Math.max(1, Math.floor(values));
  return previous;
}

/** Output rows [g0, g1) of the flattened (batch, output row) index, and what they hold. */
interface RowRange {
  g0: number;
  g1: number;
}

function viaMatMul(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const taps = kh * kw * ci;
  const rows = n * oh;
  const rowsPerChunk = Math.max(1, Math.floor(patchBudget / (taps * ow)));
  const native = nativeKernels();
  const memory = backendMemory(backend);
  if (native !== null && memory !== null) {
    // The same chunks and sums in one native call, without the patch matrix in memory (bit-identical).
    const out = backend.makeOutput([kh, kw, ci, co], 'float32');
    const bytes = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    const { top: pt, left: pl } = info.padInfo;
    // The heap is read after makeOutput: allocating may have grown (and so replaced) its buffer.
    native.patchFilterGrad(currentBuffer(memory), bytes(x), bytes(dy), bytes(out), n, h, w, ci, co, oh, ow, kh, kw, sh, sw, pt, pl, rowsPerChunk);
    return out;
  }
  // Channel-major copy of x ([ci, n*h*w]): every patch row is then made of runs read
  // left to right from one channel plane, instead of one value per channel-strided read.
  const planes = channelMajor(backend.typedArrayFromHeap(x) as Float32Array, n * h * w, ci);
  const fill = sh === 1 && sw === 1 && oh === h && ow === w ? shiftedPlanes : patchRows;

  if (rowsPerChunk >= rows) {
    const k = new WasmKernelCalls(backend);
    try {
      const patches = k.own(backend.makeOutput([1, taps, rows * ow], 'float32'));
      fill(backend.typedArrayFromHeap(patches) as Float32Array, planes, info, { g0: 0, g1: rows });
      const prod = k.run('BatchMatMul', { a: patches, b: k.reshape(dy, [1, rows * ow, co]) }, { transposeA: false, transposeB: false });
      return k.keep(k.reshape(prod, [kh, kw, ci, co]));
    } finally {
      k.dispose();
    }
  }

  const sum = new Float64Array(taps * co);
  for (let g0 = 0; g0 < rows; g0 += rowsPerChunk) {
    const range = { g0, g1: Math.min(rows, g0 + rowsPerChunk) };
    const cols = (range.g1 - range.g0) * ow;
    const k = new WasmKernelCalls(backend);
    try {
      const patches = k.own(backend.makeOutput([1, taps, cols], 'float32'));
      // XNNPACK keys its packed weights by tensor, so this chunk of dy needs one of its own.
      const dyPart = k.own(backend.makeOutput([1, cols, co], 'float32'));
      (backend.typedArrayFromHeap(dyPart) as Float32Array).set((backend.typedArrayFromHeap(dy) as Float32Array).subarray(g0 * ow * co, range.g1 * ow * co));
      fill(backend.typedArrayFromHeap(patches) as Float32Array, planes, info, range);
      const prod = k.run('BatchMatMul', { a: patches, b: dyPart }, { transposeA: false, transposeB: false });
      const part = backend.typedArrayFromHeap(prod) as Float32Array;
      for (let i = 0; i < sum.length; i++) sum[i] += part[i];
    } finally {
      k.dispose(); // frees this chunk's buffers before the next one is allocated
    }
  }
  const out = backend.makeOutput([kh, kw, ci, co], 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).set(sum);
  return out;
}

/**
 * Patch matrix for stride 1 with output size = input size ('same'): for each tap and
 * channel, the patch row over the chunk's pixels is the channel plane shifted by the tap's
 * offset, so it is one contiguous copy; only the values that wrapped across an image edge
 * (or into the neighbouring image) are then overwritten with the zero padding.
 */
function shiftedPlanes(dst: Float32Array, planes: Float32Array, info: tf.backend_util.Conv2DInfo, { g0, g1 }: RowRange): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, filterHeight: kh, filterWidth: kw } = info;
  const { top: pt, left: pl } = info.padInfo;
  const plane = n * h * w;
  const q0 = g0 * w; // first pixel of the chunk (output pixels are input pixels here)
  const q1 = g1 * w;
  const cols = q1 - q0;
  for (let i = 0; i < kh; i++) {
    const dr = i - pt; // source row = output row + dr
    const r0 = Math.max(0, -dr);
    const r1 = Math.min(h, h - dr);
    for (let j = 0; j < kw; j++) {
      const dc = j - pl;
      const s0 = Math.max(0, -dc);
      const s1 = Math.min(w, w - dc);
      const shift = dr * w + dc;
      // Pixels p of the chunk whose shifted source p + shift lies inside the channel plane.
      const p0 = Math.max(q0, -shift);
      const p1 = Math.min(q1, plane - shift);
      for (let c = 0; c < ci; c++) {
        const o = ((i * kw + j) * ci + c) * cols - q0; // dst index of pixel p is o + p
        if (p1 > p0) dst.set(planes.subarray(c * plane + p0 + shift, c * plane + p1 + shift), o + p0);
        dst.fill(0, o + q0, o + Math.max(q0, Math.min(p0, q1)));
        dst.fill(0, o + Math.min(q1, Math.max(p1, q0)), o + q1);
        if (r0 === 0 && r1 === h && s0 === 0 && s1 === w) continue;
        for (let g = g0; g < g1; g++) {
          const r = g % h;
          const row = o + g * w;
          if (r < r0 || r >= r1) {
            dst.fill(0, row, row + w);
            continue;
          }
          for (let q = 0; q < s0; q++) dst[row + q] = 0;
          for (let q = s1; q < w; q++) dst[row + q] = 0;
        }
      }
    }
  }
}

/** Patch matrix for any stride and padding, one output row segment at a time. */
function patchRows(dst: Float32Array, planes: Float32Array, info: tf.backend_util.Conv2DInfo, { g0, g1 }: RowRange): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top: pt, left: pl } = info.padInfo;
  const plane = n * h * w;
  let o = 0;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns whose input column lies inside the image, for this tap.
      const s0 = Math.min(ow, Math.max(0, Math.ceil((pl - j) / sw)));
      const s1 = Math.max(s0, Math.min(ow, Math.floor((w - 1 + pl - j) / sw) + 1));
      for (let c = 0; c < ci; c++) {
        for (let g = g0; g < g1; g++, o += ow) {
          const b = Math.floor(g / oh);
          const xr = (g - b * oh) * sh + i - pt;
          if (xr < 0 || xr >= h) {
            dst.fill(0, o, o + ow);
            continue;
          }
          for (let s = 0; s < s0; s++) dst[o + s] = 0;
          let at = c * plane + (b * h + xr) * w + s0 * sw + j - pl;
          if (sw === 1) {
            for (let s = s0; s < s1; s++) dst[o + s] = planes[at++];
          } else {
            for (let s = s0; s < s1; s++, at += sw) dst[o + s] = planes[at];
          }
          for (let s = s1; s < ow; s++) dst[o + s] = 0;
        }
      }
    }
  }
}

/** [rows, cols] -> [cols, rows], in blocks of rows small enough to stay in L1. */
function channelMajor(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const block = Math.max(8, Math.floor(4096 / cols));
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c = 0; c < cols; c++) {
      let at = r0 * cols + c;
      const base = c * rows;
      for (let r = r0; r < r1; r++, at += cols) out[base + r] = src[at];
    }
  }
  return out;
}

/**
 * Plain loops over the wasm heap: slow, but correct for the layouts and paddings the
 * conv formulation does not cover (NCHW, negative explicit padding).
 */
function viaLoops(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top: pt, left: pl } = info.padInfo;
  const last = info.dataFormat === 'channelsLast';
  // Element strides (batch, row, col, channel) of x and dy in their layout.
  const xs = last ? [h * w * ci, w * ci, ci, 1] : [ci * h * w, w, 1, h * w];
  const ys = last ? [oh * ow * co, ow * co, co, 1] : [co * oh * ow, ow, 1, oh * ow];

  const out = backend.makeOutput([kh, kw, ci, co], 'float32');
  const dw = backend.typedArrayFromHeap(out) as Float32Array;
  dw.fill(0);
  // Views are taken after the last allocation: a heap growth would detach them.
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const yv = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let c = 0; c < ow; c++) {
        const yBase = b * ys[0] + r * ys[1] + c * ys[2];
        for (let i = 0; i < kh; i++) {
          const xr = r * sh + i - pt;
          if (xr < 0 || xr >= h) continue;
          for (let j = 0; j < kw; j++) {
            const xc = c * sw + j - pl;
            if (xc < 0 || xc >= w) continue;
            const xBase = b * xs[0] + xr * xs[1] + xc * xs[2];
            for (let p = 0; p < ci; p++) {
              const xval = xv[xBase + p * xs[3]];
              const wBase = ((i * kw + j) * ci + p) * co;
              for (let q = 0; q < co; q++) dw[wBase + q] += xval * yv[yBase + q * ys[3]];
            }
          }
        }
      }
    }
  }
  return out;
}

function checkDyShape(actual: number[], expected: number[]): void {
  if (actual.length !== 4 || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`Conv2DBackpropFilter: dy has shape [${actual}] but the convolution's output shape is [${expected}]`);
  }
}
