import * as tf from '@tensorflow/tfjs-core';

/**
 * BatchMatMul for the wasm backend. The stock kernel reaches XNNPACK's GEMM only without
 * transposes; with transposeA or transposeB it runs a scalar loop. Every dense layer's
 * gradient has one of each (dX = dY·Wᵀ, dW = Xᵀ·dY): for a 1024→10 head on a batch of 64,
 * ~3 ms per step in that loop instead of ~0.1 ms. Here a transposed operand is transposed
 * first (a copy through the backend's Transpose kernel, linear in its size), then the product
 * runs on XNNPACK. The arithmetic is the same sum of products, so results agree with the cpu
 * backend to float32 rounding.
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
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return call('BatchMatMul', args);
    const lastTwoSwapped = (t: tf.TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
      return call('Transpose', { inputs: { x: t }, backend, attrs: { perm } });
    };
    const at = transposeA ? lastTwoSwapped(a) : a;
    const bt = transposeB ? lastTwoSwapped(b) : b;
    try {
      return call('BatchMatMul', { inputs: { a: at, b: bt }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (at !== a) backend.disposeData(at.dataId);
      if (bt !== b) backend.disposeData(bt.dataId);
    }
  };
}
