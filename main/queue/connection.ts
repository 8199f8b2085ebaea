import fs from 'node:fs';
import type { RedisOptions } from 'bullmq';

/**
 * Redis connection settings from a `redis://` or `rediss://` (TLS) URL. The password may come
 * from the URL or, to keep it out of process listings and shell history, from the
 * LOSSLAB_REDIS_PASSWORD environment variable. It is never printed: logs use redactRedisUrl.
 */
export function redisOptionsFromUrl(url: string, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${redactRedisUrl(url)} is not a Redis URL; use redis://[user:password@]host[:port][/db] or rediss:// for TLS`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`${redactRedisUrl(url)} is not a Redis URL; use redis://[user:password@]host[:port][/db] or rediss:// for TLS`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`The database number in ${redactRedisUrl(url)} is not a whole number`);
  const password = parsed.password ? decodeURIComponent(parsed.password) : env.LOSSLAB_REDIS_PASSWORD;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const options: RedisOptions = {
    host,
    port: parsed.port ? Number(parsed.port) : 6379,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(password ? { password } : {}),
    // BullMQ workers block on Redis; they must wait for it rather than fail a command.
    maxRetriesPerRequest: null,
  };
  if (parsed.protocol === 'rediss:') {
    // A private certificate authority (a lab's own Redis) can be named without touching the system store.
    const caFile = env.LOSSLAB_REDIS_CA;
    options.tls = { servername: host, ...(caFile ? { ca: fs.readFileSync(caFile) } : {}) };
  }
  return options;
}

/** The URL with its password replaced, for messages and stored records. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL: hide anything between "://" and "@" that could be credentials.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
