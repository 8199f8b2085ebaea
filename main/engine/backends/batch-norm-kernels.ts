import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { batchNormBackward, batchNormForward } from './batch-norm-math';

/**
 * Training-mode batch norm as two kernels of our own, for the backends whose memory we can
 * read directly: 'wasm' (the heap) and 'cpu' (plain typed arrays).
 *
 * Forward:  {x, scale, offset}, {epsilon} → [y, mean, variance]
 * Backward: {dy, dMean, dVariance, x, scale, mean, variance}, {epsilon} → [dx, dScale, dOffset]
 *
 * x is channels-last of any rank; scale, offset, mean and variance have one value per
 * channel (its last dimension).
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

const ACCESS: Record<'wasm' | 'cpu', (backend: unknown) => ArrayAccess> = {
  wasm: (b) => wasmAccess(b as BackendWasm),
  cpu: (b) => cpuAccess(b as MathBackendCPU),
};

/** Registers both kernels for `backendName`; a no-op when they already are. */
export function registerBatchNormKernels(backendName: 'wasm' | 'cpu'): void {
  const access = ACCESS[backendName];
  const kernels: Array<[string, (a: ArrayAccess, args: KernelArgs) => tf.TensorInfo[]]> = [
    [BATCH_NORM_TRAINING, forward],
    [BATCH_NORM_TRAINING_GRAD, backward],
  ];
  for (const [kernelName, fn] of kernels) {
    if (tf.getKernel(kernelName, backendName) !== undefined) continue;
    tf.registerKernel({ kernelName, backendName, kernelFunc: ((args: KernelArgs) => fn(access(args.backend), args)) as unknown as tf.KernelFunc });
  }
}
