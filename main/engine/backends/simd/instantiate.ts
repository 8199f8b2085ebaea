/**
 * Instantiates LossLab's hand-written WebAssembly kernels (the .wat files here) on the tfjs
 * wasm backend's own memory, so that they work on tensors where they lie on its heap.
 */

/** The part of the WebAssembly JS API used here (this project compiles without the DOM typings). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: abstract new (...args: never[]) => object;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** True for a WebAssembly.Memory object (what the wasm backend exports as its heap). */
export function isWasmMemory(value: unknown): value is object {
  return value instanceof WebAssembly.Memory;
}

/** The heap of a tfjs wasm backend, or null if this build does not expose it. */
export function backendMemory(backend: { wasm: unknown }): object | null {
  const memory = (backend.wasm as { asm?: { memory?: unknown } }).asm?.memory;
  return isWasmMemory(memory) ? memory : null;
}

/**
 * The buffer behind a WebAssembly.Memory as it is now: a heap that grew has a new one, so read
 * it right before the call that uses it, after any allocation.
 */
export function currentBuffer(memory: object): ArrayBuffer {
  return (memory as { buffer: ArrayBuffer }).buffer;
}

const compiled = new Map<string, object | null>();
const instances = new WeakMap<object, Map<string, unknown>>();

/**
 * The exports of the module `base64` instantiated on `memory` (one instance per pair), or
 * null where this WebAssembly engine rejects the module (no SIMD support).
 */
export function instantiateOn<T>(base64: string, memory: object): T | null {
  let perMemory = instances.get(memory);
  if (perMemory === undefined) instances.set(memory, (perMemory = new Map()));
  if (perMemory.has(base64)) return perMemory.get(base64) as T;
  if (!compiled.has(base64)) {
    try {
      compiled.set(base64, new WebAssembly.Module(Buffer.from(base64, 'base64')));
    } catch {
      compiled.set(base64, null);
    }
  }
  const module = compiled.get(base64) ?? null;
  const exports = module === null ? null : (new WebAssembly.Instance(module, { env: { memory } }).exports as T);
  perMemory.set(base64, exports);
  return exports;
}
