import { z } from 'zod';
import type { Redis } from 'ioredis';
import { TRAINING_STAGES } from '../engine/types';

/**
 * What each queue worker tells the studies about itself (the Workers panel): it writes its status
 * into one Redis hash every HEARTBEAT_MS and whenever a run starts or ends, and a study's process
 * reads the hash when it polls its runs. Times come from Redis's own clock on both sides, so
 * "last seen" is right even when the machines' clocks disagree.
 */

/** Hash of worker name → status JSON. */
export const WORKERS_KEY = 'losslab:workers';
/** How often a worker refreshes its status while it lives. */
export const HEARTBEAT_MS = 2000;
/** A worker not heard from for this long (killed, its machine gone) is dropped from the list. */
export const FORGET_AFTER_MS = 10 * 60 * 1000;

const workerRunSchema = z.object({
  studyId: z.string().max(200),
  runId: z.string().max(400),
  stage: z.enum(TRAINING_STAGES),
  /** Epoch in progress, from 0. */
  epoch: z.number().int().min(0),
  epochs: z.number().int().min(0),
  imagesPerSecond: z.number().min(0),
});

export const workerStatusSchema = z.object({
  /** host:pid unless the worker was given a name. */
  name: z.string().min(1).max(300),
  host: z.string().max(255),
  /** The backend its runs train on (the requested one until its first run has chosen). */
  backend: z.string().max(100),
  concurrency: z.number().int().min(1),
  state: z.enum(['idle', 'training', 'stopping']),
  runs: z.array(workerRunSchema).max(256),
  /** Images per second over its runs in progress (0 when idle). */
  imagesPerSecond: z.number().min(0),
  /** When it last wrote its status, in milliseconds of Redis's clock. */
  seenAt: z.number(),
});
export type WorkerStatus = z.output<typeof workerStatusSchema>;
export type WorkerRun = z.output<typeof workerRunSchema>;

/** A worker as a study shows it: its status and how long ago it was last heard from. */
export type SeenWorker = WorkerStatus & { secondsSinceSeen: number };

/** Redis's clock in milliseconds. */
export async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export async function publishWorkerStatus(redis: Redis, status: Omit<WorkerStatus, 'seenAt'>): Promise<void> {
  const seenAt = await redisNow(redis);
  await redis.hset(WORKERS_KEY, status.name, JSON.stringify({ ...status, seenAt } satisfies WorkerStatus));
}

/** A worker that leaves on its own takes its line off the list. */
export async function withdrawWorkerStatus(redis: Redis, name: string): Promise<void> {
  await redis.hdel(WORKERS_KEY, name);
}

/**
 * The workers serving this Redis, by name. Entries that do not validate (another program's, a
 * future version's) are left out rather than trusted; workers silent for FORGET_AFTER_MS are
 * removed.
 */
export async function readWorkerStatuses(redis: Redis): Promise<SeenWorker[]> {
  const [now, entries] = await Promise.all([redisNow(redis), redis.hgetall(WORKERS_KEY)]);
  const workers: SeenWorker[] = [];
  const forgotten: string[] = [];
  for (const [name, text] of Object.entries(entries)) {
    let parsed: ReturnType<typeof workerStatusSchema.safeParse>;
    try {
      parsed = workerStatusSchema.safeParse(JSON.parse(text));
    } catch {
      continue;
    }
    if (!parsed.success || parsed.data.name !== name) continue;
    const age = Math.max(0, now - parsed.data.seenAt);
    if (age > FORGET_AFTER_MS) forgotten.push(name);
    else workers.push({ ...parsed.data, secondsSinceSeen: Math.round(age / 100) / 10 });
  }
  if (forgotten.length > 0) await redis.hdel(WORKERS_KEY, ...forgotten);
  return workers.sort((a, b) => a.name.localeCompare(b.name));
}
