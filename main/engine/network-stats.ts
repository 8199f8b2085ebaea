import type * as tfl from '@tensorflow/tfjs-layers';
import type { Network } from './model';

/** Size and cost of a network, recorded with every run (results.json, reports). */
export interface NetworkStats {
  /** Parameters the optimiser updates (frozen layers and batch-norm statistics excluded). */
  trainableParams: number;
  /** Every parameter, frozen ones and batch-norm statistics included. */
  totalParams: number;
  /**
   * Floating-point operations of one image's forward pass, counted as 2 per multiply-accumulate
   * of the convolution and dense layers (the usual convention: batch norm, activations and
   * pooling are left out).
   */
  flopsPerImage: number;
}

function leafLayers(layer: tfl.layers.Layer): tfl.layers.Layer[] {
  const nested = (layer as unknown as { layers?: tfl.layers.Layer[] }).layers;
  return nested ? nested.flatMap(leafLayers) : [layer];
}

/**
 * Convolutions and dense layers: every kernel weight is used once per output position, so the
 * multiply-accumulates are the kernel's size times the output's spatial size (1 for dense).
 */
function layerFlops(layer: tfl.layers.Layer): number {
  const kind = layer.getClassName();
  if (kind !== 'Conv2D' && kind !== 'DepthwiseConv2D' && kind !== 'Dense') return 0;
  // The kernel is a layer's first weight (Conv2D, DepthwiseConv2D and Dense alike).
  const kernel = layer.weights[0];
  if (!kernel) return 0;
  const output = layer.outputShape as (number | null)[];
  const positions = kind === 'Dense' ? 1 : (output[1] ?? 1) * (output[2] ?? 1);
  return 2 * positions * kernel.shape.reduce<number>((n, d) => n * (d ?? 1), 1);
}

function countParams(weights: tfl.LayerVariable[]): number {
  return weights.reduce((n, w) => n + w.shape.reduce<number>((a, d) => a * (d ?? 1), 1), 0);
}

export function networkStats(network: Network): NetworkStats {
  return modelStats([network.features, network.head]);
}

/** The same figures for any list of models (e.g. a backbone on its own). */
export function modelStats(models: tfl.LayersModel[]): NetworkStats {
  return {
    trainableParams: models.reduce((n, m) => n + countParams(m.trainableWeights), 0),
    totalParams: models.reduce((n, m) => n + countParams(m.weights), 0),
    flopsPerImage: models.flatMap((m) => leafLayers(m)).reduce((n, layer) => n + layerFlops(layer), 0),
  };
}
