import * as tf from '@tensorflow/tfjs-core';
import { argmaxRows } from '../metrics/predictions';
import { fillBatch } from './batches';
import { forwardFeatures, forwardLogits, type Network } from './model';
import type { TrainingData } from './types';

const EVAL_BATCH = 256;

/**
 * Runs `forward` over `indices` in inference batches and gathers its [batch, width] outputs;
 * every tensor is disposed before the next batch, so memory stays bounded.
 */
export async function predictInBatches(
  data: TrainingData,
  indices: Int32Array,
  width: number,
  forward: (images: tf.Tensor4D) => tf.Tensor2D,
): Promise<Float32Array> {
  const { imageSize: s, channels: ch } = data;
  const out = new Float32Array(indices.length * width);
  const buffer = new Float32Array(EVAL_BATCH * s * s * ch);
  for (let start = 0; start < indices.length; start += EVAL_BATCH) {
    const batch = indices.subarray(start, Math.min(indices.length, start + EVAL_BATCH));
    const view = buffer.subarray(0, batch.length * s * s * ch);
    fillBatch(data, batch, view, null, null);
    const output = tf.tidy(() => forward(tf.tensor4d(view, [batch.length, s, s, ch])));
    out.set((await output.data()) as Float32Array, start * width);
    output.dispose();
  }
  return out;
}

export function predictLogits(network: Network, data: TrainingData, indices: Int32Array): Promise<Float32Array> {
  return predictInBatches(data, indices, data.numClasses, (x) => forwardLogits(network, x, false));
}

export function predictFeatures(network: Network, data: TrainingData, indices: Int32Array): Promise<Float32Array> {
  return predictInBatches(data, indices, network.featureSize, (x) => forwardFeatures(network, x, false));
}

/** Accuracy and balanced accuracy (mean recall over classes present) from logits; used for model selection. */
export function quickAccuracy(
  logits: Float32Array,
  labels: Int32Array,
  indices: Int32Array,
  numClasses: number,
): { accuracy: number; balancedAccuracy: number } {
  const predicted = argmaxRows(logits, numClasses);
  const hits = new Float64Array(numClasses);
  const totals = new Float64Array(numClasses);
  let correct = 0;
  for (let i = 0; i < indices.length; i++) {
    const truth = labels[indices[i] as number] as number;
    totals[truth] = (totals[truth] as number) + 1;
    if (predicted[i] === truth) {
      hits[truth] = (hits[truth] as number) + 1;
      correct++;
    }
  }
  let recallSum = 0;
  let present = 0;
  for (let c = 0; c < numClasses; c++) {
    if ((totals[c] as number) > 0) {
      recallSum += (hits[c] as number) / (totals[c] as number);
      present++;
    }
  }
  return {
    accuracy: indices.length > 0 ? correct / indices.length : 0,
    balancedAccuracy: present > 0 ? recallSum / present : 0,
  };
}
