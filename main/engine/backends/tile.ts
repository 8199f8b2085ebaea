import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm-kernel-calls';

/**
 * Tile for the wasm backend. The stock kernel computes a source index per output element
 * with divisions and takes ~80 ns per element: batch norm's gradient tiles a [1,1,1,C]
 * vector to the full activation size, which alone cost ~0.5 s per training step of the
 * reference CNN.
 *
 * Tiling only ever repeats contiguous blocks: along axis d, the output block for the first
 * repetition is built recursively, then copied (reps[d]-1) times with copyWithin (memmove).
 */
export function makeTile(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  const setUp = new WeakSet<object>();
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      if (stock === undefined) throw new Error(`Tile: no wasm kernel for dtype ${x.dtype}`);
      if (stock.setupFunc && !setUp.has(args.backend)) {
        stock.setupFunc(args.backend);
        setUp.add(args.backend);
      }
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (tf.util.sizeFromShape(outShape) === 0) return out;
    // Views are taken after the last allocation: a heap growth would detach them.
    const dst = backend.typedArrayFromHeap(out);
    const src = backend.typedArrayFromHeap(x);
    tileInto(dst, src, x.shape, reps);
    return out;
  };
}

type Flat = Float32Array | Int32Array | Uint8Array;

export function tileInto(dst: Flat, src: Flat, shape: number[], reps: number[]): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const outStrides = new Array<number>(rank);
  const inStrides = new Array<number>(rank);
  outStrides[rank - 1] = 1;
  inStrides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    outStrides[d] = outStrides[d + 1] * shape[d + 1] * reps[d + 1];
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
  }
  const fill = (d: number, inOff: number, outOff: number): void => {
    if (d === rank - 1) {
      dst.set(src.subarray(inOff, inOff + shape[d]), outOff);
    } else {
      for (let i = 0; i < shape[d]; i++) fill(d + 1, inOff + i * inStrides[d], outOff + i * outStrides[d]);
    }
    repeatBlock(dst, outOff, shape[d] * outStrides[d], reps[d]);
  };
  fill(0, 0, 0);
}

/** Copies dst[start, start+len) so that it appears `times` times in a row, doubling each pass. */
function repeatBlock(dst: Flat, start: number, len: number, times: number): void {
  const total = len * times;
  let done = len;
  while (done < total) {
    const n = Math.min(done, total - done);
    dst.copyWithin(start + done, start, start + n);
    done += n;
  }
}
