import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm-kernel-calls';

/**
 * Slice for the wasm backend. The stock kernel copies a non-contiguous slice one innermost row
 * at a time (a subarray and a set per row): the gradient of a ZeroPadding2D layer (the
 * strided convolutions of the CIFAR ResNets) slices [64, 34, 34, 16] to [64, 32, 32, 16] in
 * 65,536 copies of 16 values, ~18 ms. Trailing axes that the slice takes whole are merged with
 * the last axis it cuts into one contiguous run, here 2,048 copies of 512 values.
 */
export function makeSliceWasm(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  if (stock === undefined) throw new Error('wasm Slice is not registered; is @tensorflow/tfjs-backend-wasm loaded?');
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    if (x.dtype === 'string' || x.dtype === 'complex64') return stock.kernelFunc(args);
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    const rank = x.shape.length;
    // The last axis the slice cuts; every axis after it is taken whole.
    let cut = rank - 1;
    while (cut > 0 && extent[cut] === x.shape[cut] && start[cut] === 0) cut--;
    const strides = tf.util.computeStrides(x.shape);
    const run = (extent[cut] as number) * (cut === rank - 1 ? 1 : (strides[cut] as number));
    // Contiguous slices, or ones whose run is the stock kernel's row anyway, stay with the stock kernel.
    if (cut === 0 || cut === rank - 1) return stock.kernelFunc(args);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(extent, x.dtype);
    if (tf.util.sizeFromShape(extent) === 0) return out;
    // Views are taken after the last allocation: a heap growth would detach them.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    let o = 0;
    const copy = (axis: number, offset: number): void => {
      const at = offset + (start[axis] as number) * (axis === rank - 1 ? 1 : (strides[axis] as number));
      if (axis === cut) {
        dst.set(src.subarray(at, at + run), o);
        o += run;
        return;
      }
      const step = strides[axis] as number;
      for (let i = 0; i < (extent[axis] as number); i++) copy(axis + 1, at + i * step);
    };
    copy(0, 0);
    return out;
  };
}
