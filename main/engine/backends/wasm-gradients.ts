import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs's own gradients first, so that the one below replaces theirs for Relu.
import '../../losses/tf-gradients';
import { nativeKernels } from './native-kernels';
import { backendMemory, currentBuffer } from './simd/instantiate';
import { asWasmBackend } from './wasm-kernel-calls';

/**
 * Gradients that LossLab computes another way on the wasm backend, with the same values.
 *
 * - Relu: tfjs differentiates it as dy · step(x), a Step kernel and then a Multiply, each
 *   reading and writing a whole activation-sized tensor (a ResNet has one ReLU after every
 *   convolution). With the native kernels, one kernel (LossLabReluGrad) computes the same
 *   values in one pass.
 * - Mean (global average pooling): tfjs builds a tensor of ones the size of the input in a
 *   JavaScript loop, copies it to the heap, multiplies dy by it and divides the product by the
 *   count. dy · 1 is dy exactly, so dividing dy first and broadcasting the quotient gives the
 *   same values without the ones.
 * Elsewhere (other backends, other dtypes) the stock gradients run unchanged.
 */
export const RELU_GRAD = 'LossLabReluGrad';

const MARK = Symbol.for('losslab.wasmGradient');

/** dy · step(x) as the two wasm kernels compute it: 1 where x > 0, NaN where x is NaN, else 0. */
function reluGradWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const size = tf.util.sizeFromShape(x.shape);
  const out = backend.makeOutput(x.shape, 'float32');
  const native = nativeKernels();
  const memory = backendMemory(backend);
  if (native !== null && memory !== null) {
    const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    // The heap is read after makeOutput: allocating may have grown (and so replaced) its buffer.
    native.reluGrad(currentBuffer(memory), offset(dy), offset(x), offset(out), size);
    return out;
  }
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const v = backend.typedArrayFromHeap(x) as Float32Array;
  for (let i = 0; i < size; i++) dx[i] = g[i]! * (v[i]! > 0 ? 1 : Number.isNaN(v[i]) ? NaN : 0);
  return out;
}

/**
 * Replaces `kernelName`'s gradient (input x, saved) with `ours` where it returns one, and with
 * tfjs's own gradient everywhere else. Idempotent: a gradient already replaced is left alone.
 */
function replaceGradient(kernelName: string, ours: (dy: tf.Tensor, x: tf.Tensor, attrs: tf.NamedAttrMap) => (() => tf.Tensor) | null): void {
  const stock = tf.getGradient(kernelName);
  if (stock === undefined || (stock as { [MARK]?: true })[MARK] === true) return;
  const config: tf.GradConfig & { [MARK]?: true } = {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const grad = dy as tf.Tensor;
      const replaced = tf.getBackend() === 'wasm' && x.dtype === 'float32' && grad.dtype === 'float32' ? ours(grad, x, attrs) : null;
      return replaced === null ? stock.gradFunc(dy, saved, attrs) : { x: replaced };
    },
  };
  config[MARK] = true;
  tf.registerGradient(config);
}

/** Registers the kernel for 'wasm' and both gradients (see above). Idempotent. */
export function registerWasmGradients(): void {
  if (tf.getKernel(RELU_GRAD, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradWasm as unknown as tf.KernelFunc });
  }
  replaceGradient('Relu', (dy, x) => (nativeKernels() === null ? null : () => tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor));
  replaceGradient('Mean', (dy, x, attrs) => {
    const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
    const count = tf.util.sizeFromShape(axes.map((a) => x.shape[a]!));
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return () => tf.tidy(() => tf.broadcastTo(tf.div(tf.reshape(dy, kept), count), x.shape));
  });
}
