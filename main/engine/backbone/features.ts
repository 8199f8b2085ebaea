import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { predictInBatches } from '../evaluate';
import type { TrainingData } from '../types';
import { featureCacheFile, readFeatureCache, writeFeatureCache, type FeatureCacheKey } from './feature-cache';
import type { ResolvedBackbone } from './load-backbone';

export interface FeatureProgress {
  done: number;
  total: number;
  /** True when the features came from the cache (done = total at once). */
  cached: boolean;
}

/** Items per forward pass while extracting: small enough for 224 px images, large enough to be efficient. */
const CHUNK = 32;

/**
 * The frozen backbone's features of every item of the dataset (dataset order, one row of
 * `featureSize` each), in shared memory so that every training worker reads the same copy.
 * Read from the feature cache when it holds them; computed (in inference mode) and written
 * there otherwise. `data` must already carry the backbone's pixel scaling.
 */
export async function datasetFeatures(
  model: tfl.LayersModel,
  resolved: ResolvedBackbone,
  data: TrainingData,
  options: { datasetFingerprint: string; cacheDir?: string; onProgress?: (p: FeatureProgress) => void },
): Promise<{ values: Float32Array; dim: number; cached: boolean; cacheFile: string | null }> {
  const count = data.labels.length;
  const dim = resolved.featureSize;
  const values = new Float32Array(new SharedArrayBuffer(count * dim * 4));
  const key: FeatureCacheKey = {
    datasetFingerprint: options.datasetFingerprint,
    backboneSha256: resolved.sha256,
    featureLayer: resolved.featureLayer,
    pooled: resolved.pooled,
    scaling: resolved.scaling,
    imageSize: data.imageSize,
  };
  const file = options.cacheDir ? featureCacheFile(options.cacheDir, key) : null;
  if (file && (await readFeatureCache(file, key, count, dim, values))) {
    options.onProgress?.({ done: count, total: count, cached: true });
    return { values, dim, cached: true, cacheFile: file };
  }
  const all = Int32Array.from({ length: count }, (_, i) => i);
  for (let start = 0; start < count; start += CHUNK) {
    const chunk = all.subarray(start, Math.min(count, start + CHUNK));
    const rows = await predictInBatches(data, chunk, dim, (x) => model.apply(x, { training: false }) as tf.Tensor2D);
    values.set(rows, start * dim);
    options.onProgress?.({ done: start + chunk.length, total: count, cached: false });
  }
  if (file) await writeFeatureCache(file, key, count, dim, values);
  return { values, dim, cached: false, cacheFile: file };
}
