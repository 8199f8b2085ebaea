import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../engine/backends/select-backend';
import { firstLine } from '../engine/backends/describe';
import { buildNetwork, disposeNetwork, forwardLogits } from '../engine/model';
import { PROBE_WORKLOAD, type ProbeMessage, type ProbeRequest } from './backend-probe';

/**
 * The thread backend-probe.ts starts per backend: selects it as training would (self-check
 * included), then trains LossLab's default network on random images for the given seconds,
 * posting each step's time so the parent has a rate even if it has to end this thread.
 */

const port = parentPort!;
const post = (message: ProbeMessage): void => port.postMessage(message);

async function main(request: ProbeRequest): Promise<void> {
  try {
    const info = await selectBackend(request.backend);
    post({ type: 'selected', package: info.package, version: info.version, notes: info.notes });
  } catch (error) {
    post({ type: 'unavailable', reason: error instanceof Error ? error.message : String(error) });
    post({ type: 'done' });
    return;
  }
  if (request.seconds > 0) {
    try {
      await trainFor(request.seconds);
    } catch (error) {
      post({ type: 'failed', message: firstLine(error) });
    }
  }
  post({ type: 'done' });
}

async function trainFor(seconds: number): Promise<void> {
  tf.enableProdMode();
  const { imageSize, channels, classes, batch } = PROBE_WORKLOAD;
  const network = buildNetwork({ family: 'cnn', width: 16, depth: 3 }, { imageSize, channels }, classes, 1);
  const images = tf.randomUniform([batch, imageSize, imageSize, channels], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.cast(tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32', 8) as tf.Tensor1D, classes), 'float32') as tf.Tensor2D;
  const optimizer = tf.train.adam(1e-3);
  const variables = [...network.features.trainableWeights, ...network.head.trainableWeights].map((w) => w.read() as tf.Variable);
  try {
    // The budget starts after the warm-up step (shader compilation, first allocations), and at
    // least one timed step runs, so a usable backend always gets a rate unless the parent's
    // time limit cuts it short.
    let deadline = Infinity;
    for (let step = 0; step < 2 || performance.now() < deadline; step++) {
      const started = performance.now();
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, forwardLogits(network, images, true)) as tf.Scalar, true, variables);
      // An awaited read per step, as training does: the device's work is in the time.
      await loss!.data();
      loss!.dispose();
      post({ type: 'step', images: batch, seconds: (performance.now() - started) / 1000, first: step === 0 });
      if (step === 0) deadline = performance.now() + seconds * 1000;
    }
  } finally {
    optimizer.dispose();
    tf.dispose([images, labels]);
    disposeNetwork(network);
  }
}

void main(workerData as ProbeRequest);
