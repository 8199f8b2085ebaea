import * as tf from '@tensorflow/tfjs-core';

/**
 * Fixes to tfjs-backend-webgpu 4.22 kernels that LossLab's training step needs.
 *
 * AddN: the stock kernel binds every input as its own storage buffer in one shader, and a
 * device allows only maxStorageBuffersPerShaderStage of them (8 unless raised; the output
 * takes one). With more inputs pipeline creation fails validation and the sum comes back as
 * zeros without any exception. LossLab's weight decay sums one term per trainable variable
 * (11 for the default model), so it would silently vanish. Here longer sums are added in
 * chunks that fit the device.
 */

const MARK = Symbol.for('losslab.webgpuKernel');
type Marked = tf.KernelFunc & { [MARK]?: true };

interface WebGpuBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): unknown;
}

/** Inputs one AddN shader may bind on this device: all storage buffers but the output's. */
export function addNInputLimit(backend: WebGpuBackendLike): number {
  return Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
}

export function makeChunkedAddN(stock: tf.KernelFunc): tf.KernelFunc {
  const chunked: Marked = (args) => {
    const backend = args.backend as unknown as WebGpuBackendLike;
    const limit = addNInputLimit(backend);
    let terms = args.inputs as unknown as tf.TensorInfo[];
    if (terms.length <= limit) return stock(args);
    const partials: tf.TensorInfo[] = [];
    while (terms.length > limit) {
      const next: tf.TensorInfo[] = [];
      for (let start = 0; start < terms.length; start += limit) {
        const chunk = terms.slice(start, start + limit);
        if (chunk.length === 1) {
          next.push(chunk[0]!);
          continue;
        }
        const sum = stock({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        partials.push(sum);
        next.push(sum);
      }
      terms = next;
    }
    const result = stock({ ...args, inputs: terms as unknown as tf.NamedTensorInfoMap });
    // The backend defers freeing buffers that queued GPU work still reads.
    for (const partial of partials) backend.disposeData(partial.dataId);
    return result;
  };
  chunked[MARK] = true;
  return chunked;
}

/** Idempotent; call after @tensorflow/tfjs-backend-webgpu has registered its kernels. */
export function registerWebGpuKernelFixes(): void {
  const stock = tf.getKernel('AddN', 'webgpu');
  if (!stock || (stock.kernelFunc as Marked)[MARK]) return;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ kernelName: 'AddN', backendName: 'webgpu', kernelFunc: makeChunkedAddN(stock.kernelFunc) });
}

/** Whether LossLab's kernel fixes are the ones registered (for tests). */
export function webGpuKernelFixesRegistered(): boolean {
  const config = tf.getKernel('AddN', 'webgpu');
  return config !== undefined && (config.kernelFunc as Marked)[MARK] === true;
}
