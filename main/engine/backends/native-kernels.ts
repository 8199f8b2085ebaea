import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../dataset/sample';
import { currentBuffer } from './simd/instantiate';
import type { BatchNormSimd } from './simd/batch-norm-simd';
import type { WinogradSimd } from './simd/winograd-simd';

/**
 * LossLab's optional native CPU kernels (native/*.c, built by `npm install` where a C
 * compiler and Node's headers are present; see scripts/build-native.mjs).
 *
 * The wasm backend's matrix products (XNNPACK's fully-connected GEMM) and LossLab's Winograd
 * transforms (simd/winograd.wat) are most of a ResNet's training step. WebAssembly SIMD is
 * 128 bits wide, and XNNPACK packs the right-hand operand again for every new one (the
 * Winograd kernels make 36 per convolution). The addon runs the same computations on the wasm
 * heap, in place, with the machine's widest vectors, every sum and product in the same order
 * with the same float32 roundings: results are bit-identical (tested), so the same seed gives
 * the same numbers with or without it. When it is missing or cannot load, the wasm kernels
 * run as before and the reason is kept for `doctor` and the backend notes.
 */
export interface NativeKernels {
  /** C[M,N] = A[M,K]·B[K,N]; byte offsets of row-major float32 operands inside `heap`. */
  gemm(heap: ArrayBuffer, aOffset: number, bOffset: number, outOffset: number, m: number, k: number, n: number): void;
  /** The Winograd transforms of simd/winograd.wat, same arguments after the heap (see WinogradSimd). */
  winogradInput(heap: ArrayBuffer, ...args: Parameters<WinogradSimd['inputTransform']>): void;
  winogradOutput(heap: ArrayBuffer, ...args: Parameters<WinogradSimd['outputTransform']>): void;
  winogradGradient(heap: ArrayBuffer, ...args: Parameters<WinogradSimd['gradientTransform']>): void;
  /**
   * The whole Winograd convolution of winograd-conv.ts (input transform, the 36 products,
   * output transform) in cache-sized blocks; heap byte offsets, u from winogradFilter, bias 0 for none.
   */
  winogradConv(
    heap: ArrayBuffer, x: number, zeros: number, u: Float32Array, uStride: number, y: number, bias: number,
    n: number, h: number, w: number, ci: number, co: number, oh: number, ow: number, th: number, tw: number,
    padTop: number, padLeft: number, relu: boolean,
  ): void;
  /**
   * The summed products M[f][o][c] of winograd-filter-grad.ts (same chunks of `chunk` tiles,
   * float32 sums within a chunk, float64 across chunks) into `sum`; heap byte offsets.
   */
  winogradFilterGrad(
    heap: ArrayBuffer, x: number, zeros: number, dy: number, sum: Float64Array,
    n: number, h: number, w: number, ci: number, co: number, oh: number, ow: number, th: number, tw: number,
    padTop: number, padLeft: number, chunk: number,
  ): void;
  /**
   * The filter gradient of conv2d-backprop-filter.ts's im2col path (patches times dy, the
   * same chunks of `rowsPerChunk` output rows, float64 across chunks) into `out`, without
   * building the patch matrix; heap byte offsets, x and dy channels-last.
   */
  patchFilterGrad(
    heap: ArrayBuffer, x: number, dy: number, out: number, n: number, h: number, w: number, ci: number, co: number,
    oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, rowsPerChunk: number,
  ): void;
  /** simd/batch-norm.wat's moments: mode 0 is shiftedMoments (u unused), mode 1 dotMoments; heap byte offsets. */
  batchNormMoments(heap: ArrayBuffer, u: number, x: number, rows: number, c: number, k: number, acc: number, mode: 0 | 1): void;
  /** simd/batch-norm.wat's affine (withU 0, u and p unused) and affine2 (withU 1); heap byte offsets. */
  batchNormAffine(heap: ArrayBuffer, u: number, x: number, rows: number, c: number, m: number, p: number, q: number, r: number, out: number, withU: 0 | 1): void;
  /** dx = dy · step(x) over `size` floats (tfjs's Relu gradient, Step then Multiply, in one pass); heap byte offsets. */
  reluGrad(heap: ArrayBuffer, dy: number, x: number, dx: number, size: number): void;
  /** U = G g Gᵀ into 36 planes of ci·co + 16 floats: winograd-conv.ts's transformFilter, in the same double arithmetic. */
  winogradFilter(src: Float32Array, u: Float32Array, ci: number, co: number, flipped: boolean): void;
  /** dW = Gᵀ M G from the 36 summed planes: winograd-filter-grad.ts's transformOutput, in the same double arithmetic. */
  winogradFilterGradOutput(dw: Float32Array, m: Float64Array, ci: number, co: number): void;
  /** Asks the OS to back the wasm heap (and what it grows into) with huge pages; whether it took the advice. */
  adviseHugePages(heap: ArrayBuffer): boolean;
  /**
   * From now on the kernels that split their work (the Winograd convolution, the patch filter
   * gradient, batch norm's affine maps, ReLU's gradient) use up to budget[0] threads; the
   * numbers never depend on it. budget lives on a SharedArrayBuffer that the training pool updates.
   */
  shareThreadBudget(budget: Int32Array): void;
  /** The instruction set the GEMM was dispatched to on this CPU ('avx512f', 'avx2', 'default'). */
  isa(): string;
}

export const NATIVE_KERNELS_ENV = 'LOSSLAB_NATIVE_KERNELS';
const ADDON_RELATIVE_PATH = path.join('build', 'Release', 'losslab_kernels.node');

type Loaded = { kernels: NativeKernels; file: string } | { kernels: null; reason: string };

let loaded: Loaded | undefined;
let enabled = true;

function load(): Loaded {
  const setting = process.env[NATIVE_KERNELS_ENV]?.trim().toLowerCase();
  if (setting === '0' || setting === 'off' || setting === 'false') {
    return { kernels: null, reason: `turned off by ${NATIVE_KERNELS_ENV}=${process.env[NATIVE_KERNELS_ENV]}` };
  }
  let file: string;
  try {
    // In a packaged desktop app the addon sits beside app.asar, unpacked (electron-builder's asarUnpack).
    file = path.join(packageRoot(), ADDON_RELATIVE_PATH).replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  } catch (error) {
    return { kernels: null, reason: (error as Error).message };
  }
  if (!fs.existsSync(file)) {
    return { kernels: null, reason: `not built (${ADDON_RELATIVE_PATH} is missing; \`npm run build:native\` builds it where a C compiler is installed)` };
  }
  try {
    const kernels = require(file) as NativeKernels;
    const exported = ['gemm', 'winogradInput', 'winogradOutput', 'winogradGradient', 'winogradFilter', 'winogradFilterGradOutput', 'winogradConv', 'winogradFilterGrad', 'patchFilterGrad', 'reluGrad', 'batchNormMoments', 'batchNormAffine', 'adviseHugePages', 'shareThreadBudget', 'isa'] as const;
    const absent = exported.filter((name) => typeof kernels[name] !== 'function');
    if (absent.length > 0) throw new Error(`it lacks ${absent.join(', ')}: rebuild it with \`npm run build:native\``);
    return { kernels, file };
  } catch (error) {
    return { kernels: null, reason: `could not be loaded from ${file}: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** The native kernels, or null when they are missing, failed to load, or are turned off. */
export function nativeKernels(): NativeKernels | null {
  if (!enabled) return null;
  loaded ??= load();
  return loaded.kernels;
}

/** One line for backend notes and `doctor`: what runs the matrix products and why. */
export function describeNativeKernels(): string {
  if (!enabled) return 'native kernels off: turned off in this process';
  loaded ??= load();
  return loaded.kernels !== null ? `native kernels on (${loaded.kernels.isa()})` : `native kernels off: ${loaded.reason}`;
}

/** Turns the native kernels off (wasm's own everywhere) or back on; returns the previous setting. For tests and benchmarks. */
export function setNativeKernels(next: boolean): boolean {
  const previous = enabled;
  enabled = next;
  return previous;
}

const advisedHeaps = new WeakSet<object>();

/**
 * Backs the wasm backend's heap with transparent huge pages where the native kernels run
 * (Linux; see adviseHugePages in native/addon.c). A first training step grows the heap by
 * hundreds of MiB and faults every page in: with 2 MiB pages, a ResNet-32's first step took
 * about 0.5 s less here. Values are unchanged. Once per heap; false where it was not taken.
 */
export function adviseHugePagesFor(memory: object): boolean {
  const native = nativeKernels();
  if (native === null || advisedHeaps.has(memory)) return false;
  advisedHeaps.add(memory);
  return native.adviseHugePages(currentBuffer(memory));
}

/**
 * The adapter `make` builds for `memory` (the backend's heap), made once per heap and kept in
 * `cache`, or null where the native kernels are not available. The adapters take the .wat
 * kernels' arguments, so callers need not know which ran; `heap()` reads the buffer at every
 * call, because a heap that grew has a new one.
 */
function adapterFor<T extends object>(cache: WeakMap<object, T>, memory: object, make: (native: NativeKernels, heap: () => ArrayBuffer) => T): T | null {
  const native = nativeKernels();
  if (native === null) return null;
  let adapter = cache.get(memory);
  if (adapter === undefined) {
    adapter = make(native, () => currentBuffer(memory));
    cache.set(memory, adapter);
  }
  return adapter;
}

const winogradAdapters = new WeakMap<object, WinogradSimd>();

/** The Winograd transforms of simd/winograd.wat on the native kernels, for `memory`, or null. */
export function nativeWinogradFor(memory: object): WinogradSimd | null {
  return adapterFor(winogradAdapters, memory, (native, heap) => ({
    inputTransform: (...args) => native.winogradInput(heap(), ...args),
    outputTransform: (...args) => native.winogradOutput(heap(), ...args),
    gradientTransform: (...args) => native.winogradGradient(heap(), ...args),
  }));
}

const batchNormAdapters = new WeakMap<object, BatchNormSimd>();

/** The batch-norm loops of simd/batch-norm.wat on the native kernels, for `memory`, or null. */
export function nativeBatchNormFor(memory: object): BatchNormSimd | null {
  return adapterFor(batchNormAdapters, memory, (native, heap) => ({
    shiftedMoments: (x, rows, c, k, acc) => native.batchNormMoments(heap(), x, x, rows, c, k, acc, 0),
    dotMoments: (u, x, rows, c, k, acc) => native.batchNormMoments(heap(), u, x, rows, c, k, acc, 1),
    affine: (x, rows, c, m, q, r, out) => native.batchNormAffine(heap(), x, x, rows, c, m, q, q, r, out, 0),
    affine2: (u, x, rows, c, m, p, q, r, out) => native.batchNormAffine(heap(), u, x, rows, c, m, p, q, r, out, 1),
  }));
}
