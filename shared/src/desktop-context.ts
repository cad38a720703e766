import type { Redis } from 'ioredis';
import {
  ContextEntry,
  MAX_CONTEXT_KEYS,
  MAX_CONTEXT_VALUE_BYTES,
} from './contracts/desktop-context';
import type { ServerNotice } from './contracts/events';
import { BadRequestError, HyperdeskError } from './errors';
import type { RedisKeys } from './keys';

/** A value too large for the shared context (413, with the limit in the message). */
export class ContextTooLargeError extends HyperdeskError {
  constructor(message: string) {
    super('CONTEXT_TOO_LARGE', message, 413);
  }
}

/**
 * The desktop context a person's apps share: named JSON values in one Redis hash per
 * person, so they survive a reload, with every change published to the person's
 * connections.
 */
export class ContextStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async all(owner: string): Promise<ContextEntry[]> {
    const hash = await this.redis.hgetall(this.keys.userContext(owner));
    return Object.values(hash)
      .flatMap((raw) => {
        const parsed = ContextEntry.safeParse(JSON.parse(raw));
        return parsed.success ? [parsed.data] : [];
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async get(owner: string, key: string): Promise<ContextEntry | null> {
    const raw = await this.redis.hget(this.keys.userContext(owner), key);
    if (!raw) return null;
    const parsed = ContextEntry.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async set(owner: string, key: string, value: unknown, appId?: string): Promise<ContextEntry> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new BadRequestError('The context value must be JSON.');
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_CONTEXT_VALUE_BYTES) {
      throw new ContextTooLargeError(
        `The value for "${key}" is ${bytes} bytes of JSON; a context value may be at most ${MAX_CONTEXT_VALUE_BYTES} bytes.`,
      );
    }
    const hashKey = this.keys.userContext(owner);
    const [exists, count] = await Promise.all([
      this.redis.hexists(hashKey, key),
      this.redis.hlen(hashKey),
    ]);
    if (!exists && count >= MAX_CONTEXT_KEYS) {
      throw new ContextTooLargeError(
        `The desktop context already holds ${count} keys, the most it may hold; remove one first.`,
      );
    }
    const entry: ContextEntry = {
      key,
      value: JSON.parse(json) as unknown,
      ...(appId ? { appId } : {}),
      at: Date.now(),
    };
    await this.redis.hset(hashKey, key, JSON.stringify(entry));
    await this.publish(owner, { type: 'context', key, entry });
    return entry;
  }

  async remove(owner: string, key: string): Promise<boolean> {
    const removed = await this.redis.hdel(this.keys.userContext(owner), key);
    if (removed) await this.publish(owner, { type: 'context', key, entry: null });
    return removed > 0;
  }

  private async publish(owner: string, message: ServerNotice): Promise<void> {
    await this.redis.publish(this.keys.userChannel(owner), JSON.stringify(message));
  }
}
