import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { NetworkInput } from '../engine/network-family';
import { buildNetwork, disposeNetwork, type Network } from '../engine/model';
import { networkStats } from '../engine/network-stats';
import { buildBackboneNetwork, buildHeadOnlyNetwork, resolveBackbone } from '../engine/backbone/backbone';
import { isDownloadedSource } from '../engine/backbone/presets';
import type { BackboneModelSpec, ModelSpec } from '../experiment/config';
import { finetuneName, headName, modelLabel } from '../experiment/model-label';
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
  if (request.model.family === 'backbone') return describeBackbone(request.model, request);
  const network = buildNetwork(request.model, { imageSize: request.imageSize, channels: request.channels }, request.numClasses, 0);
  try {
    return { label: modelLabel(request.model), ...networkStats(network) };
  } finally {
    disposeNetwork(network);
  }
}

/**
 * A backbone on disk (a folder or a model.json) is loaded and checked as training would load
 * it (the feature layer found, the input size, the finetune depth), then measured with its
 * head: trainable parameters are the head's, plus the fine-tuned layers'; parameters and FLOPs
 * include the backbone. A preset or URL is not fetched just to be measured: that happens,
 * once, when an experiment starts.
 */
async function describeBackbone(spec: BackboneModelSpec, request: DescribeNetworkRequest): Promise<NetworkSummary> {
  if (isDownloadedSource(spec.source)) {
    throw new Error(`${spec.source} is downloaded when an experiment first uses it (then kept in the app-data folder); its size is measured then`);
  }
  const { resolved, features } = await resolveBackbone(spec, { imageSize: request.imageSize });
  features.dispose();
  const frozen = spec.finetune === 'none';
  const network: Network = frozen ? buildHeadOnlyNetwork(spec, resolved.featureSize, request.numClasses, 0) : await buildBackboneNetwork(spec, resolved, request.numClasses, 0);
  try {
    const stats = networkStats(network);
    const label = `Pretrained backbone ${resolved.source} (sha256 ${resolved.sha256.slice(0, 12)}…) at ${resolved.featureLayer}, ${resolved.featureSize} features, ${resolved.inputSize} px input, finetune ${finetuneName(spec.finetune)}, ${headName(spec.head)} head`;
    // A frozen backbone's network is the head on precomputed features: add the backbone's share.
    return frozen
      ? { label, trainableParams: stats.trainableParams, totalParams: stats.totalParams + resolved.totalParams, flopsPerImage: stats.flopsPerImage + resolved.flopsPerImage }
      : { label, ...stats };
  } finally {
    disposeNetwork(network);
  }
}
