import { BATCH_NORM_WASM } from './batch-norm-wasm';
import { instantiateOn } from './instantiate';
import { nativeBatchNormFor } from '../native-kernels';

/**
 * The SIMD batch-norm loops of batch-norm.wat. Every pointer is a byte offset into the
 * backend heap; C must be a multiple of 4.
 */
export interface BatchNormSimd {
  /** acc[0..C) += Σ (x − k), acc[C..2C) += Σ (x − k)²; acc holds 2C float64. */
  shiftedMoments(x: number, rows: number, C: number, k: number, acc: number): void;
  /** acc[0..C) += Σ u, acc[C..2C) += Σ u·(x − k); acc holds 2C float64. */
  dotMoments(u: number, x: number, rows: number, C: number, k: number, acc: number): void;
  /** out = (x − m)·q + r. */
  affine(x: number, rows: number, C: number, m: number, q: number, r: number, out: number): void;
  /** out = p·u + (x − m)·q + r. */
  affine2(u: number, x: number, rows: number, C: number, m: number, p: number, q: number, r: number, out: number): void;
}

/**
 * The loops on `memory` (the backend heap): the native kernels where they run (bit-identical,
 * wider vectors), else the .wat; null where this engine lacks SIMD.
 */
export function batchNormSimdFor(memory: object): BatchNormSimd | null {
  return nativeBatchNormFor(memory) ?? instantiateOn<BatchNormSimd>(BATCH_NORM_WASM, memory);
}
