import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ParsedRequest, Responses } from '../api/contract';
import type { FromDescribeWorker, ToDescribeWorker } from './describe-network-worker';
import { isDownloadedSource } from '../engine/backbone/presets';
import type { FolderAccess } from './folder-access';

type Description = Responses['models.describe'];

export interface ModelServiceOptions {
  /** A measurement that takes longer is stopped (its thread ended) and refused with a message. */
  timeoutMs?: number;
  /**
   * What the user interface may read. A backbone on disk is measured only inside it (a folder
   * the user opened, or below served mode's --root): loading a model.json reads the file, and
   * its error messages would quote what it holds.
   */
  access?: FolderAccess;
}

/** Answers kept per distinct request: the UI asks again for settings it has already shown. */
const CACHE_SIZE = 64;

/**
 * The network a design would train, measured by the engine: 'models.describe' builds it in a
 * worker thread (describe-network.ts) so that a wide network's weight initialisation never
 * stalls the main process, and answers its label, parameter counts and FLOPs per image.
 */
export function createModelService(options: ModelServiceOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const cache = new Map<string, Description>();
  const pending = new Map<number, { resolve: (d: Description) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  let worker: Worker | null = null;
  let nextId = 0;

  function failAll(message: string): void {
    const stopped = worker;
    worker = null;
    void stopped?.terminate();
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      pending.delete(id);
      call.reject(new Error(message));
    }
  }

  function thread(): Worker {
    if (worker) return worker;
    const started = new Worker(path.join(__dirname, 'describe-network-worker.js'));
    // Idle, it must not keep the process alive (the CLI, tests).
    started.unref();
    started.on('message', (message: FromDescribeWorker) => {
      const call = pending.get(message.id);
      if (!call) return;
      pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.ok) call.resolve(message.result);
      else call.reject(new Error(`Could not build the network: ${message.message}`));
    });
    started.on('error', (error) => {
      if (worker === started) failAll(`The network-measuring thread failed: ${error.message}`);
    });
    started.on('exit', () => {
      if (worker === started) failAll('The network-measuring thread stopped unexpectedly.');
    });
    worker = started;
    return started;
  }

  async function describe(request: ParsedRequest<'models.describe'>): Promise<Description> {
    const model = request.model;
    if (model.family === 'backbone' && !isDownloadedSource(model.source) && options.access && (await options.access.openable(model.source)) === null) {
      throw new Error(
        `LossLab measures a backbone on disk only inside a folder you opened${options.access.browseRoot !== null ? ` or below the folder this server shares (${options.access.browseRoot})` : ''}, and ${model.source} is not there (or does not exist). ${options.access.browseRoot !== null ? 'Pick it with "Browse server folders…"' : 'Choose its folder with "Choose folder…"'}.`,
      );
    }
    const key = JSON.stringify([request.model, request.imageSize, request.channels, request.numClasses]);
    const known = cache.get(key);
    if (known) return known;
    const id = ++nextId;
    const answer = await new Promise<Description>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          failAll(
            `Measuring this network took over ${Math.round(timeoutMs / 1000)} s and was stopped: a network this large would train far too slowly. Choose a smaller width or depth.`,
          ),
        timeoutMs,
      );
      timer.unref();
      pending.set(id, { resolve, reject, timer });
      thread().postMessage({ id, request } satisfies ToDescribeWorker);
    });
    cache.set(key, answer);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
    return answer;
  }

  return {
    describe,
    /** Ends the measuring thread; a later call starts a new one. */
    shutdown: () => failAll('The app is shutting down.'),
  };
}
