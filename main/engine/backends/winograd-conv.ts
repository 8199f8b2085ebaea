import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelCalls } from './wasm-kernel-calls';
import { backendMemory, currentBuffer } from './simd/instantiate';
import { winogradSimdFor, type WinogradSimd } from './simd/winograd-simd';
import { KernelPolicySwitch, type KernelPolicy } from './kernel-policy';
import { nativeKernels } from './native-kernels';

/**
 * 3x3 stride-1 convolutions on the wasm backend by Winograd's F(4x4, 3x3) algorithm.
 *
 * XNNPACK's direct convolution peaks at ~15-18 GFLOP/s here (one thread, SIMD). Winograd
 * cuts the multiplications 4x: each 6x6 input tile is transformed (V = Bᵀ d B), the filter
 * likewise (U = G g Gᵀ), and for each of the 36 "frequencies" the products summed over
 * input channels form one GEMM [tiles, ci] x [ci, co], run by wasm's BatchMatMul (XNNPACK's
 * fully-connected GEMM, ~20 GFLOP/s). The output transform (Y = Aᵀ M A) turns each 6x6
 * product tile into a 4x4 output tile. The input and output transforms run as WebAssembly
 * SIMD (simd/winograd.wat, 4 channels per instruction, ~3x faster than JS here) for channel
 * counts in fours, as JavaScript loops over the wasm heap otherwise.
 * Measured here (batch 64, per call): 32->64 at 16x16 and 64->128 at 8x8 take ~15-18 ms
 * instead of ~34 ms, 16->32 at 16x16 and 32->64 at 8x8 ~5-6 ms instead of ~9 ms.
 *
 * F(4x4) rather than F(2x2): half the GEMM work for the same transform cost per output.
 * Its rounding error (interpolation points 0, ±1, ±2) stays around 1e-5 of the largest
 * output, far below what training notices.
 *
 * Caveat inherent to Winograd: a non-finite input value spreads NaN over its whole
 * 4x4 output tile (Inf - Inf), where a direct convolution confines it to its 3x3 window.
 */

/** Input tile side: output tile (4) + filter side (3) - 1. */
const SPAN = 6;
const FREQS = SPAN * SPAN;

/**
 * Tiles transformed and multiplied at once: bounds the transformed buffers (36 x tiles x
 * (ci + co) floats) for large images. The reference CNN's layers fit in one chunk.
 */
let chunkBudget = 4 * 1024 * 1024;

const policy = new KernelPolicySwitch();

/** 'always'/'never' override the cost model below for every applicable conv; returns the previous policy. For tests and benchmarks. */
export function setWinogradPolicy(next: KernelPolicy): KernelPolicy {
  return policy.set(next);
}

let simdEnabled = true;

/** Turns the SIMD transforms off (JavaScript loops everywhere) or back on; returns the previous setting. For tests and benchmarks. */
export function setWinogradSimd(enabled: boolean): boolean {
  const previous = simdEnabled;
  simdEnabled = enabled;
  return previous;
}

/** The SIMD transforms on this backend's heap, if enabled and supported (also used by winograd-filter-grad.ts). */
export function simdOn(backend: BackendWasm): WinogradSimd | null {
  if (!simdEnabled) return null;
  const memory = backendMemory(backend);
  return memory === null ? null : winogradSimdFor(memory);
}

/** Changes the chunk budget (in float32 values); returns the previous one. For tests. */
export function setWinogradChunkBudget(values: number): number {
  const previous = chunkBudget;
  chunkBudget = Math.max(1, Math.floor(values));
  return previous;
}

export interface WinogradProblem {
  /** [n, h, w, ci] NHWC input. */
  x: tf.TensorInfo;
  /**
   * [3, 3, ci, co]; or, with `flipped`, the forward filter [3, 3, co, ci] of the convolution
   * whose input gradient this is, used rotated by 180 degrees with in/out swapped.
   */
  filter: tf.TensorInfo;
  flipped: boolean;
  /** Output pixel (r, c) reads input rows r - padTop .. r - padTop + 2 (zeros outside). */
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
  /** [co], added to every output pixel. */
  bias?: tf.TensorInfo;
  relu?: boolean;
}

/**
 * Whether Winograd is expected to beat XNNPACK's direct convolution, by a cost model fitted
 * (least squares, 66 shapes, batch 1-64) to measurements here (nanoseconds; one tile = 4x4
 * output pixels):
 * - direct: ~1 ns per output pixel per (ci, co) pair (~16 GFLOP/s; slower still for 3 channels);
 * - Winograd: per tile ~4.5 ns per pair (the GEMMs), ~690 ns, and per channel ~26 ns in and
 *   ~40 ns out with the SIMD transforms, ~130 ns with the JS ones (channels not in fours);
 *   plus ~440 ns per pair once (filter transform, and XNNPACK re-packing the 36 transformed
 *   filters) and ~0.28 ms per call; with 10% margin.
 * So it pays with 16 or more channels each way and enough tiles (16->32 at 16x16, batch 64:
 * 5.7 ms vs 8.9 ms), not for 3-channel images (3->32 at 32x32: 15 ms vs 9 ms) nor where the
 * filter cannot be amortised (batch 1: 4 ms vs 0.6 ms for 64->128 at 8x8).
 */
export function winogradPays(n: number, ci: number, co: number, outHeight: number, outWidth: number): boolean {
  return policy.decide(() => winogradCostModel(n, ci, co, outHeight, outWidth));
}

function winogradCostModel(n: number, ci: number, co: number, outHeight: number, outWidth: number): boolean {
  const tiles = n * Math.ceil(outHeight / 4) * Math.ceil(outWidth / 4);
  const pairs = ci * co;
  const perChannelIn = ci % 4 === 0 ? 26 : 130;
  const perChannelOut = co % 4 === 0 ? 40 : 130;
  const direct = n * outHeight * outWidth * pairs;
  const winograd = 1.1 * (tiles * (4.5 * pairs + perChannelIn * ci + perChannelOut * co + 690) + 440 * pairs + 280_000);
  return winograd < direct;
}

/** The 3x3 stride-1 convolution described by `p`, as a new float32 tensor [n, outHeight, outWidth, co]. */
export function winogradConv2d(backend: BackendWasm, p: WinogradProblem): tf.TensorInfo {
  const [n, h, w, ci] = p.x.shape;
  const co = p.flipped ? p.filter.shape[2] : p.filter.shape[3];
  const { outHeight: oh, outWidth: ow } = p;
  const th = Math.ceil(oh / 4);
  const tw = Math.ceil(ow / 4);
  const tiles = n * th * tw;
  // Every chunk multiplies whole [chunk, ci] planes, so a short last chunk would cost a full
  // one (64->64 at 16x16, batch 64: 41 ms instead of 28): the chunks are made equal instead.
  const maxChunk = Math.max(1, Math.floor(chunkBudget / (FREQS * (ci + co))));
  const chunk = Math.ceil(tiles / Math.ceil(tiles / maxChunk));

  const k = new WasmKernelCalls(backend);
  try {
    const out = k.own(backend.makeOutput([n, oh, ow, co], 'float32'));
    if (n * oh * ow * co === 0) return k.keep(out);
    const zeros = k.own(backend.makeOutput([ci], 'float32')); // what padding positions read
    // Both transforms would be SIMD ones: the native kernels run the whole convolution in one
    // call, block by block in cache, with the same arithmetic per tile (bit-identical).
    const native = ci % 4 === 0 && co % 4 === 0 && simdOn(backend) !== null ? nativeKernels() : null;
    if (native !== null) {
      (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
      const uf = transformFilter(backend.typedArrayFromHeap(p.filter) as Float32Array, ci, co, p.flipped);
      const heap = currentBuffer(backendMemory(backend)!); // SIMD is on, so the heap is exposed
      const byteOffset = (t: tf.TensorInfo): number => offsetOf(backend, t) * 4;
      native.winogradConv(heap, byteOffset(p.x), byteOffset(zeros), uf.u, uf.stride, byteOffset(out), p.bias !== undefined ? byteOffset(p.bias) : 0,
        n, h, w, ci, co, oh, ow, th, tw, p.padTop, p.padLeft, p.relu === true);
      return k.keep(out);
    }
    const u: tf.TensorInfo[] = [];
    const v: tf.TensorInfo[] = [];
    for (let f = 0; f < FREQS; f++) {
      u.push(k.own(backend.makeOutput([1, ci, co], 'float32')));
      // XNNPACK caches its packed copy of u[f] by tensor id, so every chunk reuses it.
      v.push(k.own(backend.makeOutput([1, chunk, ci], 'float32')));
    }
    (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
    const filter = backend.typedArrayFromHeap(p.filter) as Float32Array;
    const uf = transformFilter(filter, ci, co, p.flipped);
    for (let f = 0; f < FREQS; f++) (backend.typedArrayFromHeap(u[f]) as Float32Array).set(uf.u.subarray(f * uf.stride, f * uf.stride + ci * co));
    const bias = new Float32Array(co);
    if (p.bias !== undefined) bias.set(backend.typedArrayFromHeap(p.bias) as Float32Array);

    const geometry: Geometry = { n, h, w, ci, co, oh, ow, th, tw, padTop: p.padTop, padLeft: p.padLeft };
    const vAt = Int32Array.from(v, (t) => offsetOf(backend, t));
    // SIMD takes each transform whose channels come in fours (so 3->32 gets a JS input and
    // a SIMD output transform). Its scratch lives on the heap; pointers are byte offsets.
    const simd = ci % 4 === 0 || co % 4 === 0 ? simdOn(backend) : null;
    const simdIn = ci % 4 === 0 ? simd : null;
    const simdOut = co % 4 === 0 ? simd : null;
    const bytes = (t: tf.TensorInfo): number => offsetOf(backend, t) * 4;
    let vTable = 0, strip = 0, mTable = 0, scratch = 0, biasAt = 0;
    if (simdIn !== null) {
      const table = k.own(backend.makeOutput([FREQS], 'int32'));
      (backend.typedArrayFromHeap(table) as Int32Array).set(vAt.map((at) => at * 4));
      vTable = bytes(table);
      strip = bytes(k.own(backend.makeOutput([SPAN * (tw * 4 + 2) * ci], 'float32')));
    }
    if (simdOut !== null) {
      mTable = bytes(k.own(backend.makeOutput([FREQS], 'int32')));
      scratch = bytes(k.own(backend.makeOutput([4 * SPAN * co], 'float32')));
      if (p.bias !== undefined) biasAt = bytes(p.bias);
      else {
        const zeroBias = k.own(backend.makeOutput([co], 'float32'));
        (backend.typedArrayFromHeap(zeroBias) as Float32Array).fill(0);
        biasAt = bytes(zeroBias);
      }
    }
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const t1 = Math.min(tiles, t0 + chunk);
      if (simdIn !== null) {
        simdIn.inputTransform(bytes(p.x), bytes(zeros), vTable, strip, h, w, ci, th, tw, p.padTop, p.padLeft, t0, t1);
      } else {
        transformInput(heapOf(backend, out), offsetOf(backend, p.x), offsetOf(backend, zeros), vAt, geometry, t0, t1);
      }
      const m: tf.TensorInfo[] = [];
      for (let f = 0; f < FREQS; f++) m.push(k.run('BatchMatMul', { a: v[f], b: u[f] }, { transposeA: false, transposeB: false }));
      const mAt = Int32Array.from(m, (t) => offsetOf(backend, t));
      if (simdOut !== null) {
        // Views are taken after the allocations above: a heap growth would detach older ones.
        (new Int32Array(heapOf(backend, out).buffer, mTable, FREQS)).set(mAt.map((at) => at * 4));
        simdOut.outputTransform(mTable, bytes(out), scratch, biasAt, co, oh, ow, th, tw, t0, t1, p.relu === true ? 1 : 0);
      } else {
        transformOutput(heapOf(backend, out), mAt, offsetOf(backend, out), geometry, t0, t1, bias, p.relu === true);
      }
      // Freed per chunk to bound memory; k.dispose() skips them later (already gone).
      for (const t of m) backend.disposeData(t.dataId);
    }
    return k.keep(out);
  } finally {
    k.dispose();
  }
}

export interface Geometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  oh: number;
  ow: number;
  th: number;
  tw: number;
  padTop: number;
  padLeft: number;
}

/** The whole wasm heap as floats (via any tensor on it); tensors are addressed by their offset into it. */
function heapOf(backend: BackendWasm, any: tf.TensorInfo): Float32Array {
  return new Float32Array(backend.typedArrayFromHeap(any).buffer);
}

function offsetOf(backend: BackendWasm, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('winograd: tensor is not on the wasm backend');
  return data.memoryOffset / 4;
}

/**
 * U[f][c][o] = (G g Gᵀ)[f] for every 3x3 filter g = filter[:, :, c, o] (or the rotated and
 * swapped one), with G's rows for the points 0, 1, -1, 2, -2 and infinity:
 *   [1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1].
 * Frequency f's plane starts at f * stride in the result: a stride of exactly ci*co (often
 * a power of two) would make the 36 interleaved write streams collide in the L1 cache.
 */
function transformFilter(src: Float32Array, ci: number, co: number, flipped: boolean): { u: Float32Array; stride: number } {
  const plane = ci * co;
  const stride = plane + 16;
  const u = new Float32Array(FREQS * stride);
  const native = nativeKernels();
  if (native !== null) {
    native.winogradFilter(src, u, ci, co, flipped); // the loops below, bit for bit
    return { u, stride };
  }
  // Element (i, j, c, o) of the filter used is src[origin + i * di + j * dj + c * sc + o * so].
  const origin = flipped ? 8 * plane : 0;
  const di = flipped ? -3 * plane : 3 * plane;
  const dj = flipped ? -plane : plane;
  const sc = flipped ? 1 : co;
  const so = flipped ? ci : 1;
  const g = new Float64Array(SPAN * 3); // G·g, 6 rows x 3 columns
  const sixth = 1 / 6, twelfth = 1 / 12, quarter = 1 / 4, l24 = 1 / 24;
  for (let c = 0; c < ci; c++) {
    for (let o = 0; o < co; o++) {
      const at = origin + c * sc + o * so;
      for (let j = 0; j < 3; j++) {
        const top = at + j * dj;
        const g0 = src[top], g1 = src[top + di], g2 = src[top + 2 * di];
        const even = (g0 + g2) * sixth, odd = g1 * sixth;
        g[j] = g0 * quarter;
        g[3 + j] = -even - odd;
        g[6 + j] = odd - even;
        g[9 + j] = g0 * l24 + g1 * twelfth + g2 * sixth;
        g[12 + j] = g0 * l24 - g1 * twelfth + g2 * sixth;
        g[15 + j] = g2;
      }
      let base = c * co + o;
      for (let r = 0; r < SPAN; r++, base += SPAN * stride) {
        const g0 = g[r * 3], g1 = g[r * 3 + 1], g2 = g[r * 3 + 2];
        const even = (g0 + g2) * sixth, odd = g1 * sixth;
        u[base] = g0 * quarter;
        u[base + stride] = -even - odd;
        u[base + 2 * stride] = odd - even;
        u[base + 3 * stride] = g0 * l24 + g1 * twelfth + g2 * sixth;
        u[base + 4 * stride] = g0 * l24 - g1 * twelfth + g2 * sixth;
        u[base + 5 * stride] = g2;
      }
    }
  }
  return { u, stride };
}

/**
 * V[f][t - t0][c] = (Bᵀ d B)[f] for tiles t0..t1-1, d the 6x6 input window of tile t in
 * channel c. Bᵀ runs down the columns of a whole row of tiles at once into a strip (so the
 * two columns adjacent tiles share are transformed once), then B along each tile's rows.
 * Each loop runs along the channels, contiguous in NHWC, with few enough pointers for V8
 * to keep them in registers. Shared with winograd-filter-grad.ts, whose GEMMs take V in
 * the same layout.
 */
export function transformInput(heap: Float32Array, x: number, zeros: number, v: Int32Array, geo: Geometry, t0: number, t1: number): void {
  const { h, w, ci, th, tw, padTop, padLeft } = geo;
  const cols = tw * 4 + 2; // strip width, in input columns
  const line = cols * ci; // one of the strip's six rows
  const strip = new Float32Array(SPAN * line);
  const rowAt = new Int32Array(SPAN); // heap offset of each window row's first pixel, or -1
  let tc = t0 % tw;
  let tr = Math.floor(t0 / tw) % th;
  let b = Math.floor(t0 / (tw * th));
  for (let t = t0; t < t1; t++) {
    if (tc === 0 || t === t0) {
      for (let i = 0; i < SPAN; i++) {
        const r = tr * 4 + i - padTop;
        rowAt[i] = r >= 0 && r < h ? x + (b * h + r) * w * ci : -1;
      }
      for (let k = 0; k < cols; k++) {
        const col = k - padLeft;
        const inside = col >= 0 && col < w;
        const shift = col * ci;
        const q0 = inside && rowAt[0] >= 0 ? rowAt[0] + shift : zeros;
        const q1 = inside && rowAt[1] >= 0 ? rowAt[1] + shift : zeros;
        const q2 = inside && rowAt[2] >= 0 ? rowAt[2] + shift : zeros;
        const q3 = inside && rowAt[3] >= 0 ? rowAt[3] + shift : zeros;
        const q4 = inside && rowAt[4] >= 0 ? rowAt[4] + shift : zeros;
        const q5 = inside && rowAt[5] >= 0 ? rowAt[5] + shift : zeros;
        const o = k * ci;
        for (let c = 0; c < ci; c++) {
          const x0 = heap[q0 + c], x1 = heap[q1 + c], x2 = heap[q2 + c], x3 = heap[q3 + c], x4 = heap[q4 + c], x5 = heap[q5 + c];
          const p = x4 - 4 * x2, q = x3 - 4 * x1, d = x4 - x2, e = 2 * (x3 - x1);
          strip[o + c] = 4 * x0 - 5 * x2 + x4;
          strip[o + line + c] = p + q;
          strip[o + 2 * line + c] = p - q;
          strip[o + 3 * line + c] = d + e;
          strip[o + 4 * line + c] = d - e;
          strip[o + 5 * line + c] = 4 * x1 - 5 * x3 + x5;
        }
      }
    }
    const tb = (t - t0) * ci;
    for (let i = 0; i < SPAN; i++) {
      const r = i * line + tc * 4 * ci; // the tile's first column in strip row i
      const f = i * SPAN;
      const w0 = v[f] + tb, w1 = v[f + 1] + tb, w2 = v[f + 2] + tb, w3 = v[f + 3] + tb, w4 = v[f + 4] + tb, w5 = v[f + 5] + tb;
      for (let c = 0; c < ci; c++) {
        const x0 = strip[r + c], x1 = strip[r + ci + c], x2 = strip[r + 2 * ci + c], x3 = strip[r + 3 * ci + c], x4 = strip[r + 4 * ci + c], x5 = strip[r + 5 * ci + c];
        const p = x4 - 4 * x2, q = x3 - 4 * x1, d = x4 - x2, e = 2 * (x3 - x1);
        heap[w0 + c] = 4 * x0 - 5 * x2 + x4;
        heap[w1 + c] = p + q;
        heap[w2 + c] = p - q;
        heap[w3 + c] = d + e;
        heap[w4 + c] = d - e;
        heap[w5 + c] = 4 * x1 - 5 * x3 + x5;
      }
    }
    if (++tc === tw) {
      tc = 0;
      if (++tr === th) {
        tr = 0;
        b++;
      }
    }
  }
}

/**
 * y[tile t] = Aᵀ M B A (+ bias, ReLU) from the GEMM products M[f][t - t0][o]; output pixels
 * of tiles that overhang the image's bottom or right edge are not written.
 */
function transformOutput(heap: Float32Array, m: Int32Array, y: number, geo: Geometry, t0: number, t1: number, bias: Float32Array, relu: boolean): void {
  const { co, oh, ow, th, tw } = geo;
  const s = new Float32Array(4 * SPAN * co);
  const row = SPAN * co;
  let tc = t0 % tw;
  let tr = Math.floor(t0 / tw) % th;
  let b = Math.floor(t0 / (tw * th));
  for (let t = t0; t < t1; t++) {
    const tb = (t - t0) * co;
    for (let j = 0; j < SPAN; j++) {
      const q0 = m[j] + tb, q1 = m[6 + j] + tb, q2 = m[12 + j] + tb, q3 = m[18 + j] + tb, q4 = m[24 + j] + tb, q5 = m[30 + j] + tb;
      const o = j * co;
      for (let c = 0; c < co; c++) {
        const x0 = heap[q0 + c], x1 = heap[q1 + c], x2 = heap[q2 + c], x3 = heap[q3 + c], x4 = heap[q4 + c], x5 = heap[q5 + c];
        const p = x1 + x2, q = x1 - x2, d = x3 + x4, e = x3 - x4;
        s[o + c] = x0 + p + d;
        s[o + row + c] = q + 2 * e;
        s[o + 2 * row + c] = p + 4 * d;
        s[o + 3 * row + c] = q + 8 * e + x5;
      }
    }
    const r0 = tr * 4;
    const c0 = tc * 4;
    const rows = Math.min(4, oh - r0);
    const cols = Math.min(4, ow - c0);
    for (let i = 0; i < rows; i++) {
      const r = i * row;
      const dst = y + ((b * oh + r0 + i) * ow + c0) * co;
      for (let c = 0; c < co; c++) {
        const x0 = s[r + c], x1 = s[r + co + c], x2 = s[r + 2 * co + c], x3 = s[r + 3 * co + c], x4 = s[r + 4 * co + c], x5 = s[r + 5 * co + c];
        const p = x1 + x2, q = x1 - x2, d = x3 + x4, e = x3 - x4;
        const bc = bias[c];
        let y0 = x0 + p + d + bc, y1 = q + 2 * e + bc, y2 = p + 4 * d + bc, y3 = q + 8 * e + x5 + bc;
        if (relu) {
          y0 = y0 < 0 ? 0 : y0;
          y1 = y1 < 0 ? 0 : y1;
          y2 = y2 < 0 ? 0 : y2;
          y3 = y3 < 0 ? 0 : y3;
        }
        const at = dst + c;
        heap[at] = y0;
        if (cols > 1) heap[at + co] = y1;
        if (cols > 2) heap[at + 2 * co] = y2;
        if (cols > 3) heap[at + 3 * co] = y3;
      }
    }
    if (++tc === tw) {
      tc = 0;
      if (++tr === th) {
        tr = 0;
        b++;
      }
    }
  }
}
