import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm-kernel-calls';

/**
 * Identity, and Cast to the dtype a tensor already has, for the wasm backend: return a new
 * reference to the same data instead of a copy.
 *
 * Tensor data is immutable in TensorFlow.js (variables get new data on assign), so a copy
 * buys nothing; the cpu backend shares data the same way, and wasm's own Reshape does too.
 * The stock wasm kernels copy: ~100 copies of activation-sized tensors per training step of
 * the reference CNN (the gradient tape and tfjs-layers clone freely), ~5% of the step.
 */
export function makeSharingIdentity(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return callStock(stock, 'Identity', args);
    return share(args.backend, x);
  };
}

export function makeSharingCast(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (dtype !== x.dtype || x.dtype === 'string') return callStock(stock, 'Cast', args);
    return share(args.backend, x);
  };
}

function share(backend: unknown, x: tf.TensorInfo): tf.TensorInfo {
  asWasmBackend(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function callStock(stock: tf.KernelConfig | undefined, name: string, args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
  if (stock === undefined) throw new Error(`${name}: no wasm kernel for this input`);
  // Neither stock kernel has a setupFunc (they are plain JS), so it can be called directly.
  return stock.kernelFunc(args);
}
