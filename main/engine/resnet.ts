import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { ResnetModelSpec } from '../experiment/config';
import { deriveSeed } from '../util/random';
import { batchNormalization, conv2d } from './layers/fast-layers';
import type { FeatureExtractor, NetworkInput } from './network-family';

/**
 * The CIFAR ResNets of He et al. (2016), section 4.2: a 3×3 convolution with `width` filters,
 * then three stages of n basic blocks (two 3×3 conv-BN layers and a shortcut) with width, 2·width
 * and 4·width filters, the first block of stages 2 and 3 halving the resolution; depth = 6n + 2;
 * global average pooling. ResNet-20/32/56 have 0.27M/0.46M/0.85M parameters with width 16.
 *
 * Shortcuts are option A of the paper (identity; where the shape changes, every second pixel and
 * zero-padded channels), as the paper used on CIFAR and as the long-tail papers' ResNet-32 does
 * (Cao et al. 2019's LDAM-DRW code): it adds no parameters, so results compare with published
 * CIFAR-LT numbers. It is computed by a frozen 1×1 stride-2 convolution whose kernel only
 * places input channel i at output channel i + pad; that keeps a saved model a plain tfjs
 * layers model, loadable anywhere without a custom layer class.
 *
 * Strided convolutions pad one pixel on every side, as PyTorch's `padding=1` does ('same'
 * padding in TensorFlow pads only the bottom and right for stride 2), so weights carry over to
 * and from the PyTorch definition exactly.
 */
export function buildResnetFeatures(spec: ResnetModelSpec, input: NetworkInput, seed: number): FeatureExtractor {
  const blocksPerStage = (spec.depth - 2) / 6;
  const images = tfl.input({ shape: [input.imageSize, input.imageSize, input.channels], name: 'images' });
  const shortcutKernels: { layer: tfl.layers.Layer; inPlanes: number; planes: number }[] = [];

  const conv3x3 = (x: SymbolicTensor, filters: number, stride: 1 | 2, name: string): SymbolicTensor => {
    const padded = stride === 1 ? x : (tfl.layers.zeroPadding2d({ padding: 1, name: `${name}_pad` }).apply(x) as SymbolicTensor);
    return conv2d({
      filters,
      kernelSize: 3,
      strides: stride,
      padding: stride === 1 ? 'same' : 'valid',
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: deriveSeed(seed, name) }),
      name,
    }).apply(padded) as SymbolicTensor;
  };
  const bn = (x: SymbolicTensor, name: string) => batchNormalization({ momentum: 0.9, epsilon: 1e-5, name }).apply(x) as SymbolicTensor;
  const relu = (x: SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as SymbolicTensor;

  let x = relu(bn(conv3x3(images, spec.width, 1, 'conv0'), 'bn0'), 'relu0');
  let inPlanes = spec.width;
  for (let stage = 0; stage < 3; stage++) {
    const planes = spec.width * 2 ** stage;
    for (let block = 0; block < blocksPerStage; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const name = `stage${stage + 1}_block${block + 1}`;
      let residual = relu(bn(conv3x3(x, planes, stride, `${name}_conv1`), `${name}_bn1`), `${name}_relu1`);
      residual = bn(conv3x3(residual, planes, 1, `${name}_conv2`), `${name}_bn2`);
      let shortcut = x;
      if (stride !== 1 || inPlanes !== planes) {
        const layer = conv2d({ filters: planes, kernelSize: 1, strides: stride, padding: 'valid', useBias: false, trainable: false, name: `${name}_shortcut` });
        shortcut = layer.apply(x) as SymbolicTensor;
        shortcutKernels.push({ layer, inPlanes, planes });
      }
      x = relu(tfl.layers.add({ name: `${name}_add` }).apply([residual, shortcut]) as SymbolicTensor, `${name}_relu2`);
      inPlanes = planes;
    }
  }
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as SymbolicTensor;
  const model = tfl.model({ inputs: images, outputs: pooled, name: 'features' });
  for (const { layer, inPlanes: from, planes } of shortcutKernels) {
    const kernel = optionAKernel(from, planes);
    layer.setWeights([kernel]);
    kernel.dispose();
  }
  return { model, featureSize: inPlanes };
}

/** The 1×1 kernel of an option-A shortcut: input channel i goes to output channel i + ⌊(out − in)/2⌋, the rest are zero. */
export function optionAKernel(inPlanes: number, planes: number): tf.Tensor4D {
  const offset = Math.floor((planes - inPlanes) / 2);
  const values = new Float32Array(inPlanes * planes);
  for (let i = 0; i < inPlanes; i++) values[i * planes + i + offset] = 1;
  return tf.tensor4d(values, [1, 1, inPlanes, planes]);
}
