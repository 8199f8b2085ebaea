import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import { redactRedisUrl, redisOptionsFromUrl } from './connection';

/** A Redis that has not answered by then is reported as unreachable; the user is waiting on a button. */
const CONNECT_MS = 3000;

/**
 * Checks that the Redis of a URL answers (connects, authenticates, answers PING) before the
 * app hands studies to it, so a typo is reported at once rather than as runs waiting forever.
 * One attempt, no retries; the connection is closed either way. Throws a message that names the
 * URL without its password and says what to do.
 */
export async function reachRedis(url: string, connectMs = CONNECT_MS): Promise<void> {
  // A URL that cannot work is refused with redisOptionsFromUrl's own message.
  const options = redisOptionsFromUrl(url);
  const redis = new Redis({
    ...(options as IORedisOptions),
    lazyConnect: true,
    connectTimeout: connectMs,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  // Without retries connect() only says "Connection is closed"; the reason (ECONNREFUSED, a TLS
  // or DNS failure) comes as an 'error' event, which also must not go unhandled.
  let cause: Error | null = null;
  redis.on('error', (error: Error) => {
    cause ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  // connectTimeout covers the TCP connection; this covers a server that accepts and then says nothing.
  const silent = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round((connectMs + 1000) / 1000)} s`)), connectMs + 1000);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), silent]);
  } catch (error) {
    let reason = ((cause as Error | null)?.message || (error as Error).message || String(error)).replace(/\.+$/, '');
    // A port where something else answers (an HTTP server, say) makes ioredis talk of its parser.
    if (/Unknown RESP type/.test(reason)) reason = 'something answers there, but not Redis';
    // Redis's own messages never repeat the password, but a reason must not be the one place that does.
    if (options.password) reason = reason.split(options.password).join('***');
    throw new Error(`Could not reach ${redactRedisUrl(url)}: ${reason}. Start Redis there or check the URL; workers join with \`losslab worker --redis URL\`.`);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}
