import type { BatchProgress, EpochRecord, RunJob, RunOutcome, TrainingData } from './types';

/** Messages between the training pool (caller's thread) and its worker threads. */

export type BackendRequest = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendReport {
  name: string;
  requested: string;
  package: string;
  version: string;
  notes: string[];
}

export type ToWorker =
  | { type: 'init'; backend: BackendRequest; data: TrainingData; cancelFlags: Int32Array; threadBudget: Int32Array }
  | { type: 'run'; job: RunJob; keepWeights: boolean; checkpointDir?: string };

export type FromWorker =
  | { type: 'ready'; backend: BackendReport }
  | { type: 'init-failed'; message: string }
  | { type: 'batch'; progress: BatchProgress }
  | { type: 'epoch'; runId: string; record: EpochRecord }
  | { type: 'done'; outcome: RunOutcome }
  | { type: 'failed'; runId: string; message: string; cancelled: boolean };

/** Cancel flags live in shared memory so a busy worker sees them without waiting for its event loop. */
export const CANCEL_ALL = 0;
export function cancelSlot(runIndex: number): number {
  return runIndex + 1;
}
