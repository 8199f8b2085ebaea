import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelCalls } from './wasm-kernel-calls';
import { simdOn, transformInput, type Geometry } from './winograd-conv';
import { KernelPolicySwitch, type KernelPolicy } from './kernel-policy';
import { nativeKernels } from './native-kernels';
import { backendMemory, currentBuffer } from './simd/instantiate';

/**
 * Filter gradient of a 3x3 stride-1 NHWC convolution by Winograd's algorithm:
 *
 *   dW[i,j,c,o] = sum over (b,r,s) of x[b, r+i-padTop, s+j-padLeft, c] * dy[b,r,s,o]
 *
 * is a correlation of x with dy giving a 3x3 result. Split the output (r,s) into 4x4
 * tiles: each tile contributes the correlation of a 6x6 input window d with the 4x4 dy
 * tile g. F(4x4,3x3) computes y = Aᵀ[(G w Gᵀ) ⊙ (Bᵀ d B)]A; its trilinear form
 * sum(y' ⊙ y) is symmetric in the roles, so differentiating with respect to the filter w
 * gives the filter gradient with the same matrices, transposed where needed:
 *
 *   dW = Gᵀ [ (A g Aᵀ) ⊙ (Bᵀ d B) ] G      (A: 6x4, G: 6x3, as in winograd-conv.ts)
 *
 * Summed over tiles, each of the 36 frequencies f is one GEMM
 *   M[f] [co, ci] = Wt[f] [co, tiles] x V[f] [tiles, ci],
 * run by wasm's BatchMatMul (XNNPACK). Then Gᵀ M G per (o, c) gives dW. The GEMMs do 36
 * multiply-adds per 16 output pixels and (ci, co) pair instead of im2col's 9 per pixel.
 *
 * BatchMatMul only reaches XNNPACK without transposes, so one operand must have the tile
 * index contiguous: dy's transform writes Wt channel by channel in tile order; x's (the
 * forward Winograd's input transform) writes V in NHWC order, and XNNPACK packs V as its
 * "weights" afresh for every call. That packing costs ~8 ns per value, so the packed side
 * should have the fewer channels: x, in every layer of the reference CNN.
 *
 * Both transforms run as WebAssembly SIMD (simd/winograd.wat; the input one shared with
 * winograd-conv.ts) when their channel counts are multiples of 4, as JS loops otherwise.
 * Measured per call (batch 64): 32->64 at 16x16 ~25 ms instead of ~42 (im2col), 64->128 at
 * 8x8 ~19 instead of ~38, 16->32 at 16x16 ~9 instead of ~11, 32->64 at 8x8 ~6 instead of
 * ~10; relative error ~1e-5.
 */

const SPAN = 6;
const FREQS = SPAN * SPAN;

/** Tiles handled at once: bounds the transformed buffers (36 x tiles x (ci + co) floats). */
let chunkBudget = 4 * 1024 * 1024;

const policy = new KernelPolicySwitch();

/** 'always'/'never' override the cost model for every applicable call; returns the previous policy. For tests and benchmarks. */
export function setWinogradFilterGradPolicy(next: KernelPolicy): KernelPolicy {
  return policy.set(next);
}

/** Changes the chunk budget (in float32 values); returns the previous one. For tests. */
export function setWinogradFilterGradChunkBudget(values: number): number {
  const previous = chunkBudget;
  chunkBudget = Math.max(1, Math.floor(values));
  return previous;
}

/**
 * Whether Winograd is expected to beat the im2col GEMM (conv2d-backprop-filter.ts), by a
 * cost model fitted to per-call measurements here (one thread, nanoseconds):
 * - im2col: ~1.3 ns per output pixel per (ci, co) pair plus ~5 per pixel and input channel;
 * - Winograd, per 4x4 tile: ~2 ns per pair (the 36 GEMMs), ~80 per input channel (XNNPACK
 *   re-packing the 36 fresh [tiles, ci] "weights") plus the transforms: ~30 per input and
 *   ~90 per output channel as SIMD (channels in fours), ~160 and ~200 as JS loops; plus
 *   ~0.3 ms per call (36 XNNPACK operators created and freed); with 10% margin.
 * First fitted on the reference CNN's layers (ci ≠ co), the model overcharged Winograd's GEMMs
 * and packing by 2-3x, which kept the CIFAR ResNets' equal-width layers on im2col; refitted
 * with them (batch 64, Winograd vs im2col, ms): 16->16 at 32x32 ~19-23 vs ~27-38, 32->32 at
 * 16x16 ~7-9 vs ~13, 64->64 at 8x8 ~5 vs ~7, 32->64 at 16x16 ~12 vs ~19, 16->32 at 16x16
 * ~4.3 vs ~5.4. It does not pay for few input channels: 3->16 at 32x32 ~6.2 vs ~1.6 (the
 * direct SIMD path), 8->8 at 32x32 ~5.4 vs ~4.0.
 */
export function winogradFilterGradPays(n: number, ci: number, co: number, outHeight: number, outWidth: number): boolean {
  return policy.decide(() => winogradFilterGradCost(n, ci, co, outHeight, outWidth) < im2colCost(n, ci, co, outHeight, outWidth));
}

/** Estimated ms of the Winograd path (with its margin). */
export function winogradFilterGradCost(n: number, ci: number, co: number, outHeight: number, outWidth: number): number {
  const tiles = n * Math.ceil(outHeight / 4) * Math.ceil(outWidth / 4);
  const perIn = 80 + (ci % 4 === 0 ? 30 : 160);
  const perOut = co % 4 === 0 ? 90 : 200;
  return 1.1 * (1e-6 * tiles * (2 * ci * co + perIn * ci + perOut * co) + 0.3);
}

/** Estimated ms of the im2col path. */
export function im2colCost(n: number, ci: number, co: number, outHeight: number, outWidth: number): number {
  return 1e-6 * n * outHeight * outWidth * (1.3 * ci * co + 5 * ci);
}

/**
 * [3, 3, ci, co] filter gradient (new float32 tensor) of the 3x3 stride-1 convolution of x
 * [n, h, w, ci] whose output gradient is dy [n, oh, ow, co]: output pixel (r, s) reads
 * input rows r - padTop .. r - padTop + 2 (zeros outside), likewise for columns.
 */
export function winogradFilterGrad(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, padTop: number, padLeft: number): tf.TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const th = Math.ceil(oh / 4);
  const tw = Math.ceil(ow / 4);
  const tiles = n * th * tw;
  // Whole rows of tiles per chunk (the dy transform works on rows of tiles).
  const chunk = Math.min(tiles, tw * Math.max(1, Math.floor(chunkBudget / (FREQS * (ci + co) * tw))));
  const geo: Geometry = { n, h, w, ci, co, oh, ow, th, tw, padTop, padLeft };

  const k = new WasmKernelCalls(backend);
  try {
    const out = k.own(backend.makeOutput([3, 3, ci, co], 'float32'));
    if (tiles * ci * co === 0) {
      (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
      return k.keep(out);
    }
    // What padding positions of x and dy read.
    const zeros = k.own(backend.makeOutput([Math.max(ci, co)], 'float32'));
    (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
    // The input transform is winograd-conv.ts's (same V layout); both transforms run as
    // SIMD when their channels come in fours, as JS loops otherwise.
    const simd = ci % 4 === 0 || co % 4 === 0 ? simdOn(backend) : null;
    const simdIn = ci % 4 === 0 ? simd : null;
    const simdOut = co % 4 === 0 ? simd : null;
    const bytes = (t: tf.TensorInfo): number => offsetOf(backend, t) * 4;
    // Both transforms would be SIMD ones: the native kernels run the chunks below in one call,
    // block by block in cache, with the same chunks and the same arithmetic (bit-identical).
    const native = simdIn !== null && simdOut !== null ? nativeKernels() : null;
    if (native !== null) {
      const sum = new Float64Array(FREQS * co * ci);
      const heap = currentBuffer(backendMemory(backend)!); // SIMD is on, so the heap is exposed
      native.winogradFilterGrad(heap, bytes(x), bytes(zeros), bytes(dy), sum, n, h, w, ci, co, oh, ow, th, tw, padTop, padLeft, chunk);
      transformOutput(backend.typedArrayFromHeap(out) as Float32Array, sum, ci, co);
      return k.keep(out);
    }
    const vTable = simdIn === null ? null : k.own(backend.makeOutput([FREQS], 'int32'));
    const strip = simdIn === null ? null : k.own(backend.makeOutput([SPAN * (tw * 4 + 2) * ci], 'float32'));
    const wtTable = simdOut === null ? null : k.own(backend.makeOutput([FREQS], 'int32'));
    const block = simdOut === null ? null : k.own(backend.makeOutput([FREQS * 64], 'float32'));
    const scratch = simdOut === null ? new Float32Array(SPAN * (co * (chunk * 4 + 16) + 128)) : null;
    const sum = new Float64Array(FREQS * co * ci); // M[f][o][c], summed over chunks

    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const t1 = Math.min(tiles, t0 + chunk);
      const len = t1 - t0;
      // Fresh tensors per chunk: XNNPACK caches its packed copy of a "weights" operand by
      // tensor id, so refilling the same tensor would silently reuse stale weights.
      const part = new WasmKernelCalls(backend);
      try {
        const wt: tf.TensorInfo[] = [];
        const v: tf.TensorInfo[] = [];
        for (let f = 0; f < FREQS; f++) {
          wt.push(part.own(backend.makeOutput([1, co, len], 'float32')));
          v.push(part.own(backend.makeOutput([1, len, ci], 'float32')));
        }
        // Views are taken after the allocations: a heap growth would detach older ones.
        const heap = heapOf(backend, out);
        const vAt = Int32Array.from(v, (t) => offsetOf(backend, t));
        const wtAt = Int32Array.from(wt, (t) => offsetOf(backend, t));
        if (simdIn !== null && vTable !== null && strip !== null) {
          new Int32Array(heap.buffer, bytes(vTable), FREQS).set(vAt.map((at) => at * 4));
          simdIn.inputTransform(bytes(x), bytes(zeros), bytes(vTable), bytes(strip), h, w, ci, th, tw, padTop, padLeft, t0, t1);
        } else {
          transformInput(heap, offsetOf(backend, x), offsetOf(backend, zeros), vAt, geo, t0, t1);
        }
        if (simdOut !== null && wtTable !== null && block !== null) {
          new Int32Array(heap.buffer, bytes(wtTable), FREQS).set(wtAt.map((at) => at * 4));
          simdOut.gradientTransform(bytes(dy), bytes(zeros), bytes(wtTable), bytes(block), co, oh, ow, th, tw, t0, t1);
        } else if (scratch !== null) {
          transformGradient(heap, offsetOf(backend, dy), offsetOf(backend, zeros), wtAt, geo, t0, t1, scratch);
        }
        const m: tf.TensorInfo[] = [];
        for (let f = 0; f < FREQS; f++) m.push(part.run('BatchMatMul', { a: wt[f], b: v[f] }, { transposeA: false, transposeB: false }));
        const heap2 = heapOf(backend, out);
        for (let f = 0; f < FREQS; f++) {
          const at = offsetOf(backend, m[f]);
          const base = f * co * ci;
          if (t0 === 0) sum.set(heap2.subarray(at, at + co * ci), base);
          else for (let i = 0; i < co * ci; i++) sum[base + i] += heap2[at + i];
        }
      } finally {
        part.dispose();
      }
    }
    transformOutput(backend.typedArrayFromHeap(out) as Float32Array, sum, ci, co);
    return k.keep(out);
  } finally {
    k.dispose();
  }
}

function heapOf(backend: BackendWasm, any: tf.TensorInfo): Float32Array {
  return new Float32Array(backend.typedArrayFromHeap(any).buffer);
}

function offsetOf(backend: BackendWasm, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('winograd filter gradient: tensor is not on the wasm backend');
  return data.memoryOffset / 4;
}

/**
 * The JS fallback of winograd.wat's gradientTransform (channel counts not in fours):
 * Wt[f][o][t - t0] = (A g Aᵀ)[f] for the tiles t0..t1-1 (whole rows of tiles), g the tile's
 * 4x4 dy values in channel o (zero beyond the output). A's rows (points 0, 1, -1, 2, -2,
 * infinity) map (g0..g3) to
 *   g0, g0+g1+g2+g3, g0-g1+g2-g3, g0+2g1+4g2+8g3, g0-2g1+4g2-8g3, g3.
 * Two passes of long, simple loops (what V8 runs fastest): A down the columns, reading dy
 * along its contiguous channels, into channel planes of 6 rows per tile row; then A along
 * each tile's 4 columns, which are contiguous there, into the 36 outputs in tile order.
 */
function transformGradient(heap: Float32Array, dy: number, zeros: number, wt: Int32Array, geo: Geometry, t0: number, t1: number, scratch: Float32Array): void {
  const { co, oh, ow, th, tw } = geo;
  const pw = tw * 4;
  const r0 = t0 / tw; // first tile row (over all images); chunks hold whole tile rows
  const rows = (t1 - t0) / tw;
  const len = t1 - t0;
  // scratch is [6][co][rows * pw], padded: the first pass writes 6*co streams at once, and
  // power-of-two distances between them would make them evict each other from L1.
  const cplane = rows * pw + 16;
  const fstride = co * cplane + 128;
  for (let rr = 0; rr < rows; rr++) {
    const tr = (r0 + rr) % th;
    const b = (r0 + rr - tr) / th;
    const at = new Int32Array(4);
    for (let i = 0; i < 4; i++) {
      const r = tr * 4 + i;
      at[i] = r < oh ? dy + (b * oh + r) * ow * co : -1;
    }
    for (let s = 0; s < pw; s++) {
      const inside = s < ow;
      const a0 = inside && at[0] >= 0 ? at[0] + s * co : zeros;
      const a1 = inside && at[1] >= 0 ? at[1] + s * co : zeros;
      const a2 = inside && at[2] >= 0 ? at[2] + s * co : zeros;
      const a3 = inside && at[3] >= 0 ? at[3] + s * co : zeros;
      let d = rr * pw + s;
      for (let o = 0; o < co; o++, d += cplane) {
        const g0 = heap[a0 + o], g1 = heap[a1 + o], g2 = heap[a2 + o], g3 = heap[a3 + o];
        const e = g0 + g2, q = g1 + g3, e4 = g0 + 4 * g2, q8 = 2 * g1 + 8 * g3;
        scratch[d] = g0;
        scratch[d + fstride] = e + q;
        scratch[d + 2 * fstride] = e - q;
        scratch[d + 3 * fstride] = e4 + q8;
        scratch[d + 4 * fstride] = e4 - q8;
        scratch[d + 5 * fstride] = g3;
      }
    }
  }
  for (let p = 0; p < SPAN; p++) {
    for (let o = 0; o < co; o++) {
      const src = p * fstride + o * cplane; // tile u's 4 columns start at src + 4u
      const off = o * len;
      const w0 = wt[p * SPAN] + off, w1 = wt[p * SPAN + 1] + off, w2 = wt[p * SPAN + 2] + off;
      const w3 = wt[p * SPAN + 3] + off, w4 = wt[p * SPAN + 4] + off, w5 = wt[p * SPAN + 5] + off;
      for (let u = 0, a = src; u < len; u++, a += 4) {
        const g0 = scratch[a], g1 = scratch[a + 1], g2 = scratch[a + 2], g3 = scratch[a + 3];
        const e = g0 + g2, q = g1 + g3, e4 = g0 + 4 * g2, q8 = 2 * g1 + 8 * g3;
        heap[w0 + u] = g0;
        heap[w1 + u] = e + q;
        heap[w2 + u] = e - q;
        heap[w3 + u] = e4 + q8;
        heap[w4 + u] = e4 - q8;
        heap[w5 + u] = g3;
      }
    }
  }
}

/**
 * dW[i][j][c][o] = (Gᵀ M G)[i][j] from M[f][o][c], with Gᵀ's rows
 *   [1/4, -1/6, -1/6, 1/24, 1/24, 0], [0, -1/6, 1/6, 1/12, -1/12, 0], [0, -1/6, -1/6, 1/6, 1/6, 1].
 * Gᵀ is applied down the frequency columns of all pairs at once (contiguous loops), then
 * along the rows.
 */
function transformOutput(dw: Float32Array, m: Float64Array, ci: number, co: number): void {
  const native = nativeKernels();
  if (native !== null) {
    native.winogradFilterGradOutput(dw, m, ci, co); // the loops below, bit for bit
    return;
  }
  const plane = ci * co;
  const s = new Float64Array(3 * SPAN * plane); // s[i][q][pair]
  for (let q = 0; q < SPAN; q++) {
    const b0 = q * plane, b1 = (SPAN + q) * plane, b2 = (2 * SPAN + q) * plane, b3 = (3 * SPAN + q) * plane, b4 = (4 * SPAN + q) * plane, b5 = (5 * SPAN + q) * plane;
    const d0 = q * plane, d1 = (SPAN + q) * plane, d2 = (2 * SPAN + q) * plane;
    for (let a = 0; a < plane; a++) {
      const x0 = m[b0 + a], x1 = m[b1 + a], x2 = m[b2 + a], x3 = m[b3 + a], x4 = m[b4 + a], x5 = m[b5 + a];
      s[d0 + a] = x0 / 4 - (x1 + x2) / 6 + (x3 + x4) / 24;
      s[d1 + a] = (x2 - x1) / 6 + (x3 - x4) / 12;
      s[d2 + a] = (x3 + x4 - x1 - x2) / 6 + x5;
    }
  }
  for (let i = 0; i < 3; i++) {
    const b = i * SPAN * plane;
    const out = i * 3 * plane;
    for (let o = 0; o < co; o++) {
      for (let c = 0; c < ci; c++) {
        const a = b + o * ci + c;
        const x0 = s[a], x1 = s[a + plane], x2 = s[a + 2 * plane], x3 = s[a + 3 * plane], x4 = s[a + 4 * plane], x5 = s[a + 5 * plane];
        const at = out + c * co + o;
        dw[at] = x0 / 4 - (x1 + x2) / 6 + (x3 + x4) / 24;
        dw[at + plane] = (x2 - x1) / 6 + (x3 - x4) / 12;
        dw[at + 2 * plane] = (x3 + x4 - x1 - x2) / 6 + x5;
      }
    }
  }
}
