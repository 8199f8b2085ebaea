import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels, type NativeKernels } from './native-kernels';
import { backendMemory, currentBuffer } from './simd/instantiate';

/**
 * BatchMatMul for the wasm backend. The stock kernel reaches XNNPACK's GEMM only without
 * transposes; with transposeA or transposeB it runs a scalar loop. Every dense layer's
 * gradient has one of each (dX = dY·Wᵀ, dW = Xᵀ·dY): for a 1024→10 head on a batch of 64,
 * ~3 ms per step in that loop instead of ~0.1 ms. Here a transposed operand is transposed
 * first (a copy through the backend's Transpose kernel, linear in its size), then the product
 * runs on XNNPACK. The arithmetic is the same sum of products, so results agree with the cpu
 * backend to float32 rounding.
 *
 * Where LossLab's native kernels loaded (native-kernels.ts), a product XNNPACK would run (no
 * transposes left, one matrix on each side) runs there instead, on the same heap and with
 * bit-identical results.
 */
export function makeBatchMatMulWasm(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  if (stock === undefined) throw new Error('wasm BatchMatMul is not registered; is @tensorflow/tfjs-backend-wasm loaded?');
  const setUp = new WeakSet<object>();
  const call = (kernelName: string, args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo => {
    const config = kernelName === 'BatchMatMul' ? stock : tf.getKernel(kernelName, 'wasm');
    if (config === undefined) throw new Error(`wasm kernel '${kernelName}' is not registered`);
    // Kernels registered after the backend started have not had their set-up run.
    if (config.setupFunc && !setUp.has(config)) {
      config.setupFunc(args.backend);
      setUp.add(config);
    }
    return config.kernelFunc(args) as tf.TensorInfo;
  };
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const backend = args.backend as tf.KernelBackend;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return call('BatchMatMul', args);
    const native = nativeKernels();
    if (!transposeA && !transposeB) return (native && nativeProduct(native, args.backend as BackendWasm, a, b)) || call('BatchMatMul', args);
    const lastTwoSwapped = (t: tf.TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
      return call('Transpose', { inputs: { x: t }, backend, attrs: { perm } });
    };
    const at = transposeA ? lastTwoSwapped(a) : a;
    const bt = transposeB ? lastTwoSwapped(b) : b;
    try {
      return (native && nativeProduct(native, args.backend as BackendWasm, at, bt)) || call('BatchMatMul', { inputs: { a: at, b: bt }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (at !== a) backend.disposeData(at.dataId);
      if (bt !== b) backend.disposeData(bt.dataId);
    }
  };
}

/**
 * A·B on the native GEMM, for the products the stock kernel hands to XNNPACK: no transposes
 * and a batch of one on both sides (it runs batched products as a blocked scalar loop, whose
 * rounding differs, so those stay with it). Null when this product is not one of those.
 */
function nativeProduct(native: NativeKernels, backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2 || tf.util.sizeFromShape(a.shape.slice(0, -2)) !== 1 || tf.util.sizeFromShape(b.shape.slice(0, -2)) !== 1) return null;
  const [m, k] = [a.shape[ra - 2] as number, a.shape[ra - 1] as number];
  const [k2, n] = [b.shape[rb - 2] as number, b.shape[rb - 1] as number];
  const memory = backendMemory(backend);
  if (k !== k2 || m === 0 || k === 0 || n === 0 || memory === null) return null;
  // The stock kernel's output shape: the broadcast batch dimensions (all ones here), then [m, n].
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  // The heap is read after makeOutput: allocating may have grown (and so replaced) its buffer.
  native.gemm(currentBuffer(memory), offset(a), offset(b), offset(out), m, k, n);
  return out;
}
