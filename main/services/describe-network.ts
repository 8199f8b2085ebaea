import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { NetworkInput } from '../engine/network-family';
import { buildNetwork, disposeNetwork } from '../engine/model';
import { networkStats } from '../engine/network-stats';
import type { ModelSpec } from '../experiment/config';
import { modelLabel } from '../experiment/model-label';
import type { NetworkSummary } from '../results/types';

export interface DescribeNetworkRequest extends NetworkInput {
  model: ModelSpec;
  numClasses: number;
}

/**
 * Builds the network a configuration would train, exactly as training builds it (model.ts),
 * measures it (network-stats.ts) and disposes it: the size the UI shows is the engine's own
 * count, never a formula repeated elsewhere. The weights are built on the cpu backend, which
 * every install has and which needs no device.
 */
export async function describeNetwork(request: DescribeNetworkRequest): Promise<NetworkSummary> {
  if (tf.getBackend() !== 'cpu' && !(await tf.setBackend('cpu'))) throw new Error('The cpu backend of TensorFlow.js failed to start');
  await tf.ready();
  const network = buildNetwork(request.model, { imageSize: request.imageSize, channels: request.channels }, request.numClasses, 0);
  try {
    return { label: modelLabel(request.model), ...networkStats(network) };
  } finally {
    disposeNetwork(network);
  }
}
