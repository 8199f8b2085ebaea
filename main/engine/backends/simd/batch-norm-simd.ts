import { BATCH_NORM_WASM } from './batch-norm-wasm';

/**
 * The SIMD batch-norm loops of batch-norm.wat, instantiated on the tfjs wasm backend's own
 * memory so that they read and write tensors where they lie. Every pointer is a byte offset
 * into that memory; C must be a multiple of 4.
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

/** The part of the WebAssembly JS API used here (this project compiles without the DOM typings). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: abstract new (...args: never[]) => object;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<object, BatchNormSimd>();

/** True for a WebAssembly.Memory object (what the wasm backend exports as its heap). */
export function isWasmMemory(value: unknown): value is object {
  return value instanceof WebAssembly.Memory;
}

/** The loops for `memory`, or null where this WebAssembly engine lacks SIMD. */
export function batchNormSimdFor(memory: object): BatchNormSimd | null {
  const known = instances.get(memory);
  if (known !== undefined) return known;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(BATCH_NORM_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return null;
  const exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as BatchNormSimd;
  instances.set(memory, exports);
  return exports;
}
