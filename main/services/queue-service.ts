import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import type { ParsedRequest, Responses } from '../api/contract';
import { redactRedisUrl, redisOptionsFromUrl } from '../queue/connection';
import { readWorkerStatuses } from '../queue/worker-status';
import type { QueueChoice } from './queue-choice';

/** An answer about the workers is worth waiting this long for; a Redis that is away is reported instead. */
const ANSWER_MS = 5000;

/**
 * 'queue.workers': the queue this app's experiments go to now and the workers serving it. Without
 * a queue (training locally) the answer says so and touches no network.
 * 'queue.connect' / 'queue.disconnect': the desktop's choice of where runs train (QueueChoice
 * refuses them in served mode).
 */
export function createQueueService(choice: QueueChoice) {
  /** The connection the questions use, for the URL it was made for: a new choice gets a new one. */
  let open: { url: string; redis: Redis } | null = null;
  const connection = (url: string): Redis => {
    if (open?.url !== url) {
      open?.redis.disconnect();
      // Unlike the study's connections, a question from the UI must not wait forever for Redis.
      const redis = new Redis({ ...(redisOptionsFromUrl(url) as IORedisOptions), maxRetriesPerRequest: 1, lazyConnect: true });
      redis.on('error', () => undefined);
      open = { url, redis };
    }
    return open.redis;
  };
  const close = (): void => {
    open?.redis.disconnect();
    open = null;
  };

  return {
    async workers(_request: ParsedRequest<'queue.workers'>): Promise<Responses['queue.workers']> {
      const url = choice.get()?.url;
      if (!url) {
        close();
        return { queue: null, workers: [] };
      }
      const queue = redactRedisUrl(url);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis at ${queue} did not answer within ${ANSWER_MS / 1000} s; check that it runs and that ${choice.chosenByServer ? 'this server' : 'this computer'} reaches it.`)), ANSWER_MS);
      });
      try {
        return { queue, workers: await Promise.race([readWorkerStatuses(connection(url)), timeout]) };
      } catch (error) {
        throw new Error(`Could not read the workers from ${queue}: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    },

    async connect({ url, publishData }: ParsedRequest<'queue.connect'>): Promise<Responses['queue.connect']> {
      return choice.connect(url, { publishData });
    },

    async disconnect(_request: ParsedRequest<'queue.disconnect'>): Promise<Responses['queue.disconnect']> {
      const answer = choice.disconnect();
      close();
      return answer;
    },

    shutdown: close,
  };
}
