import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendRequest } from '../backends/select-backend';
import type { TrainingData } from '../types';
import { extractRows } from './features';
import { loadBackboneFeatures, type ResolvedBackbone } from './load-backbone';

/**
 * A feature-extraction worker: loads the frozen backbone on its own backend and writes the
 * features of dataset items [from, to) into the shared output, reporting items done. Several
 * of these fill one dataset's features at once (datasetFeatures).
 */
export interface FeaturesWorkerData {
  backend: BackendRequest;
  resolved: ResolvedBackbone;
  data: TrainingData;
  /** Shared: every worker writes its own rows of the same array. */
  values: Float32Array;
  from: number;
  to: number;
}

export type FromFeaturesWorker = { type: 'progress'; done: number } | { type: 'done' } | { type: 'failed'; message: string };

if (!parentPort) throw new Error('features-worker.ts must run as a worker thread');
const port = parentPort;
const input = workerData as FeaturesWorkerData;

void (async () => {
  try {
    await selectBackend(input.backend);
    const model = await loadBackboneFeatures(input.resolved);
    try {
      await extractRows(model, input.data, input.values, input.resolved.featureSize, input.from, input.to, (done) => port.postMessage({ type: 'progress', done } satisfies FromFeaturesWorker));
    } finally {
      model.dispose();
    }
    port.postMessage({ type: 'done' } satisfies FromFeaturesWorker);
  } catch (error) {
    port.postMessage({ type: 'failed', message: (error as Error).message } satisfies FromFeaturesWorker);
  }
})();
