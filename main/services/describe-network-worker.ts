import { parentPort } from 'node:worker_threads';
import { describeNetwork, type DescribeNetworkRequest } from './describe-network';

/**
 * The thread model-service.ts measures networks in: building a wide network allocates and
 * initialises all its weights, which must not stall the main process (IPC, HTTP, progress).
 */
export type ToDescribeWorker = { id: number; request: DescribeNetworkRequest };
export type FromDescribeWorker = { id: number; ok: true; result: Awaited<ReturnType<typeof describeNetwork>> } | { id: number; ok: false; message: string };

const port = parentPort;
if (port) {
  port.on('message', (message: ToDescribeWorker) => {
    describeNetwork(message.request).then(
      (result) => port.postMessage({ id: message.id, ok: true, result } satisfies FromDescribeWorker),
      (error: unknown) => port.postMessage({ id: message.id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies FromDescribeWorker),
    );
  });
}
