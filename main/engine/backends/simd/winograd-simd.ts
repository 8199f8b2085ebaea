import { instantiateOn } from './instantiate';
import { WINOGRAD_WASM } from './winograd-wasm';
import { nativeWinogradFor } from '../native-kernels';

/**
 * The SIMD Winograd F(4x4, 3x3) transforms of winograd.wat. Every pointer is a byte offset
 * into the backend heap; the channel count of each transform must be a multiple of 4.
 * Tiles t0 .. t1-1 are numbered row-major over [n, th, tw].
 */
export interface WinogradSimd {
  /**
   * V[f][t - t0][c] = (Bᵀ d B)[f]. vt: 36 int32 byte offsets of the [chunk, ci] planes;
   * zeros: ci zero floats; strip: 6 * (4 tw + 2) * ci floats of scratch.
   */
  inputTransform(
    x: number, zeros: number, vt: number, strip: number,
    h: number, w: number, ci: number, th: number, tw: number,
    padTop: number, padLeft: number, t0: number, t1: number,
  ): void;
  /**
   * y = Aᵀ M A + bias (ReLU when relu is 1), clipped at the image edges. mt: 36 int32 byte
   * offsets of the [chunk, co] planes; s: 24 * co floats of scratch; bias: co floats.
   */
  outputTransform(
    mt: number, y: number, s: number, bias: number,
    co: number, oh: number, ow: number, th: number, tw: number,
    t0: number, t1: number, relu: number,
  ): void;
  /**
   * Wt[f][o][t - t0] = (A g Aᵀ)[f] for the 4x4 dy tiles g (zero beyond the output), the
   * filter gradient's dy transform. wt: 36 int32 byte offsets of the [co, t1 - t0] planes
   * (tile index contiguous); zeros: co zero floats; s: 36 * 64 floats of scratch.
   */
  gradientTransform(
    dy: number, zeros: number, wt: number, s: number,
    co: number, oh: number, ow: number, th: number, tw: number,
    t0: number, t1: number,
  ): void;
}

/**
 * The transforms on `memory` (the backend heap): LossLab's native kernels where they loaded
 * (bit-identical, wider vectors), else the .wat; null where this engine lacks SIMD.
 */
export function winogradSimdFor(memory: object): WinogradSimd | null {
  return nativeWinogradFor(memory) ?? instantiateOn<WinogradSimd>(WINOGRAD_WASM, memory);
}
