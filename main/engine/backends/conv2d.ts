import * as tf from '@tensorflow/tfjs-core';
import { trySmallConv2d } from './small-conv';
import { asWasmBackend, stockKernelCaller } from './wasm-kernel-calls';
import { winogradConv2d, winogradPays, type WinogradProblem } from './winograd-conv';

/**
 * 'Conv2D' and 'FusedConv2D' for wasm: each call goes to the fastest of
 * - Winograd F(4x4, 3x3) (winograd-conv.ts), for 3x3 stride-1 convs where its cost model says it pays;
 * - the direct SIMD conv for few input channels (small-conv.ts), i.e. an RGB first layer;
 * - the stock XNNPACK kernel, for everything else.
 */

/** Forward-conv geometry when Winograd applies to it and pays, else null. */
function winogradProblem(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs): WinogradProblem | null {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  if (filter.shape[0] !== 3 || filter.shape[1] !== 3 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { top, left } = info.padInfo;
  const fits =
    info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1 && top >= 0 && left >= 0 &&
    info.inChannels === filter.shape[2] && info.inChannels > 0 && info.outChannels > 0 && winogradPays(info.batchSize, info.inChannels, info.outChannels, info.outHeight, info.outWidth);
  if (!fits) return null;
  return { x, filter, flipped: false, padTop: top, padLeft: left, outHeight: info.outHeight, outWidth: info.outWidth };
}

export function makeConv2dWasm(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  const fallback = stockKernelCaller('Conv2D', stock);
  return (args) => {
    const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DAttrs;
    const problem = winogradProblem(x, filter, attrs);
    if (problem) return winogradConv2d(asWasmBackend(args.backend), problem);
    return trySmallConv2d(asWasmBackend(args.backend), x, filter, attrs) ?? fallback(args);
  };
}

/** Winograd and the small-channel conv take the linear and ReLU activations with an optional per-channel bias (the conv+bias+ReLU block). */
export function makeFusedConv2dWasm(stock: tf.KernelConfig | undefined): tf.KernelFunc {
  const fallback = stockKernelCaller('FusedConv2D', stock);
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as unknown as tf.FusedConv2DInputs & { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    const activation = attrs.activation ?? 'linear';
    const plainBias =
      bias == null || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === filter.shape[3]);
    if ((activation === 'linear' || activation === 'relu') && preluActivationWeights == null && plainBias) {
      const problem = winogradProblem(x, filter, attrs);
      if (problem) {
        return winogradConv2d(asWasmBackend(args.backend), { ...problem, bias: bias ?? undefined, relu: activation === 'relu' });
      }
      const small = trySmallConv2d(asWasmBackend(args.backend), x, filter, attrs, bias ?? undefined, activation === 'relu');
      if (small) return small;
    }
    return fallback(args);
  };
}
