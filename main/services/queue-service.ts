import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import type { ParsedRequest, Responses } from '../api/contract';
import { redactRedisUrl, redisOptionsFromUrl } from '../queue/connection';
import { readWorkerStatuses } from '../queue/worker-status';

/** An answer about the workers is worth waiting this long for; a Redis that is away is reported instead. */
const ANSWER_MS = 5000;

/**
 * 'queue.workers': the queue this app's experiments go to and the workers serving it. Without a
 * queue (the desktop, `serve` without --redis) the answer says so and touches no network.
 */
export function createQueueService(redisUrl: string | undefined) {
  let redis: Redis | null = null;
  const connection = (): Redis => {
    if (!redis) {
      // Unlike the study's connections, a question from the UI must not wait forever for Redis.
      redis = new Redis({ ...(redisOptionsFromUrl(redisUrl!) as IORedisOptions), maxRetriesPerRequest: 1, lazyConnect: true });
      redis.on('error', () => undefined);
    }
    return redis;
  };

  return {
    async workers(_request: ParsedRequest<'queue.workers'>): Promise<Responses['queue.workers']> {
      if (!redisUrl) return { queue: null, workers: [] };
      const queue = redactRedisUrl(redisUrl);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis at ${queue} did not answer within ${ANSWER_MS / 1000} s; check that it runs and that this server reaches it.`)), ANSWER_MS);
      });
      try {
        return { queue, workers: await Promise.race([readWorkerStatuses(connection()), timeout]) };
      } catch (error) {
        throw new Error(`Could not read the workers from ${queue}: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    },

    shutdown(): void {
      redis?.disconnect();
      redis = null;
    },
  };
}
