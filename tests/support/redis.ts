import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * The Redis the tests use: REDIS_URL, which the global setup (tests/global-setup.ts) always
 * sets: the configured one, the default one when it answers, or a private one for the run.
 */
export async function redisUrl(): Promise<string> {
  const url = process.env.REDIS_URL;
  if (!url)
    throw new Error('REDIS_URL is unset: run the tests with vitest (its global setup sets it)');
  return url;
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
