import { Redis, type RedisOptions } from 'ioredis';
import { HyperdeskError } from './errors';

/**
 * Connection roles, following BullMQ's production rules: producers (API paths, queue adds)
 * fail fast while Redis is away; workers and subscribers wait for it forever.
 */
export type RedisRole = 'producer' | 'worker' | 'subscriber';

export function createRedis(url: string, role: RedisRole, name?: string): Redis {
  const options: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: name }
      : { maxRetriesPerRequest: null, connectionName: name };
  const redis = new Redis(url, {
    ...options,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Connection errors surface through commands and readiness checks; without a listener
  // ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Resolves when the connection is ready, or fails with one clear line after `timeoutMs`.
 * `onWaiting` hears every 5 s that it is still waiting, so a slow start is visible.
 */
export async function waitForRedis(
  redis: Redis,
  url: string,
  timeoutMs = 5000,
  onWaiting?: (waitedMs: number) => void,
): Promise<void> {
  if (redis.status === 'ready') return;
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const progress = onWaiting
      ? setInterval(() => onWaiting(Date.now() - started), 5000)
      : undefined;
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new HyperdeskError(
          'REDIS_UNREACHABLE',
          `Cannot reach Redis at ${redactUrl(url)}. Start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL.`,
          503,
          true,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      clearInterval(progress);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
