import * as tf from '@tensorflow/tfjs-core';
// Loaded first so that wasm's own kernels are in the registry before ours replace some.
import '@tensorflow/tfjs-backend-wasm';
import { makeBatchMatMulWasm } from './batch-mat-mul';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter';
import { depthwiseBackpropFilterWasm, depthwiseBackpropInputWasm } from './depthwise-conv-grads';
import { makeConv2dWasm, makeFusedConv2dWasm } from './conv2d';
import { makeConv2dBackpropInputWasm } from './conv2d-backprop-input';
import { maxPoolGradWasm } from './max-pool-grad';
import { makeBlockReduction } from './reduce-over-block';
import { makeSharingCast, makeSharingIdentity } from './share-data';
import { makeSliceWasm } from './slice';
import { registerBatchNormKernels } from './batch-norm-kernels';
import { makeTile } from './tile';
import { registerWasmGradients } from './wasm-gradients';

/**
 * Makes the tfjs wasm backend (4.22) able to train CNNs:
 * - Conv2DBackpropFilter: missing on wasm (training fails with "not registered").
 * - Conv2DBackpropInput: the stock kernel is a slow scalar loop.
 * - MaxPoolGrad: the stock kernel drops the gradient of windows holding only values
 *   below ~1e-38 (e.g. negative ones) and breaks ties differently from cpu.
 * - Tile, and Sum/Mean over non-trailing axes: correct but pathologically slow, and batch
 *   norm's gradient is made of them (together about half of a training step before this).
 * - Identity, and Cast to the same dtype: share the data instead of copying it.
 * - Conv2D, FusedConv2D (linear/ReLU), and both gradients, 3x3 stride 1: Winograd
 *   F(4x4, 3x3) where a cost model says it beats the direct method (winograd-conv.ts,
 *   winograd-filter-grad.ts), and a direct SIMD conv for few input channels (small-conv.ts);
 *   conv2d.ts, conv2d-backprop-input.ts and conv2d-backprop-filter.ts choose per call.
 * - BatchMatMul with a transposed operand (every dense layer's gradient): the stock kernel's
 *   scalar loop; the operand is transposed first so the product runs on XNNPACK (batch-mat-mul.ts).
 * - Slice that cuts inner axes (ZeroPadding2D's gradient): contiguous runs as long as the axes
 *   allow instead of one copy per innermost row (slice.ts).
 * - Both gradients of a depthwise convolution: missing on wasm, so a MobileNet could not be
 *   fine-tuned there (depthwise-conv-grads.ts).
 * - The gradients of ReLU (Step, then Multiply: one pass on the native kernels) and of Mean
 *   (no tensor of ones): wasm-gradients.ts.
 * - Training-mode batch norm: LossLab's own fused kernels (batch-norm-kernels.ts), which the
 *   model's batch-norm layer calls instead of a dozen composed ops.
 * They are rebuilt from the backend's own fast kernels (XNNPACK convolution and matrix
 * product) and loops over the wasm heap, the hot ones as WebAssembly SIMD (simd/*.wat);
 * configurations they do not cover go to the stock kernel (or, for the filter gradient,
 * which has none, to a plain loop).
 */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'Tile',
  'Sum',
  'Mean',
  'Identity',
  'Cast',
  'Conv2D',
  'FusedConv2D',
  'BatchMatMul',
  'Slice',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
] as const;

// Tags our kernel functions so that a second copy of this module (e.g. loaded from another
// path) still recognises them and registration stays idempotent across copies.
const MARK = Symbol.for('losslab.wasmTrainingKernel');

type Marked = tf.KernelFunc & { [MARK]?: true };

function mark(fn: tf.KernelFunc): tf.KernelFunc {
  (fn as Marked)[MARK] = true;
  return fn;
}

function isOurs(config: tf.KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as Marked)[MARK] === true;
}

function install(kernelName: string, make: (stock: tf.KernelConfig | undefined) => tf.KernelFunc): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (isOurs(stock)) return;
  // Unregister first: registerKernel would otherwise log an "already registered" warning.
  if (stock !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: mark(make(stock)) });
}

/**
 * Registers the training kernels for the 'wasm' backend. Safe to call any number of times,
 * before or after the backend is initialised (kernels are looked up at every call).
 */
export function registerWasmTrainingKernels(): void {
  install('Conv2DBackpropFilter', () => conv2dBackpropFilterWasm as unknown as tf.KernelFunc);
  install('Conv2DBackpropInput', (stock) => makeConv2dBackpropInputWasm(stock));
  install('MaxPoolGrad', () => maxPoolGradWasm as unknown as tf.KernelFunc);
  install('Tile', (stock) => makeTile(stock));
  install('Sum', (stock) => makeBlockReduction('Sum', stock));
  install('Mean', (stock) => makeBlockReduction('Mean', stock));
  install('Identity', (stock) => makeSharingIdentity(stock));
  install('Cast', (stock) => makeSharingCast(stock));
  install('Conv2D', (stock) => makeConv2dWasm(stock));
  install('FusedConv2D', (stock) => makeFusedConv2dWasm(stock));
  install('BatchMatMul', (stock) => makeBatchMatMulWasm(stock));
  install('Slice', (stock) => makeSliceWasm(stock));
  install('DepthwiseConv2dNativeBackpropFilter', () => depthwiseBackpropFilterWasm as unknown as tf.KernelFunc);
  install('DepthwiseConv2dNativeBackpropInput', () => depthwiseBackpropInputWasm as unknown as tf.KernelFunc);
  registerBatchNormKernels('wasm');
  registerWasmGradients();
}

/** True when every training kernel of this module is the one registered for 'wasm'. */
export function wasmTrainingKernelsRegistered(): boolean {
  return WASM_TRAINING_KERNELS.every((name) => isOurs(tf.getKernel(name, 'wasm')));
}
