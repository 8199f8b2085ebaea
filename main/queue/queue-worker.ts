import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import { readCheckpointBytes, writeCheckpointBytes, checkpointNextEpoch } from '../engine/checkpoint';
import { TrainingPool } from '../engine/pool';
import type { BatchProgress, EpochRecord, RunJob, TrainingData } from '../engine/types';
import type { BackendRequest } from '../engine/worker-protocol';
import { planRuns } from '../experiment/run-experiment';
import { redactRedisUrl, redisOptionsFromUrl } from './connection';
import { CANCELLED_REASON, cancelKey, checkpointKey, encodeOutcome, parseRunJobData, refusalKey, RUN_QUEUE, type RunJobData, type RunProgress } from './protocol';
import { releasePixels } from '../dataset/pixel-file';
import { fetchPixels, fetchTrainingData, type PublishedLocation, type PublishedPixels } from './published-data';
import { loadRunData, trainingDataFingerprint } from './run-data';
import { HEARTBEAT_MS, publishWorkerStatus, withdrawWorkerStatus, type WorkerRun } from './worker-status';

export interface QueueWorkerOptions {
  redisUrl: string;
  /** Runs trained at once, each in its own worker thread. */
  concurrency: number;
  backend: BackendRequest;
  /** Folder under which this machine finds the studies' data folders (by their folder name). */
  dataRoot?: string;
  /** Decoded-image cache (the same one local studies use). */
  cacheDir?: string;
  /** This machine's mount of the folder studies publish large data to (`run --data-share`). */
  dataShare?: string;
  /** Scratch folder for the checkpoints of the runs in progress. */
  workDir: string;
  /** A worker silent this long is taken for dead and its run handed to another worker. */
  lockSeconds?: number;
  /** Name in logs and progress events (default host:pid). */
  name?: string;
  log?: (line: string) => void;
}

/** A study whose data this worker cannot provide is handed back this many times before its run fails. */
const MAX_REFUSALS = 50;

interface PreparedData {
  data: TrainingData;
  fingerprint: string;
  /** Runs training on it now: a pixel file is removed only once it is evicted and unused. */
  users: number;
  evicted: boolean;
}

/**
 * A queue worker: takes runs from Redis, validates them, rebuilds their data on this machine,
 * trains each one in the engine's own TrainingPool (a worker thread, so BullMQ's lock renewals
 * never wait on training) and sends progress, per-epoch checkpoints and the outcome back.
 */
export class QueueWorker {
  private worker: Worker | null = null;
  private readonly redis: Redis;
  private readonly datasets = new Map<string, Promise<PreparedData>>();
  private readonly publishedPixels = new Map<string, Promise<PublishedPixels>>();
  private readonly active = new Map<string, TrainingPool>();
  private draining = false;
  private readonly name: string;
  /** What the Workers panel shows: the backend in use and the runs in progress, by job id. */
  private backendName: string;
  private readonly current = new Map<string, WorkerRun>();
  private heartbeat: NodeJS.Timeout | null = null;
  private publishing: Promise<void> = Promise.resolve();
  /** Writes not yet answered: while Redis is away, heartbeats are skipped instead of piling up. */
  private unanswered = 0;
  private readonly log: (line: string) => void;

  constructor(private readonly options: QueueWorkerOptions) {
    this.redis = new Redis(redisOptionsFromUrl(options.redisUrl) as IORedisOptions);
    this.redis.on('error', () => {
      // ioredis reconnects by itself; BullMQ reports lasting trouble through the worker's own error event.
    });
    this.name = options.name ?? `${os.hostname()}:${process.pid}`;
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.backendName = options.backend;
  }

  /** Writes this worker's status for the studies' Workers panels; a Redis outage only skips a beat. */
  private publishStatus(): void {
    const runs = [...this.current.values()];
    const status = {
      name: this.name,
      host: os.hostname(),
      backend: this.backendName,
      concurrency: this.options.concurrency,
      state: this.draining ? ('stopping' as const) : runs.length > 0 ? ('training' as const) : ('idle' as const),
      runs: runs.map((run) => ({ ...run })),
      imagesPerSecond: runs.reduce((sum, run) => sum + run.imagesPerSecond, 0),
    };
    this.unanswered++;
    this.publishing = this.publishing
      .then(() => publishWorkerStatus(this.redis, status))
      .catch(() => undefined)
      .finally(() => this.unanswered--);
  }

  async start(): Promise<void> {
    const lockMs = Math.round((this.options.lockSeconds ?? 30) * 1000);
    this.worker = new Worker(RUN_QUEUE, (job, token) => this.process(job, token), {
      connection: redisOptionsFromUrl(this.options.redisUrl),
      concurrency: this.options.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A run whose worker died is handed on; only a run that kills several workers in a row fails.
      maxStalledCount: 5,
      name: this.name,
    });
    let lastError = '';
    this.worker.on('error', (error) => {
      if (error.message !== lastError) this.log(`[${this.name}] redis: ${error.message}`);
      lastError = error.message;
    });
    await this.worker.waitUntilReady();
    this.publishStatus();
    this.heartbeat = setInterval(() => this.unanswered === 0 && this.publishStatus(), HEARTBEAT_MS);
    this.log(`[${this.name}] serving ${redactRedisUrl(this.options.redisUrl)} queue ${RUN_QUEUE}, ${this.options.concurrency} at a time, backend ${this.options.backend}`);
  }

  /**
   * Stops taking runs; each run in progress stops after the epoch it is in, once that epoch's
   * checkpoint has reached Redis, and goes back to the queue for another worker.
   */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.publishStatus();
    this.log(`[${this.name}] stopping: the runs in progress go back to the queue after their current epoch`);
    await this.close();
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await this.worker?.close();
    await this.publishing;
    await withdrawWorkerStatus(this.redis, this.name).catch(() => undefined);
    this.redis.disconnect();
  }

  private async process(job: Job, token: string | undefined): Promise<string> {
    const jobId = job.id ?? '?';
    let spec: RunJobData;
    try {
      spec = parseRunJobData(job.data);
    } catch (error) {
      this.log(`[${this.name}] refused job ${jobId}: ${(error as Error).message}`);
      // Malformed or foreign jobs are never retried: no worker would take them either.
      throw new UnrecoverableError(`refused by ${this.name}: ${(error as Error).message}`);
    }
    const runJob = planRuns(spec.config).find((run) => run.index === spec.runIndex);
    if (!runJob || runJob.runId !== spec.runId) {
      const message = `run ${spec.runIndex} of study ${spec.studyId} is not ${spec.runId} in its configuration`;
      this.log(`[${this.name}] refused job ${jobId}: ${message}`);
      throw new UnrecoverableError(`refused by ${this.name}: ${message}`);
    }

    let prepared: PreparedData;
    try {
      prepared = await this.dataFor(spec);
      if (prepared.fingerprint !== spec.dataFingerprint) {
        throw new Error(`its data here has fingerprint ${prepared.fingerprint.slice(0, 12)}…, the study's is ${spec.dataFingerprint.slice(0, 12)}… (a different copy of the dataset or different files)`);
      }
    } catch (error) {
      return this.handBack(job, token, spec, (error as Error).message);
    }
    // Counted at once, before anything awaits: another study's data arriving meanwhile may evict this one.
    prepared.users++;
    try {
      return await this.train(job, token, spec, runJob, prepared);
    } finally {
      prepared.users--;
      this.releaseIfUnused(prepared);
    }
  }

  private releaseIfUnused(prepared: PreparedData): void {
    if (!prepared.evicted || prepared.users > 0) return;
    try {
      releasePixels(prepared.data.pixels);
    } catch {
      // left to the exit hook
    }
  }

  private async train(job: Job, token: string | undefined, spec: RunJobData, runJob: RunJob, prepared: PreparedData): Promise<string> {
    const jobId = job.id ?? '?';
    const dir = path.join(this.options.workDir, jobId);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const stored = await this.redis.hgetallBuffer(checkpointKey(jobId));
    const carried = stored.header && stored.data ? { header: stored.header.toString('utf8'), data: stored.data } : null;
    if (carried) {
      try {
        writeCheckpointBytes(dir, carried);
      } catch (error) {
        this.log(`[${this.name}] the checkpoint of ${spec.runId} does not verify (${(error as Error).message}); training it from the start`);
      }
    }
    const resumedFrom = checkpointNextEpoch(carried);
    this.log(`[${this.name}] run ${spec.runId} of study ${spec.studyId}${resumedFrom > 0 ? `: resuming from epoch ${resumedFrom + 1}` : ''}`);

    const shown: WorkerRun = { studyId: spec.studyId, runId: spec.runId, stage: 'train', epoch: resumedFrom, epochs: spec.config.training.epochs, imagesPerSecond: 0 };

    // Progress leaves in order; the outcome waits until every earlier message is out.
    let outbox: Promise<unknown> = Promise.resolve();
    const send = (progress: RunProgress) => {
      outbox = outbox.then(() => job.updateProgress(progress)).catch(() => undefined);
    };
    let lastBatch = 0;
    let stopAfterEpoch = false;
    const pool: TrainingPool = new TrainingPool({
      data: prepared.data,
      backend: this.options.backend,
      workers: 1,
      keepWeights: spec.keepWeights,
      checkpointDir: () => dir,
      events: {
        onBackend: (backend) => {
          this.backendName = backend.name;
          send({ type: 'started', worker: this.name, backend: backend.name, resumedFromEpoch: resumedFrom });
        },
        onBatch: (progress: BatchProgress) => {
          Object.assign(shown, { stage: progress.stage, epoch: progress.epoch, epochs: progress.epochs, imagesPerSecond: progress.imagesPerSecond });
          const now = Date.now();
          if (now - lastBatch < 1000) return;
          lastBatch = now;
          const { runId: _runId, ...rest } = progress;
          send({ type: 'batch', ...rest });
        },
        onEpoch: (_runId, record: EpochRecord) => {
          // The checkpoint of this epoch is on disk now: it reaches Redis before the epoch is announced.
          const bytes = readCheckpointBytes(dir);
          if (bytes) outbox = outbox.then(() => this.redis.hset(checkpointKey(jobId), { header: bytes.header, data: bytes.data })).catch(() => undefined);
          const total = record.stage === 'train' ? spec.config.training.epochs : spec.config.training.probeEpochs;
          const val = record.valBalancedAccuracy === null ? '' : ` val bal.acc ${record.valBalancedAccuracy.toFixed(3)}`;
          outbox = outbox.then(() => this.log(`[${this.name}] ${spec.runId} ${record.stage} epoch ${record.epoch + 1}/${total} loss ${record.trainLoss.toFixed(4)}${val} (${record.seconds.toFixed(1)} s)`));
          send({ type: 'epoch', record });
          if (this.draining) {
            stopAfterEpoch = true;
            pool.cancel();
          }
        },
      },
    });
    this.active.set(jobId, pool);
    this.current.set(jobId, shown);
    this.publishStatus();
    // In Redis before the run's first progress: a study that reads the workers when its run starts finds it here.
    await this.publishing;
    const cancelWatch = setInterval(() => {
      this.redis.exists(cancelKey(jobId)).then((found) => found && pool.cancel(), () => undefined);
    }, 1000);
    if (this.draining) {
      stopAfterEpoch = true;
      pool.cancel();
    }
    try {
      const [settlement] = await pool.run([runJob]);
      await outbox;
      if (!settlement) throw new Error('the training pool settled nothing');
      if (settlement.status === 'done') {
        fs.rmSync(dir, { recursive: true, force: true });
        return encodeOutcome(settlement.outcome);
      }
      if (settlement.status === 'cancelled') {
        if (stopAfterEpoch && token) {
          this.log(`[${this.name}] ${spec.runId} goes back to the queue after epoch ${checkpointNextEpoch(readCheckpointBytes(dir))}`);
          await job.moveToWait(token);
          throw new WaitingError();
        }
        throw new UnrecoverableError(CANCELLED_REASON);
      }
      this.log(`[${this.name}] ${spec.runId} failed: ${settlement.message}`);
      // A training thread that died (out of memory, a native crash) may do better elsewhere; a
      // diverging loss or a bad parameter would fail the same way on every worker.
      if (/^Training worker (crashed|exited)/.test(settlement.message)) throw new Error(settlement.message);
      throw new UnrecoverableError(settlement.message);
    } finally {
      clearInterval(cancelWatch);
      this.active.delete(jobId);
      this.current.delete(jobId);
      this.publishStatus();
      await this.publishing;
    }
  }

  /** This worker cannot train the run (no data, different data): it goes back to the queue for another. */
  private async handBack(job: Job, token: string | undefined, spec: RunJobData, reason: string): Promise<never> {
    const jobId = job.id ?? '?';
    const refusals = await this.redis.incr(refusalKey(jobId));
    await this.redis.expire(refusalKey(jobId), 7 * 24 * 3600);
    this.log(`[${this.name}] refused run ${spec.runId} of study ${spec.studyId}: ${reason}; it goes back to the queue`);
    if (refusals >= MAX_REFUSALS || !token) {
      throw new UnrecoverableError(`no worker could take this run (${refusals} refusals); the last said: ${reason}`);
    }
    // A short delay lets another worker take it rather than this one again at once.
    await job.moveToDelayed(Date.now() + 1000, token);
    throw new DelayedError();
  }

  /**
   * Each study's data is prepared once per worker and shared by its runs (the last two are
   * kept): decoded from the dataset's folder, or fetched as the blob the study published.
   */
  private dataFor(spec: RunJobData): Promise<PreparedData> {
    const config = spec.config;
    const key =
      spec.dataSource === 'path'
        ? JSON.stringify([config.data, config.testData, config.imageSize, config.resize, config.colorMode, config.testFraction, config.valFraction, config.imbalance, config.splitSeed])
        : `published:${spec.dataFingerprint}`;
    let entry = this.datasets.get(key);
    if (!entry) {
      entry = this.prepare(spec);
      // A failed load is tried again for the next run (the folder may have been mounted since).
      entry.catch(() => this.datasets.delete(key));
      this.datasets.set(key, entry);
      while (this.datasets.size > 2) {
        const oldest = this.datasets.keys().next().value as string;
        this.datasets.get(oldest)!.then((old) => {
          old.evicted = true;
          this.releaseIfUnused(old);
        }, () => undefined);
        this.datasets.delete(oldest);
      }
    }
    return entry;
  }

  /**
   * Published pixels by fingerprint (the last two): a sweep's settings share their images and
   * differ in their split, so each worker fetches the images once and the settings share them.
   */
  private pixelsFor(fingerprint: string, location: PublishedLocation): Promise<PublishedPixels> {
    let entry = this.publishedPixels.get(fingerprint);
    if (!entry) {
      entry = fetchPixels(this.redis, fingerprint, location);
      entry.catch(() => this.publishedPixels.delete(fingerprint));
      this.publishedPixels.set(fingerprint, entry);
      while (this.publishedPixels.size > 2) this.publishedPixels.delete(this.publishedPixels.keys().next().value as string);
    }
    return entry;
  }

  private async prepare(spec: RunJobData): Promise<PreparedData> {
    const started = Date.now();
    let data: TrainingData;
    let fingerprint: string;
    if (spec.dataSource === 'path') {
      data = await loadRunData(spec.config, {
        ...(this.options.dataRoot ? { dataRoot: this.options.dataRoot } : {}),
        ...(this.options.cacheDir ? { cacheDir: this.options.cacheDir } : {}),
      });
      fingerprint = trainingDataFingerprint(data);
    } else {
      if (spec.dataSource === 'shared' && !this.options.dataShare) throw new Error('the study published its data to a shared folder, and this worker was started without --data-share DIR');
      const location = spec.dataSource === 'shared' ? { where: 'shared' as const, folder: this.options.dataShare! } : { where: 'redis' as const };
      data = await fetchTrainingData(this.redis, { data: spec.dataFingerprint, pixels: spec.pixelsFingerprint! }, location, await this.pixelsFor(spec.pixelsFingerprint!, location));
      // fetchTrainingData has hashed it and found the job's fingerprint; not hashed a second time.
      fingerprint = spec.dataFingerprint;
    }
    this.log(`[${this.name}] data of study ${spec.studyId} ready (${spec.dataSource === 'path' ? 'read from its folder' : `fetched from ${spec.dataSource === 'redis' ? 'Redis' : this.options.dataShare}`}, ${data.labels.length} images) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { data, fingerprint, users: 0, evicted: false };
  }
}
