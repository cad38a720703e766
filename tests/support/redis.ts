import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

let containerUrl: Promise<string> | null = null;

/**
 * The Redis the tests use: REDIS_URL when set (CI and local machines run one), otherwise a
 * throwaway container started with testcontainers.
 */
export async function redisUrl(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  containerUrl ??= import('@testcontainers/redis').then(async ({ RedisContainer }) => {
    const container = await new RedisContainer('redis:7').start();
    return container.getConnectionUrl();
  });
  return containerUrl;
}

/** A key prefix no other test uses, so tests can share one Redis. */
export function testPrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

export async function connect(): Promise<Redis> {
  return new Redis(await redisUrl(), { maxRetriesPerRequest: null });
}

/** Removes every key under a prefix. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
