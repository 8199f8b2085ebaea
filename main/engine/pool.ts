import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BatchProgress, EpochRecord, RunJob, RunOutcome, TrainingData } from './types';
import { CANCEL_ALL, cancelSlot, type BackendReport, type BackendRequest, type FromWorker, type ToWorker } from './worker-protocol';
import type { SeenWorker } from '../queue/worker-status';

export type RunSettlement =
  | { status: 'done'; job: RunJob; outcome: RunOutcome }
  | { status: 'failed'; job: RunJob; message: string }
  | { status: 'cancelled'; job: RunJob };

export interface PoolEvents {
  onBackend?: (backend: BackendReport) => void;
  onRunStart?: (job: RunJob) => void;
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (runId: string, record: EpochRecord) => void;
  onRunSettled?: (settlement: RunSettlement) => void;
  /** Queue mode only: the workers serving the queue, every few seconds (the Workers panel). */
  onWorkers?: (workers: SeenWorker[]) => void;
}

export interface PoolOptions {
  data: TrainingData;
  backend: BackendRequest;
  /** 0 picks a count suited to the backend. */
  workers: number;
  keepWeights?: boolean;
  /** Per-run checkpoint folder, so an interrupted run can continue where it stopped. */
  checkpointDir?: (runIndex: number) => string;
  events?: PoolEvents;
}

/** Whether a native TensorFlow binding is installed; it parallelises internally, so one worker is enough. */
function nativeBackendInstalled(): boolean {
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(name);
      return true;
    } catch {
      // not installed: the portable backends train in parallel workers instead
    }
  }
  return false;
}

export function defaultWorkerCount(backend: BackendRequest, runs: number): number {
  const native = backend === 'tensorflow' || (backend === 'auto' && nativeBackendInstalled());
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  // webgpu: each worker opens its own device on the one GPU and compiles every shader again, so
  // a few, not one per core; more than one because a small CNN leaves the GPU waiting on
  // JavaScript (on lavapipe 2 workers train 2x faster than 1; not yet measured on a real GPU).
  const parallel = native ? 1 : backend === 'webgpu' ? Math.min(cores, 4) : cores;
  return Math.max(1, Math.min(runs, parallel));
}

/** Threads each of `workers` workers may use on `cores` cores: whole shares, at least one. */
export function threadsPerWorker(cores: number, workers: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

interface Slot {
  worker: Worker;
  job: RunJob | null;
  ready: boolean;
}

/**
 * Trains runs on a pool of worker threads. Each worker sets up its backend once and takes the
 * next run from the queue when it finishes one; the pixel data is shared, not copied.
 */
export class TrainingPool {
  private readonly cancelFlags: Int32Array;
  /**
   * Threads each worker's native kernels may use (worker.ts hands it to them): 1 while every
   * worker has a run, more once workers retire because fewer runs than cores are left, so the
   * last runs of a study use the idle cores. Splitting a kernel's work never changes a number.
   */
  private readonly threadBudget = new Int32Array(new SharedArrayBuffer(4));
  private cores = 1;
  private readonly queue: RunJob[] = [];
  private readonly settled: RunSettlement[] = [];
  private readonly slots: Slot[] = [];
  private expected = 0;
  private finish: ((value: RunSettlement[]) => void) | null = null;
  private fail: ((error: Error) => void) | null = null;
  private backendReported = false;

  constructor(private readonly options: PoolOptions) {
    this.cancelFlags = new Int32Array(new SharedArrayBuffer(4 * 1024));
  }

  /** Trains every job; resolves with one settlement per job (in job order) once all have ended. */
  run(jobs: RunJob[]): Promise<RunSettlement[]> {
    if (jobs.some((job) => cancelSlot(job.index) >= this.cancelFlags.length)) {
      throw new Error(`At most ${this.cancelFlags.length - 1} runs fit in one experiment`);
    }
    this.queue.push(...jobs);
    this.expected = jobs.length;
    const count = this.options.workers > 0 ? Math.min(this.options.workers, jobs.length) : defaultWorkerCount(this.options.backend, jobs.length);
    const available = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    this.cores = Math.max(1, Math.min(available, this.options.workers > 0 ? this.options.workers : available));
    this.updateThreadBudget(count);
    return new Promise((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
      if (jobs.length === 0) {
        resolve([]);
        return;
      }
      for (let i = 0; i < count; i++) this.spawn();
    });
  }

  /** Cancels one run (by its index) or, without an index, every run; takes effect within one batch. */
  cancel(runIndex?: number): void {
    if (runIndex === undefined) {
      Atomics.store(this.cancelFlags, CANCEL_ALL, 1);
      for (const job of this.queue.splice(0)) this.settle({ status: 'cancelled', job });
    } else {
      Atomics.store(this.cancelFlags, cancelSlot(runIndex), 1);
      const queued = this.queue.findIndex((job) => job.index === runIndex);
      if (queued >= 0) this.settle({ status: 'cancelled', job: this.queue.splice(queued, 1)[0]! });
    }
  }

  private spawn(): void {
    const worker = new Worker(path.join(__dirname, 'worker.js'));
    const slot: Slot = { worker, job: null, ready: false };
    this.slots.push(slot);
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (error) => this.onWorkerDeath(slot, `Training worker crashed: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) this.onWorkerDeath(slot, `Training worker exited unexpectedly (code ${code})`);
    });
    const init: ToWorker = { type: 'init', backend: this.options.backend, data: this.options.data, cancelFlags: this.cancelFlags, threadBudget: this.threadBudget };
    worker.postMessage(init);
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    // A worker already shut down (after a failed start elsewhere) may still have messages queued.
    if (!this.slots.includes(slot)) return;
    try {
      this.handleMessage(slot, message);
    } catch (error) {
      // A listener that throws (e.g. the store cannot write: disk full) ends the experiment with
      // its message instead of an uncaught exception that would leave the pool waiting forever.
      this.shutdown();
      this.fail?.(error as Error);
    }
  }

  private handleMessage(slot: Slot, message: FromWorker): void {
    const events = this.options.events ?? {};
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        if (!this.backendReported) {
          this.backendReported = true;
          events.onBackend?.(message.backend);
        }
        this.next(slot);
        break;
      case 'init-failed':
        this.shutdown();
        this.fail?.(new Error(message.message));
        break;
      case 'batch':
        events.onBatch?.(message.progress);
        break;
      case 'epoch':
        events.onEpoch?.(message.runId, message.record);
        break;
      case 'done':
        this.settle({ status: 'done', job: slot.job!, outcome: message.outcome });
        slot.job = null;
        this.next(slot);
        break;
      case 'failed':
        this.settle(message.cancelled ? { status: 'cancelled', job: slot.job! } : { status: 'failed', job: slot.job!, message: message.message });
        slot.job = null;
        this.next(slot);
        break;
    }
  }

  private next(slot: Slot): void {
    const job = this.queue.shift();
    if (!job) {
      this.retire(slot);
      return;
    }
    slot.job = job;
    this.options.events?.onRunStart?.(job);
    const checkpointDir = this.options.checkpointDir?.(job.index);
    const message: ToWorker = { type: 'run', job, keepWeights: this.options.keepWeights ?? false, ...(checkpointDir ? { checkpointDir } : {}) };
    slot.worker.postMessage(message);
  }

  /** A worker that dies takes only its current run with it; the rest of the queue goes on in a fresh worker. */
  private onWorkerDeath(slot: Slot, reason: string): void {
    if (!this.slots.includes(slot)) return;
    this.slots.splice(this.slots.indexOf(slot), 1);
    if (!slot.ready) {
      // Dying before setup finished would repeat in every replacement: give up with the reason.
      this.shutdown();
      this.fail?.(new Error(reason));
      return;
    }
    if (slot.job) this.settle({ status: 'failed', job: slot.job, message: reason });
    if (this.queue.length > 0) this.spawn();
  }

  private retire(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    void slot.worker.terminate();
    this.updateThreadBudget(this.slots.length);
  }

  /** The cores shared out among the workers still training (or starting). */
  private updateThreadBudget(workers: number): void {
    Atomics.store(this.threadBudget, 0, threadsPerWorker(this.cores, workers));
  }

  private settle(settlement: RunSettlement): void {
    this.settled.push(settlement);
    this.options.events?.onRunSettled?.(settlement);
    if (this.settled.length === this.expected) {
      this.shutdown();
      const order = new Map(this.settled.map((s) => [s.job.index, s]));
      this.finish?.([...order.values()].sort((a, b) => a.job.index - b.job.index));
    }
  }

  private shutdown(): void {
    for (const slot of this.slots.splice(0)) void slot.worker.terminate();
  }
}
