import * as tfl from '@tensorflow/tfjs-layers';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers/dist/engine/topology';

/**
 * MobileNet v1 and v2 (α = 1.0, 224 px) bodies up to global average pooling, with random
 * weights: the benchmarks time them (bench/mobilenet.ts) and train on them as a frozen backbone
 * (bench/mobilenet-study.ts). The same architectures as bench/pytorch_mobilenet.py.
 */
let seed = 1;
const init = () => tfl.initializers.heNormal({ seed: seed++ });
const bnRelu6 = (x: SymbolicTensor, relu = true): SymbolicTensor => {
  const y = tfl.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as SymbolicTensor;
  return relu ? (tfl.layers.reLU({ maxValue: 6 }).apply(y) as SymbolicTensor) : y;
};
const conv = (x: SymbolicTensor, filters: number, kernel: number, stride: number) =>
  tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: init() }).apply(x) as SymbolicTensor;
const depthwise = (x: SymbolicTensor, stride: number) =>
  tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: init() }).apply(x) as SymbolicTensor;

/** Howard et al. 2017, table 1: the body up to global average pooling (1024 features). */
export function mobilenetV1(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3] });
  let x = bnRelu6(conv(input, 32, 3, 2));
  const blocks: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  for (const [filters, stride] of blocks) x = bnRelu6(conv(bnRelu6(depthwise(x, stride)), filters, 1, 1));
  return tfl.model({ inputs: input, outputs: tfl.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor });
}

/** Sandler et al. 2018, table 2: inverted residual blocks, then a 1×1 conv to 1280 features. */
export function mobilenetV2(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3] });
  let x = bnRelu6(conv(input, 32, 3, 2));
  let channels = 32;
  const settings: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      let y = t === 1 ? x : bnRelu6(conv(x, channels * t, 1, 1));
      y = bnRelu6(conv(bnRelu6(depthwise(y, stride)), c, 1, 1), false);
      x = stride === 1 && channels === c ? (tfl.layers.add().apply([x, y]) as SymbolicTensor) : y;
      channels = c;
    }
  }
  x = bnRelu6(conv(x, 1280, 1, 1));
  return tfl.model({ inputs: input, outputs: tfl.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor });
}

