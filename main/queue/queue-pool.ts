import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import { readCheckpointBytes, writeCheckpointBytes } from '../engine/checkpoint';
import type { PoolEvents, RunSettlement } from '../engine/pool';
import type { RunJob, TrainingData } from '../engine/types';
import type { ExperimentConfig } from '../experiment/config';
import type { RunnerFactory } from '../experiment/run-experiment';
import { redisOptionsFromUrl } from './connection';
import type { EpochRecord } from '../engine/types';
import { CANCELLED_REASON, cancelKey, checkpointKey, decodeOutcome, jobIdOf, progressSchema, refusalKey, RUN_QUEUE, STUDY_PROTOCOL_VERSION, type DataSource, type RunJobData } from './protocol';
import { publishTrainingData } from './published-data';
import { fingerprintsOf } from './run-data';
import { readWorkerStatuses } from './worker-status';

export interface QueuePoolOptions {
  redisUrl: string;
  studyId: string;
  config: ExperimentConfig;
  data: TrainingData;
  keepWeights: boolean;
  /** The study's per-run folder: checkpoints arriving from workers are written there, and one found there is handed to the first worker. */
  checkpointDir?: (runIndex: number) => string;
  events?: PoolEvents;
  /** Problems worth telling the user that do not stop the study (Redis unreachable for a while). */
  log?: (line: string) => void;
  /** How the data reaches the workers (default: each worker reads the dataset at its own path). */
  dataTransport?: DataTransport;
}

/**
 * How a study's data reaches its workers. `path` (the default): every worker reads and decodes
 * the dataset from its own copy, proven equal by fingerprint. `publish`: the study publishes its
 * decoded data once per fingerprint, in Redis, or in `sharedFolder` (a folder every worker mounts
 * and names with --data-share) when one is given.
 */
export type DataTransport = { mode: 'path' } | { mode: 'publish'; sharedFolder?: string };

/** Failed attempts (a worker thread crashing, not a worker dying) before a run counts as failed. */
const ATTEMPTS = 3;
/** How often unsettled runs are looked up, besides the events (which a Redis outage can lose). */
const POLL_MS = 2000;
/** How often a study in publish mode checks that its data is still whole in Redis, renewing its lifetime. */
const RENEW_PUBLISHED_MS = 3600 * 1000;
/** Checkpoints of runs nobody collects (a study abandoned for good) expire after a week. */
const CHECKPOINT_TTL_S = 7 * 24 * 3600;

/**
 * The study's side of queue mode, a drop-in for TrainingPool: the same run() and cancel(), the
 * same events, the same settlements. Runs go on a BullMQ queue as jobs named by study and run
 * index, so a study's process that restarts (resume) finds its runs where they are and never
 * queues one twice; progress and checkpoints come back through Redis.
 */
export class QueuePool {
  private readonly queue: Queue;
  private readonly queueEvents: QueueEvents;
  private readonly redis: Redis;
  private readonly pending = new Map<string, RunJob>();
  private readonly settled: RunSettlement[] = [];
  private readonly started = new Set<string>();
  /** Epochs passed on per job ("stage:epoch"): a run taken over never logs an epoch twice, and none is missing at the end. */
  private readonly epochsLogged = new Map<string, Set<string>>();
  /** Everything that touches the study's folder happens in order, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private expected = 0;
  private finish: ((value: RunSettlement[]) => void) | null = null;
  private fail: ((error: Error) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private backendReported = false;
  /** A poll is waiting in the chain: while Redis is down, the timer must not pile up more behind it. */
  private pollQueued = false;
  /** The data's content addresses, hashed once and only when needed (the pixels' only in publish mode). */
  private fingerprints: { data?: string; pixels?: string } = {};
  /** Publish mode: when the data was last published or renewed (0: not yet, or Redis lost it); renewed hourly. */
  private publishedAt = 0;
  private lastProblem = '';

  constructor(private readonly options: QueuePoolOptions) {
    const connection = redisOptionsFromUrl(options.redisUrl);
    this.queue = new Queue(RUN_QUEUE, { connection });
    this.queueEvents = new QueueEvents(RUN_QUEUE, { connection });
    this.redis = new Redis(connection as IORedisOptions);
    this.queue.on('error', (error: Error) => this.problem(error));
    this.queueEvents.on('error', (error: Error) => this.problem(error));
    this.redis.on('error', (error: Error) => this.problem(error));
  }

  run(jobs: RunJob[]): Promise<RunSettlement[]> {
    if (this.options.config.model.family === 'backbone') {
      // The CLI and the services refuse these before loading data; this catches any other caller.
      void this.close();
      return Promise.reject(new Error('Studies on a pretrained backbone train locally only (workers do not load backbones); run it without a queue.'));
    }
    this.expected = jobs.length;
    for (const job of jobs) this.pending.set(jobIdOf(this.studyId, job.index), job);
    return new Promise<RunSettlement[]>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
      if (jobs.length === 0) {
        this.enqueue(async () => undefined);
        return;
      }
      this.queueEvents.on('progress', ({ jobId, data }) => this.onProgress(jobId, data));
      this.queueEvents.on('completed', ({ jobId }) => this.enqueue(() => this.check(jobId)));
      this.queueEvents.on('failed', ({ jobId }) => this.enqueue(() => this.check(jobId)));
      this.enqueue(() => this.submit(jobs));
      this.timer = setInterval(() => {
        if (this.pollQueued) return;
        this.pollQueued = true;
        this.enqueue(async () => {
          this.pollQueued = false;
          await this.poll();
        });
      }, POLL_MS);
    });
  }

  /** Cancels one run or all: queued ones leave the queue, running ones stop within a second or so. */
  cancel(runIndex?: number): void {
    const ids = runIndex === undefined ? [...this.pending.keys()] : [jobIdOf(this.studyId, runIndex)];
    this.enqueue(async () => {
      for (const jobId of ids) {
        if (!this.pending.has(jobId)) continue;
        await this.redis.set(cancelKey(jobId), '1', 'EX', 3600);
        const job = await this.queue.getJob(jobId);
        const state = job ? await job.getState() : 'unknown';
        if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
          try {
            await job.remove();
          } catch {
            continue; // a worker took it meanwhile: it sees the cancel flag
          }
        }
        if (!job || state !== 'active') this.settle({ status: 'cancelled', job: this.pending.get(jobId)! });
      }
    });
  }

  private get studyId(): string {
    return this.options.studyId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  }

  private async submit(jobs: RunJob[]): Promise<void> {
    await this.publishData();
    for (const run of jobs) {
      const jobId = jobIdOf(this.studyId, run.index);
      this.epochsLogged.set(jobId, this.epochsInFolder(run.index));
      const existing = await this.queue.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        // A study picked up again finds its runs where they are: still queued, training, or finished meanwhile.
        if (state !== 'failed') continue;
        await existing.remove();
      }
      await this.add(run, jobId);
    }
    const workers = await this.queue.getWorkersCount().catch(() => null);
    this.options.log?.(`${jobs.length} run(s) of study ${this.studyId} on the queue; ${workers === null ? 'workers unknown' : `${workers} worker(s) connected`}${workers === 0 ? ' — start some with `losslab worker --redis URL`' : ''}`);
    await this.poll();
  }

  private get dataFingerprint(): string {
    if (this.fingerprints.data === undefined) throw new Error('the data fingerprint is read before it was computed');
    return this.fingerprints.data;
  }

  private get pixelsFingerprint(): string {
    if (this.fingerprints.pixels === undefined) throw new Error('the pixels fingerprint is read before it was computed');
    return this.fingerprints.pixels;
  }

  /** Both fingerprints, computed once without blocking the event loop (this may be the app's main process). */
  private async computeFingerprints(): Promise<void> {
    if (this.fingerprints.data !== undefined && this.fingerprints.pixels !== undefined) return;
    this.fingerprints = await fingerprintsOf(this.options.data);
  }

  private get dataSource(): DataSource {
    const transport = this.options.dataTransport ?? { mode: 'path' };
    return transport.mode === 'path' ? 'path' : transport.sharedFolder ? 'shared' : 'redis';
  }

  /** In publish mode, the decoded data goes to Redis or the shared folder before the first run is queued. */
  private async publishData(): Promise<void> {
    const transport = this.options.dataTransport;
    if (transport?.mode !== 'publish' || this.publishedAt > 0) return;
    await this.computeFingerprints();
    const started = Date.now();
    const location = transport.sharedFolder ? { where: 'shared' as const, folder: transport.sharedFolder } : { where: 'redis' as const };
    const address = { data: this.dataFingerprint, pixels: this.pixelsFingerprint };
    const { bytes, uploaded } = await publishTrainingData(this.redis, this.options.data, address, location);
    const where = location.where === 'shared' ? location.folder : 'Redis';
    this.options.log?.(
      uploaded
        ? `published the decoded data (${(bytes / 2 ** 20).toFixed(1)} MiB, fingerprint ${this.dataFingerprint.slice(0, 12)}…) to ${where} in ${((Date.now() - started) / 1000).toFixed(1)} s`
        : `the decoded data (fingerprint ${this.dataFingerprint.slice(0, 12)}…) is in ${where} already`,
    );
    this.publishedAt = Date.now();
  }

  /** Puts one run on the queue, with the checkpoint its folder holds (if any) for the worker that takes it. */
  private async add(run: RunJob, jobId: string): Promise<void> {
    await this.computeFingerprints();
    // A run queued again after Redis lost everything needs the data back there first.
    await this.publishData();
    await this.redis.del(cancelKey(jobId));
    await this.offerCheckpoint(jobId, run.index);
    const data: RunJobData = {
      protocol: STUDY_PROTOCOL_VERSION,
      studyId: this.studyId,
      runIndex: run.index,
      runId: run.runId,
      config: this.options.config,
      dataFingerprint: this.dataFingerprint,
      dataSource: this.dataSource,
      ...(this.dataSource !== 'path' ? { pixelsFingerprint: this.pixelsFingerprint } : {}),
      keepWeights: this.options.keepWeights,
    };
    // Lower numbers first, as a local study trains them.
    await this.queue.add(run.runId, data, { jobId, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
  }

  /** A checkpoint in the study's folder (a run interrupted before) goes to Redis, unless Redis holds one already. */
  private async offerCheckpoint(jobId: string, runIndex: number): Promise<void> {
    const dir = this.options.checkpointDir?.(runIndex);
    if (!dir) return;
    const bytes = readCheckpointBytes(dir);
    if (!bytes || (await this.redis.exists(checkpointKey(jobId)))) return;
    await this.redis.hset(checkpointKey(jobId), { header: bytes.header, data: bytes.data });
    await this.redis.expire(checkpointKey(jobId), CHECKPOINT_TTL_S);
  }

  private onProgress(jobId: string, raw: unknown): void {
    const run = this.pending.get(jobId);
    if (!run) return;
    const parsed = progressSchema.safeParse(raw);
    if (!parsed.success) return;
    const progress = parsed.data;
    const events = this.options.events ?? {};
    if (progress.type === 'started') {
      if (!this.backendReported) {
        this.backendReported = true;
        events.onBackend?.({ name: progress.backend, requested: this.options.config.backend, package: 'queue workers', version: `study protocol ${STUDY_PROTOCOL_VERSION}`, notes: [`runs trained by workers on the ${RUN_QUEUE} queue`] });
      }
      if (!this.started.has(jobId)) {
        this.started.add(jobId);
        events.onRunStart?.(run);
      }
      // The worker wrote its status before this event: the panel shows who took the run at once.
      this.enqueue(() => this.reportWorkers());
    } else if (progress.type === 'batch') {
      const { type: _type, ...rest } = progress;
      events.onBatch?.({ runId: run.runId, ...rest });
    } else {
      this.enqueue(async () => {
        if (!this.pending.has(jobId)) return;
        await this.fetchCheckpoint(jobId, run.index);
        this.logEpoch(jobId, run, progress.record);
      });
    }
  }

  /** Epochs an earlier process of this study already logged: those its checkpoint in the study's folder holds. */
  private epochsInFolder(runIndex: number): Set<string> {
    const dir = this.options.checkpointDir?.(runIndex);
    const bytes = dir ? readCheckpointBytes(dir) : null;
    if (!bytes) return new Set();
    try {
      const history = (JSON.parse(bytes.header) as { history?: EpochRecord[] }).history ?? [];
      return new Set(history.map((record) => `${record.stage}:${record.epoch}`));
    } catch {
      return new Set();
    }
  }

  private logEpoch(jobId: string, run: RunJob, record: EpochRecord): void {
    const logged = this.epochsLogged.get(jobId) ?? new Set<string>();
    this.epochsLogged.set(jobId, logged);
    const key = `${record.stage}:${record.epoch}`;
    if (logged.has(key)) return;
    logged.add(key);
    this.options.events?.onEpoch?.(run.runId, record);
  }

  private async fetchCheckpoint(jobId: string, runIndex: number): Promise<void> {
    const dir = this.options.checkpointDir?.(runIndex);
    if (!dir || !this.pending.has(jobId)) return;
    await this.redis.expire(checkpointKey(jobId), CHECKPOINT_TTL_S);
    const stored = await this.redis.hgetallBuffer(checkpointKey(jobId));
    if (stored.header && stored.data) writeCheckpointBytes(dir, { header: stored.header.toString('utf8'), data: stored.data });
  }

  private async poll(): Promise<void> {
    // A study may run longer than published data lives, or Redis may evict it: it is checked and renewed hourly.
    if (this.publishedAt > 0 && Date.now() - this.publishedAt > RENEW_PUBLISHED_MS) {
      this.publishedAt = 0;
      await this.publishData();
    }
    for (const jobId of [...this.pending.keys()]) await this.check(jobId);
    await this.reportWorkers();
  }

  /** The Workers panel is news, never a reason to stop the study: a failed read waits for the next poll. */
  private async reportWorkers(): Promise<void> {
    const onWorkers = this.options.events?.onWorkers;
    if (!onWorkers || this.pending.size === 0) return;
    try {
      onWorkers(await readWorkerStatuses(this.redis));
    } catch {
      // Redis is away (the poll's own commands say so) or the hash is being rewritten
    }
  }

  private async check(jobId: string): Promise<void> {
    const run = this.pending.get(jobId);
    if (!run) return;
    const job = await this.queue.getJob(jobId);
    if (!job) {
      // Only this process removes its jobs, and only once they have settled: an unsettled one
      // missing means Redis came back without its data (no persistence, or a new server). The
      // run goes on the queue again, from the last checkpoint the study's folder holds.
      this.options.log?.(`run ${run.runId} is no longer in Redis (restarted without its data?); queued again from its last saved epoch`);
      this.publishedAt = 0; // published data in Redis went with it (renewed only, if it is still there)
      await this.add(run, jobId);
      return;
    }
    const state = await job.getState();
    if (state === 'completed') {
      await this.fetchCheckpointOnce(jobId, run.index);
      const outcome = decodeOutcome(job.returnvalue);
      // Epoch events still in flight (or lost with a dead worker) are logged from the outcome, as a local run logs them: before it ends.
      for (const record of outcome.history) this.logEpoch(jobId, run, record);
      this.settle({ status: 'done', job: run, outcome });
      await this.cleanUp(job, jobId);
    } else if (state === 'failed') {
      const reason = job.failedReason ?? 'failed on a worker';
      this.settle(reason === CANCELLED_REASON ? { status: 'cancelled', job: run } : { status: 'failed', job: run, message: reason });
      await this.redis.del(cancelKey(jobId));
    }
  }

  /** Keeps the study's folder as a local run leaves it: the last checkpoint is written before the outcome. */
  private async fetchCheckpointOnce(jobId: string, runIndex: number): Promise<void> {
    try {
      await this.fetchCheckpoint(jobId, runIndex);
    } catch {
      // the outcome matters, a checkpoint the store removes next does not
    }
  }

  private async cleanUp(job: Job, jobId: string): Promise<void> {
    await job.remove().catch(() => undefined);
    await this.redis.del(checkpointKey(jobId), cancelKey(jobId), refusalKey(jobId));
  }

  private settle(settlement: RunSettlement): void {
    const jobId = jobIdOf(this.studyId, settlement.job.index);
    if (!this.pending.delete(jobId)) return;
    this.settled.push(settlement);
    this.options.events?.onRunSettled?.(settlement);
  }

  /** Once every run has settled (and its Redis leftovers are gone), the study has its settlements. */
  private async finishIfDone(): Promise<void> {
    if (this.settled.length !== this.expected || this.closed) return;
    const finish = this.finish;
    await this.close();
    finish?.([...this.settled].sort((a, b) => a.job.index - b.job.index));
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await step();
        await this.finishIfDone();
      } catch (error) {
        if (isRedisTrouble(error)) this.problem(error as Error);
        else {
          // The study's folder cannot be written, or a worker sent what does not validate: end here, as a local pool does.
          const fail = this.fail;
          await this.close();
          fail?.(error as Error);
        }
      }
    });
  }

  private problem(error: Error): void {
    if (this.closed || error.message === this.lastProblem) return;
    this.lastProblem = error.message;
    this.options.log?.(`redis: ${error.message} (retrying)`);
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([this.queueEvents.close(), this.queue.close()]);
    this.redis.disconnect();
  }
}

/** Connection trouble is waited out (ioredis reconnects); anything else is the study's problem. */
function isRedisTrouble(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|LOADING|READONLY|MaxRetriesPerRequest/i.test(`${code} ${message}`);
}

/** The RunnerFactory of queue mode: a study's runs go to the workers serving this Redis. */
export function queueRunner(redisUrl: string, log?: (line: string) => void, dataTransport?: DataTransport): RunnerFactory {
  redisOptionsFromUrl(redisUrl); // a URL that cannot work is refused now, not after the dataset has loaded
  return (input) =>
    new QueuePool({
      redisUrl,
      studyId: input.id,
      config: input.config,
      data: input.data,
      keepWeights: input.keepWeights,
      ...(input.checkpointDir ? { checkpointDir: input.checkpointDir } : {}),
      events: input.events,
      ...(log ? { log } : {}),
      ...(dataTransport ? { dataTransport } : {}),
    });
}
