import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import type { BackendRequest } from '../engine/backends/select-backend';

/**
 * Each backend's verdict for `losslab doctor`: whether selectBackend takes it (the same code
 * and self-check training uses, with its notes on why or why not), then a short training
 * throughput probe of LossLab's default network. Each backend is tried in its own worker
 * thread: selecting one changes TensorFlow.js's global state, a GPU driver can hang, and the
 * pure-JS cpu backend can take longer than the probe's budget for a single step, so the
 * thread is simply ended when its time is up.
 */

export const PROBE_BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const satisfies readonly BackendRequest[];
export type ProbeBackend = (typeof PROBE_BACKENDS)[number];

/** What the throughput probe trains: LossLab's default network (cnn 16/32/64) on 32×32 RGB, batch 32, Adam. */
export const PROBE_WORKLOAD = { network: 'cnn (width 16, depth 3)', imageSize: 32, channels: 3, classes: 10, batch: 32 } as const;

export const throughputSchema = z.object({
  /** Training images per second over the timed steps (after one untimed warm-up step). */
  trainImagesPerSecond: z.number().nullable(),
  steps: z.number().int(),
  firstStepSeconds: z.number().nullable(),
  seconds: z.number(),
  /** Why there is no rate (no step finished within the budget, or the probe failed). */
  problem: z.string().optional(),
});
export type Throughput = z.infer<typeof throughputSchema>;

export const backendVerdictSchema = z.object({
  name: z.enum(PROBE_BACKENDS),
  usable: z.boolean(),
  /** The package and version that provides it, when usable. */
  package: z.string().optional(),
  version: z.string().optional(),
  /** selectBackend's notes: what was tried, the adapter, the self-check's result. */
  notes: z.array(z.string()),
  /** Why it cannot be used, when it cannot. */
  reason: z.string().optional(),
  throughput: throughputSchema.nullable(),
});
export type BackendVerdict = z.infer<typeof backendVerdictSchema>;

/** Worker → parent messages. */
export type ProbeMessage =
  | { type: 'selected'; package: string; version: string; notes: string[] }
  | { type: 'unavailable'; reason: string }
  | { type: 'step'; images: number; seconds: number; first: boolean }
  | { type: 'failed'; message: string }
  | { type: 'done' };

export interface ProbeRequest {
  backend: ProbeBackend;
  /** Seconds of timed training; 0 skips the throughput probe. */
  seconds: number;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Time allowed beyond the probe's budget for starting the backend: the webgpu self-check can
 * take up to a minute on a cold software driver; a hardware GPU needs about a second.
 */
const SELECT_ALLOWANCE_MS = 90_000;

export function probeBackend(request: ProbeRequest, workerFile = path.join(__dirname, 'backend-probe-worker.js')): Promise<BackendVerdict> {
  const verdict: BackendVerdict = { name: request.backend, usable: false, notes: [], throughput: null };
  const steps: Array<{ images: number; seconds: number; first: boolean }> = [];
  let probeStarted = 0;
  let failure: string | undefined;
  return new Promise<BackendVerdict>((resolve) => {
    const worker = new Worker(workerFile, { workerData: request, stdout: true, stderr: true });
    // Dawn and the cpu backend print banners from native code and tfjs; the report says it all.
    worker.stdout.resume();
    worker.stderr.resume();
    let timer = setTimeout(() => finish('the backend did not start within the time allowed'), SELECT_ALLOWANCE_MS + request.seconds * 1000);
    let finished = false;
    const finish = (timeoutProblem?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      void worker.terminate();
      if (timeoutProblem && !verdict.usable && verdict.reason === undefined) verdict.reason = timeoutProblem;
      if (verdict.usable && request.seconds > 0) verdict.throughput = summarise(steps, request, probeStarted, failure ?? (timeoutProblem && steps.length === 0 ? timeoutProblem : undefined));
      resolve(verdict);
    };
    worker.on('message', (message: ProbeMessage) => {
      switch (message.type) {
        case 'selected':
          Object.assign(verdict, { usable: true, package: message.package, version: message.version, notes: message.notes });
          probeStarted = performance.now();
          clearTimeout(timer);
          // The budget, plus room for the warm-up step; a step still running then is cut short.
          timer = setTimeout(() => finish(`no training step finished within ${request.seconds * 2 + 5} s`), (request.seconds * 2 + 5) * 1000);
          break;
        case 'unavailable':
          verdict.reason = message.reason;
          break;
        case 'step':
          steps.push(message);
          break;
        case 'failed':
          failure = message.message;
          break;
        case 'done':
          finish();
          break;
      }
    });
    worker.on('error', (error) => {
      failure = error.message;
      if (!verdict.usable) verdict.reason = `the probe crashed: ${error.message}`;
      finish();
    });
    worker.on('exit', () => finish(verdict.usable ? undefined : 'the probe thread ended without an answer'));
  });
}

function summarise(steps: Array<{ images: number; seconds: number; first: boolean }>, request: ProbeRequest, startedAt: number, problem: string | undefined): Throughput {
  const first = steps.find((s) => s.first);
  const timed = steps.filter((s) => !s.first);
  const images = timed.reduce((sum, s) => sum + s.images, 0);
  const seconds = timed.reduce((sum, s) => sum + s.seconds, 0);
  const rate = timed.length > 0 && seconds > 0 ? round(images / seconds, 1) : null;
  const elapsed = startedAt > 0 ? (performance.now() - startedAt) / 1000 : 0;
  return {
    trainImagesPerSecond: rate,
    steps: timed.length,
    firstStepSeconds: first ? round(first.seconds, 2) : null,
    seconds: round(elapsed, 1),
    ...(rate === null ? { problem: problem ?? `no timed step finished within the ${request.seconds} s budget (slower than ${round(PROBE_WORKLOAD.batch / Math.max(request.seconds, 1), 1)} images/s)` } : problem ? { problem } : {}),
  };
}
