import * as tfl from '@tensorflow/tfjs-layers';
import type { CnnModelSpec } from '../experiment/config';
import { deriveSeed } from '../util/random';
import { batchNormalization, conv2d } from './layers/fast-layers';
import type { FeatureExtractor, NetworkInput } from './network-family';

/**
 * LossLab's own small network: conv-BN-ReLU blocks with a 2×2 max-pool after every block but
 * the last, then global average pooling. Filters start at `width` and double per block.
 */
export function buildCnnFeatures(spec: CnnModelSpec, input: NetworkInput, seed: number): FeatureExtractor {
  const features = tfl.sequential({ name: 'features' });
  let filters = spec.width;
  let size = input.imageSize;
  for (let block = 0; block < spec.depth; block++) {
    features.add(
      conv2d({
        ...(block === 0 ? { inputShape: [input.imageSize, input.imageSize, input.channels] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        // The bias is redundant before batch norm (its beta does the same job).
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: deriveSeed(seed, `conv${block}`) }),
        name: `conv${block}`,
      }),
    );
    features.add(batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `bn${block}` }));
    features.add(tfl.layers.reLU({ name: `relu${block}` }));
    const last = block === spec.depth - 1;
    if (!last && size >= 2) {
      features.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${block}` }));
      size = Math.floor(size / 2);
    }
    if (!last) filters *= 2;
  }
  features.add(tfl.layers.globalAveragePooling2d({ name: 'gap' }));
  return { model: features, featureSize: filters };
}
