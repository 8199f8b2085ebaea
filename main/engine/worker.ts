import { parentPort } from 'node:worker_threads';
import { selectBackend } from './backends/select-backend';
import { nativeKernels } from './backends/native-kernels';
import { takeWebGpuErrors } from './backends/webgpu';
import { trainRun } from './train-run';
import { RunCancelledError, type TrainingData } from './types';
import { CANCEL_ALL, cancelSlot, type FromWorker, type ToWorker } from './worker-protocol';

/**
 * A training worker: sets up its own TensorFlow.js backend once, then trains the runs it is
 * given one at a time. Keeping TensorFlow.js off the caller's thread keeps the app responsive.
 */
if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
let data: TrainingData | null = null;
let cancelFlags: Int32Array | null = null;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', (message: ToWorker) => {
  void handle(message);
});

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'init') {
    try {
      const backend = await selectBackend(message.backend);
      data = message.data;
      cancelFlags = message.cancelFlags;
      // The pool raises this when fewer runs than cores are left; the native kernels read it at every call.
      nativeKernels()?.shareThreadBudget(message.threadBudget);
      send({ type: 'ready', backend });
    } catch (error) {
      send({ type: 'init-failed', message: (error as Error).message });
    }
    return;
  }
  const { job, keepWeights, checkpointDir } = message;
  const flags = cancelFlags;
  if (!data || !flags) {
    send({ type: 'failed', runId: job.runId, message: 'Worker received a run before its data', cancelled: false });
    return;
  }
  // Errors a previous run left on the GPU (they arrive asynchronously) are not this run's.
  takeWebGpuErrors();
  try {
    const outcome = await trainRun(job, data, {
      keepWeights,
      ...(checkpointDir ? { checkpointDir } : {}),
      isCancelled: () => Atomics.load(flags, CANCEL_ALL) !== 0 || Atomics.load(flags, cancelSlot(job.index)) !== 0,
      onBatch: (progress) => send({ type: 'batch', progress }),
      onEpoch: (record) => send({ type: 'epoch', runId: job.runId, record }),
    });
    // A GPU error does not throw inside tfjs; the run's numbers may be zeros or garbage.
    const gpuErrors = takeWebGpuErrors();
    if (gpuErrors.length > 0) throw new Error(`The GPU reported errors during this run, so its results are discarded: ${gpuErrors.join(' | ')}`);
    const transfer = [outcome.testLogits.buffer, outcome.valLogits.buffer] as ArrayBuffer[];
    if (outcome.testLogitsLast.buffer !== outcome.testLogits.buffer) transfer.push(outcome.testLogitsLast.buffer as ArrayBuffer);
    if (outcome.weights) transfer.push(outcome.weights.weightData);
    send({ type: 'done', outcome }, transfer);
  } catch (error) {
    takeWebGpuErrors();
    const cancelled = error instanceof RunCancelledError;
    send({ type: 'failed', runId: job.runId, message: (error as Error).message, cancelled });
  }
}
