import * as tf from '@tensorflow/tfjs-core';
// The reference backend.
import '@tensorflow/tfjs-backend-cpu';

/**
 * A GPU driver that compiles shaders but computes wrong numbers would silently ruin every
 * comparison LossLab makes, so before training on a GPU we run one training step of a tiny
 * conv net on it and on the cpu backend and require the loss and every gradient to agree.
 * The net uses the kernels a LossLab training step is made of: convolution with both of its
 * gradients, batch-norm statistics and normalisation, ReLU, 2×2 max-pooling and its gradient,
 * global average pooling, a dense layer and softmax cross-entropy.
 */

export interface StepResult {
  loss: number;
  /** Gradient per parameter, by name. */
  gradients: Record<string, Float32Array>;
}

export interface CheckOutcome {
  ok: boolean;
  /** Largest relative error over the loss and all gradients, and where it was. */
  worst: { name: string; relativeError: number };
  /** Why the check failed, when it did. */
  problem?: string;
}

/** Relative L2 error allowed per tensor. Float32 with another summation order stays near 1e-6. */
export const SELF_CHECK_TOLERANCE = 1e-3;

const BATCH = 4;
const SIZE = 8;
const CHANNELS = 3;
const CLASSES = 3;

/** Smooth, tie-free, seedless values, so both backends see exactly the same inputs. */
function pattern(shape: number[], phase: number, scale: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = scale * Math.sin(0.7 * i + phase) * Math.cos(0.13 * i * phase + 1);
  return tf.tensor(values, shape);
}

/** Loss and gradients of one training step on whichever backend is active. */
export async function tinyTrainingStep(): Promise<StepResult> {
  const names = ['conv1', 'gamma', 'beta', 'conv2', 'dense', 'bias'] as const;
  const { value, grads } = tf.tidy(() => {
    const x = pattern([BATCH, SIZE, SIZE, CHANNELS], 0.3, 1) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), CLASSES);
    const params = [
      pattern([3, 3, CHANNELS, 4], 1.1, 0.4),
      tf.add(pattern([4], 2.3, 0.2), 1),
      pattern([4], 3.7, 0.1),
      pattern([3, 3, 4, 6], 4.1, 0.3),
      pattern([6, CLASSES], 5.9, 0.5),
      pattern([CLASSES], 6.2, 0.1),
    ];
    const loss = (conv1: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, conv2: tf.Tensor, dense: tf.Tensor, bias: tf.Tensor): tf.Scalar => {
      const c1 = tf.conv2d(x, conv1 as tf.Tensor4D, 1, 'same');
      // Training-mode batch norm as tfjs-layers computes it: batch moments, then normalise.
      const { mean, variance } = tf.moments(c1, [0, 1, 2]);
      const bn = tf.batchNorm(c1, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5);
      const pooled = tf.maxPool(tf.relu(bn) as tf.Tensor4D, 2, 2, 'valid');
      const c2 = tf.relu(tf.conv2d(pooled, conv2 as tf.Tensor4D, 1, 'same'));
      const features = tf.mean(c2, [1, 2]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(features, dense as tf.Tensor2D), bias);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    };
    return tf.valueAndGrads(loss as (...args: tf.Tensor[]) => tf.Scalar)(params);
  });
  try {
    const gradients: Record<string, Float32Array> = {};
    for (let i = 0; i < names.length; i++) gradients[names[i]!] = (await grads[i]!.data()) as Float32Array;
    return { loss: (await value.data())[0] as number, gradients };
  } finally {
    value.dispose();
    grads.forEach((g) => g.dispose());
  }
}

/** Relative L2 distance; tiny references are compared absolutely instead of blowing up. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    if (!Number.isFinite(a)) return Infinity;
    diff += (a - (expected[i] as number)) ** 2;
    norm += (expected[i] as number) ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-6);
}

export function compareSteps(candidate: StepResult, reference: StepResult, tolerance = SELF_CHECK_TOLERANCE): CheckOutcome {
  const errors: Array<[string, number]> = [['loss', relativeError([candidate.loss], [reference.loss])]];
  for (const [name, expected] of Object.entries(reference.gradients)) {
    const actual = candidate.gradients[name];
    errors.push([`gradient of ${name}`, actual ? relativeError(actual, expected) : Infinity]);
  }
  const [name, relativeErr] = errors.reduce((a, b) => (b[1] > a[1] || Number.isNaN(b[1]) ? b : a));
  const worst = { name, relativeError: relativeErr };
  if (relativeErr <= tolerance) return { ok: true, worst };
  return {
    ok: false,
    worst,
    problem: `${name} differs from the cpu backend's by ${Number.isFinite(relativeErr) ? relativeErr.toExponential(2) : 'a non-finite amount'} (relative; allowed ${tolerance})`,
  };
}

/**
 * Runs the step on cpu and then on `backend`, which is left active. Gradient functions must be
 * registered first (loading @tensorflow/tfjs-layers does that).
 */
export async function selfCheck(backend: string): Promise<CheckOutcome & { seconds: number }> {
  const started = performance.now();
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend, the reference for the self-check, failed to start');
  // The cpu backend greets its first use in Node with advice to install tfjs-node; the user
  // did not choose cpu here, so that banner would only confuse.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const reference = await tinyTrainingStep();
  if (!(await tf.setBackend(backend))) throw new Error(`${backend} backend failed to initialise`);
  const candidate = await tinyTrainingStep();
  return { ...compareSteps(candidate, reference), seconds: (performance.now() - started) / 1000 };
}
