import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Calls into the wasm backend's own kernels from inside another kernel.
 *
 * A kernel function must not go through the engine (tf.conv2d etc.): the engine would
 * record the inner ops on the gradient tape and in profiles, and would create Tensor
 * objects that outlive the call. Calling the registered kernelFunc directly works on bare
 * TensorInfos, so the composed kernel costs exactly the inner kernels and nothing more.
 *
 * Every intermediate the helper creates is tracked and released by `dispose()`, except the
 * one the caller hands back to the engine with `keep()`.
 */
export class WasmKernelCalls {
  private readonly intermediates: tf.TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const config = tf.getKernel(kernelName, 'wasm');
    if (config === undefined) {
      throw new Error(`wasm kernel '${kernelName}' is not registered; is @tensorflow/tfjs-backend-wasm loaded?`);
    }
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`wasm kernel '${kernelName}' returned several outputs`);
    this.intermediates.push(out);
    return out;
  }

  /** Stride-1 NHWC convolution with explicit padding (XNNPACK). */
  conv2d(x: tf.TensorInfo, filter: tf.TensorInfo, pads: ExplicitPads): tf.TensorInfo {
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]];
    return this.run('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap);
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  pad(x: tf.TensorInfo, paddings: Array<[number, number]>): tf.TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 } as unknown as tf.NamedAttrMap);
  }

  /** Returns `x` itself when the slice would be the whole tensor (no copy). */
  sliceIfNeeded(x: tf.TensorInfo, size: number[]): tf.TensorInfo {
    if (size.every((s, i) => s === x.shape[i])) return x;
    return this.run('Slice', { x }, { begin: size.map(() => 0), size });
  }

  /** Tracks a tensor the caller allocated itself (backend.makeOutput). */
  own(t: tf.TensorInfo): tf.TensorInfo {
    this.intermediates.push(t);
    return t;
  }

  /** Marks `out` as the kernel's result so that `dispose()` leaves it alive. */
  keep(out: tf.TensorInfo): tf.TensorInfo {
    const i = this.intermediates.lastIndexOf(out);
    if (i >= 0) this.intermediates.splice(i, 1);
    return out;
  }

  dispose(): void {
    // disposeData only decrements the refcount for tensors that share data (Reshape), so
    // releasing in any order is safe.
    for (const t of this.intermediates) this.backend.disposeData(t.dataId);
    this.intermediates.length = 0;
  }
}

export interface ExplicitPads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The wasm backend instance, for kernels that must read or write its heap directly. */
export function asWasmBackend(backend: unknown): BackendWasm {
  const b = backend as Partial<BackendWasm>;
  if (b.dataIdMap === undefined || b.wasm === undefined || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error('expected the tfjs wasm backend');
  }
  return backend as BackendWasm;
}

/**
 * Calls the stock wasm kernel that one of ours replaced, for the configurations ours leaves
 * to it. The stock kernel binds its wasm function in setupFunc, which the engine runs only
 * for kernels registered when the backend starts; ours had replaced it by then, so it is run
 * here, once per backend.
 */
export function stockKernelCaller(name: string, stock: tf.KernelConfig | undefined): tf.KernelFunc {
  const setUp = new WeakSet<object>();
  return (args) => {
    if (stock === undefined) throw new Error(`${name}: no wasm kernel for this configuration`);
    if (stock.setupFunc && !setUp.has(args.backend)) {
      stock.setupFunc(args.backend);
      setUp.add(args.backend);
    }
    return stock.kernelFunc(args);
  };
}
