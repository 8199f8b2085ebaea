import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BackendRequest } from '../backends/select-backend';
import { predictInBatches } from '../evaluate';
import type { TrainingData } from '../types';
import { featureCacheFile, readFeatureCache, writeFeatureCache, type FeatureCacheKey } from './feature-cache';
import type { FeaturesWorkerData, FromFeaturesWorker } from './features-worker';
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
 * Features of items [from, to) into `values` (row i at i × dim), CHUNK items per forward pass
 * counted from item 0, so that whichever thread computes a row, it is computed in the same
 * batch as on one thread: same numbers however the work is split.
 */
export async function extractRows(
  model: tfl.LayersModel,
  data: TrainingData,
  values: Float32Array,
  dim: number,
  from: number,
  to: number,
  onChunk?: (done: number) => void,
): Promise<void> {
  for (let start = from; start < to; start += CHUNK) {
    const chunk = Int32Array.from({ length: Math.min(to, start + CHUNK) - start }, (_, i) => start + i);
    const rows = await predictInBatches(data, chunk, dim, (x) => model.apply(x, { training: false }) as tf.Tensor2D);
    values.set(rows, start * dim);
    onChunk?.(chunk.length);
  }
}

/** Contiguous ranges of whole chunks, one per thread, as even as chunks allow. */
export function splitRanges(count: number, threads: number): Array<[number, number]> {
  const chunks = Math.ceil(count / CHUNK);
  const parts = Math.max(1, Math.min(threads, chunks));
  const ranges: Array<[number, number]> = [];
  for (let p = 0, firstChunk = 0; p < parts; p++) {
    const take = Math.floor(chunks / parts) + (p < chunks % parts ? 1 : 0);
    ranges.push([firstChunk * CHUNK, Math.min(count, (firstChunk + take) * CHUNK)]);
    firstChunk += take;
  }
  return ranges;
}

/** Fills `values` with one worker thread per range, each with its own copy of the backbone. */
async function extractInWorkers(
  resolved: ResolvedBackbone,
  data: TrainingData,
  values: Float32Array,
  parallel: { backend: BackendRequest; threads: number },
  onDone: (items: number) => void,
): Promise<void> {
  const workers: Worker[] = [];
  try {
    await Promise.all(
      splitRanges(data.labels.length, parallel.threads).map(([from, to]) => {
        const input: FeaturesWorkerData = { backend: parallel.backend, resolved, data, values, from, to };
        const worker = new Worker(path.join(__dirname, 'features-worker.js'), { workerData: input });
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          worker.on('message', (message: FromFeaturesWorker) => {
            if (message.type === 'progress') onDone(message.done);
            else if (message.type === 'done') resolve();
            else reject(new Error(`Computing the backbone's features failed: ${message.message}`));
          });
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`A feature-extraction worker stopped (exit code ${code}) before finishing`)));
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The frozen backbone's features of every item of the dataset (dataset order, one row of
 * `featureSize` each), in shared memory so that every training worker reads the same copy.
 * Read from the feature cache when it holds them; computed (in inference mode) and written
 * there otherwise: on this thread with `model`, or, given `parallel.threads` > 1, split over
 * that many worker threads (each loads the backbone again; same numbers, see extractRows).
 * `data` must already carry the backbone's pixel scaling.
 */
export async function datasetFeatures(
  model: tfl.LayersModel,
  resolved: ResolvedBackbone,
  data: TrainingData,
  options: {
    datasetFingerprint: string;
    cacheDir?: string;
    onProgress?: (p: FeatureProgress) => void;
    parallel?: { backend: BackendRequest; threads: number };
  },
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
  let done = 0;
  const onDone = (items: number): void => {
    done += items;
    options.onProgress?.({ done, total: count, cached: false });
  };
  const threads = options.parallel && count > CHUNK ? options.parallel.threads : 1;
  if (threads > 1) await extractInWorkers(resolved, data, values, { backend: options.parallel!.backend, threads }, onDone);
  else await extractRows(model, data, values, dim, 0, count, onDone);
  if (file) await writeFeatureCache(file, key, count, dim, values);
  return { values, dim, cached: false, cacheFile: file };
}
