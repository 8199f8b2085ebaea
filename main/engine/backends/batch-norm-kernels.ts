import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backwardCoefficients, batchNormBackward, batchNormForward, normalisation } from './batch-norm-math';
import { batchNormSimdFor, type BatchNormSimd } from './simd/batch-norm-simd';
import { backendMemory } from './simd/instantiate';

/**
 * Training-mode batch norm as two kernels of our own, for the backends whose memory we can
 * read directly: 'wasm' (the heap) and 'cpu' (plain typed arrays).
 *
 * Forward:  {x, scale, offset}, {epsilon} → [y, mean, variance]
 * Backward: {dy, dMean, dVariance, x, scale, mean, variance}, {epsilon} → [dx, dScale, dOffset]
 *
 * x is channels-last of any rank; scale, offset, mean and variance have one value per
 * channel (its last dimension). On wasm, channel counts that are a multiple of 4 (every
 * layer of LossLab's network) run the SIMD loops of simd/batch-norm.wat in place on the
 * heap; everything else runs the float64 JavaScript loops of batch-norm-math.ts.
 */
export const BATCH_NORM_TRAINING = 'LossLabBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'LossLabBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  epsilon: number;
}

/** Allocates outputs and exposes float32 views of tensors, per backend. */
interface ArrayAccess {
  alloc(shape: number[]): tf.TensorInfo;
  /** Valid until the next alloc (a wasm heap growth detaches earlier views). */
  view(t: tf.TensorInfo): Float32Array;
}

function wasmAccess(backend: BackendWasm): ArrayAccess {
  return {
    alloc: (shape) => backend.makeOutput(shape, 'float32'),
    view: (t) => backend.typedArrayFromHeap(t) as Float32Array,
  };
}

/** cpu outputs are created with their values, so they are allocated as zero-filled arrays first. */
function cpuAccess(backend: MathBackendCPU): ArrayAccess {
  return {
    alloc: (shape) => backend.makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape))),
    view: (t) => backend.data.get(t.dataId)!.values as Float32Array,
  };
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function checkFloat32(inputs: tf.NamedTensorInfoMap, kernel: string): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t !== undefined && t.dtype !== 'float32') throw new Error(`${kernel}: ${name} must be float32, got ${t.dtype}`);
  }
}

function forward(access: ArrayAccess, args: KernelArgs): tf.TensorInfo[] {
  const { x, scale, offset } = args.inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; offset: tf.TensorInfo };
  checkFloat32(args.inputs, BATCH_NORM_TRAINING);
  const channels = x.shape[x.shape.length - 1] ?? 1;
  if (scale.shape.length !== 1 || scale.shape[0] !== channels || offset.shape.length !== 1 || offset.shape[0] !== channels) {
    throw new Error(`${BATCH_NORM_TRAINING}: scale [${scale.shape}] and offset [${offset.shape}] must both be [${channels}]`);
  }
  const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
  const y = access.alloc(x.shape);
  const mean = access.alloc([channels]);
  const variance = access.alloc([channels]);
  batchNormForward(access.view(x), access.view(scale), access.view(offset), epsilon, {
    y: access.view(y),
    mean: access.view(mean),
    variance: access.view(variance),
  });
  return [y, mean, variance];
}

function backward(access: ArrayAccess, args: KernelArgs): tf.TensorInfo[] {
  const inputs = args.inputs as Record<'dy' | 'dMean' | 'dVariance' | 'x' | 'scale' | 'mean' | 'variance', tf.TensorInfo>;
  checkFloat32(args.inputs, BATCH_NORM_TRAINING_GRAD);
  const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
  const channels = inputs.scale.shape[0];
  const dx = access.alloc(inputs.x.shape);
  const dScale = access.alloc([channels]);
  const dOffset = access.alloc([channels]);
  const v = access.view;
  batchNormBackward(
    {
      dy: v(inputs.dy),
      dMean: v(inputs.dMean),
      dVariance: v(inputs.dVariance),
      x: v(inputs.x),
      scale: v(inputs.scale),
      mean: v(inputs.mean),
      variance: v(inputs.variance),
      epsilon,
    },
    { dx: v(dx), dScale: v(dScale), dOffset: v(dOffset) },
  );
  return [dx, dScale, dOffset];
}


/** The SIMD loops on this backend's heap, when they apply to `channels`. */
export function simdFor(backend: BackendWasm, channels: number): BatchNormSimd | null {
  if (channels % 4 !== 0 || channels === 0) return null;
  const memory = backendMemory(backend);
  return memory === null ? null : batchNormSimdFor(memory);
}

function pointer(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/**
 * Runs `body` with a zeroed scratch buffer on the heap holding 2C float64 accumulators
 * followed by `floats` float32 values; returns null (nothing done) if the allocator gave
 * a buffer not aligned for float64.
 */
function withScratch<T>(backend: BackendWasm, channels: number, floats: number, body: (at: number, acc: Float64Array, values: Float32Array) => T): T | null {
  const scratch = backend.makeOutput([4 * channels + floats], 'float32');
  try {
    const view = backend.typedArrayFromHeap(scratch) as Float32Array;
    if (view.byteOffset % 8 !== 0) return null;
    view.fill(0);
    const acc = new Float64Array(view.buffer, view.byteOffset, 2 * channels);
    return body(pointer(backend, scratch), acc, view.subarray(4 * channels));
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

function forwardSimd(backend: BackendWasm, simd: BatchNormSimd, args: KernelArgs): tf.TensorInfo[] | null {
  const { x, scale, offset } = args.inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; offset: tf.TensorInfo };
  const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
  const channels = scale.shape[0];
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const outputs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')];
  const [y, mean, variance] = outputs;
  // Scratch floats: the shift k, then the multiplier.
  const done = withScratch(backend, channels, 2 * channels, (at, acc, values) => {
    const shift = values.subarray(0, channels);
    const mult = values.subarray(channels);
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    if (rows > 0) shift.set(view(x).subarray(0, channels));
    const kAt = at + 16 * channels;
    simd.shiftedMoments(pointer(backend, x), rows, channels, kAt, at);
    normalisation(
      { sum: acc.subarray(0, channels), sumSq: acc.subarray(channels), shift, rows, scale: view(scale), epsilon },
      { mean: view(mean), variance: view(variance), mult },
    );
    simd.affine(pointer(backend, x), rows, channels, pointer(backend, mean), kAt + 4 * channels, pointer(backend, offset), pointer(backend, y));
    return true;
  });
  if (done === null) {
    outputs.forEach((t) => backend.disposeData(t.dataId));
    return null;
  }
  return outputs;
}

function backwardSimd(backend: BackendWasm, simd: BatchNormSimd, args: KernelArgs): tf.TensorInfo[] | null {
  const inputs = args.inputs as Record<'dy' | 'dMean' | 'dVariance' | 'x' | 'scale' | 'mean' | 'variance', tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
  const channels = inputs.scale.shape[0];
  const rows = tf.util.sizeFromShape(inputs.x.shape) / channels;
  const outputs = [backend.makeOutput(inputs.x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')];
  const [dx, dScale, dOffset] = outputs;
  // Scratch floats: the coefficients p, q, r of dx = p·dy + q·(x − μ) + r.
  const done = withScratch(backend, channels, 3 * channels, (at, acc, values) => {
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    const [p, q, r] = [0, 1, 2].map((i) => values.subarray(i * channels, (i + 1) * channels));
    const ptr = (t: tf.TensorInfo) => pointer(backend, t);
    simd.dotMoments(ptr(inputs.dy), ptr(inputs.x), rows, channels, ptr(inputs.mean), at);
    backwardCoefficients(
      { dMean: view(inputs.dMean), dVariance: view(inputs.dVariance), scale: view(inputs.scale), variance: view(inputs.variance), epsilon, rows, sumDy: acc.subarray(0, channels), sumDyXc: acc.subarray(channels) },
      { dScale: view(dScale), dOffset: view(dOffset), p, q, r },
    );
    const coefficients = at + 16 * channels;
    simd.affine2(ptr(inputs.dy), ptr(inputs.x), rows, channels, ptr(inputs.mean), coefficients, coefficients + 4 * channels, coefficients + 8 * channels, ptr(dx));
    return true;
  });
  if (done === null) {
    outputs.forEach((t) => backend.disposeData(t.dataId));
    return null;
  }
  return outputs;
}

/** SIMD on the heap where it applies, otherwise the JavaScript loops. */
function wasmKernel(
  simdPath: (backend: BackendWasm, simd: BatchNormSimd, args: KernelArgs) => tf.TensorInfo[] | null,
  generic: (access: ArrayAccess, args: KernelArgs) => tf.TensorInfo[],
  kernelName: string,
): (args: KernelArgs) => tf.TensorInfo[] {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    checkFloat32(args.inputs, kernelName);
    const simd = simdFor(backend, x.shape[x.shape.length - 1] ?? 1);
    return (simd && simdPath(backend, simd, args)) ?? generic(wasmAccess(backend), args);
  };
}

type KernelFn = (args: KernelArgs) => tf.TensorInfo[];

const KERNELS: Record<'wasm' | 'cpu', Array<[string, KernelFn]>> = {
  wasm: [
    [BATCH_NORM_TRAINING, wasmKernel(forwardSimd, forward, BATCH_NORM_TRAINING)],
    [BATCH_NORM_TRAINING_GRAD, wasmKernel(backwardSimd, backward, BATCH_NORM_TRAINING_GRAD)],
  ],
  cpu: [
    [BATCH_NORM_TRAINING, (args) => forward(cpuAccess(args.backend as MathBackendCPU), args)],
    [BATCH_NORM_TRAINING_GRAD, (args) => backward(cpuAccess(args.backend as MathBackendCPU), args)],
  ],
};

/** Registers both kernels for `backendName`; a no-op when they already are. */
export function registerBatchNormKernels(backendName: 'wasm' | 'cpu'): void {
  for (const [kernelName, fn] of KERNELS[backendName]) {
    if (tf.getKernel(kernelName, backendName) !== undefined) continue;
    tf.registerKernel({ kernelName, backendName, kernelFunc: fn as unknown as tf.KernelFunc });
  }
}
