import type { Redis } from 'ioredis';
import type { AppDataEntry, AppDataSize, AppDataView, AppDataWrite } from './contracts/app-data';
import { HyperdeskError } from './errors';
import type { RedisKeys } from './keys';

/** A write that would take an app (or the person) over the limit: refused, nothing changed. */
export class QuotaExceededError extends HyperdeskError {
  constructor(message: string) {
    super('QUOTA_EXCEEDED', message, 413);
  }
}

export interface AppDataLimits {
  /** Bytes one app may keep. */
  perApp: number;
  /** Bytes all of one person's apps may keep together. */
  perPerson: number;
}

// Applies a write atomically, or refuses it when it would grow the app past its limit or the
// person past theirs (a write that shrinks the data always passes). Sizes are UTF-8 bytes of
// keys and values. Returns {1, bytes, total} or {-1 | -2, bytes or total, before}.
const WRITE = `
local appId, appLimit, personLimit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local clear = ARGV[4] == '1'
local before = tonumber(redis.call('HGET', KEYS[2], appId) or '0')
local size = before
if clear then size = 0 end
for i = 5, #ARGV, 3 do
  local k, op, v = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if not clear and redis.call('HEXISTS', KEYS[1], k) == 1 then
    size = size - #k - redis.call('HSTRLEN', KEYS[1], k)
  end
  if op == 's' then size = size + #k + #v end
end
local total = size - before
for _, n in ipairs(redis.call('HVALS', KEYS[2])) do total = total + tonumber(n) end
if size > before then
  if size > appLimit then return {-1, size, before} end
  if total > personLimit then return {-2, total, before} end
end
if clear then redis.call('DEL', KEYS[1]) end
for i = 5, #ARGV, 3 do
  if ARGV[i + 1] == 's' then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  else redis.call('HDEL', KEYS[1], ARGV[i]) end
end
if size > 0 then redis.call('HSET', KEYS[2], appId, size) else redis.call('HDEL', KEYS[2], appId) end
return {1, size, total}
`;

/** UTF-8 bytes an item takes (its key and its value), as the limits count them. */
export function itemBytes(key: string, value: string): number {
  return Buffer.byteLength(key) + Buffer.byteLength(value);
}

/**
 * The data apps keep (`localStorage`, `hyperdesk.storage`): one Redis hash per person and
 * app, kept across the app's versions, with the bytes of each app in a second hash so the
 * person's limit over all apps is one read.
 */
export class AppDataStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limits: AppDataLimits,
  ) {}

  async read(owner: string, appId: string): Promise<AppDataView> {
    const [hash, size] = await Promise.all([
      this.redis.hgetall(this.keys.appData(owner, appId)),
      this.size(owner, appId),
    ]);
    return { entries: Object.entries(hash), ...size };
  }

  /** The app's bytes and the bytes it may hold now. */
  async size(owner: string, appId: string): Promise<AppDataSize> {
    const sizes = await this.redis.hgetall(this.keys.appDataSizes(owner));
    const bytes = Number(sizes[appId] ?? 0);
    const total = Object.values(sizes).reduce((sum, n) => sum + Number(n), 0);
    const limit = Math.max(
      bytes,
      Math.min(this.limits.perApp, this.limits.perPerson - total + bytes),
    );
    return { bytes, limit };
  }

  async write(owner: string, appId: string, write: AppDataWrite): Promise<AppDataSize> {
    const last = new Map<string, string | null>();
    for (const [key, value] of write.changes) {
      last.delete(key); // keep the order of the last changes
      last.set(key, value);
    }
    const args = [...last].flatMap(([key, value]) =>
      value === null ? [key, 'd', ''] : [key, 's', value],
    );
    const [status, bytes] = (await this.redis.eval(
      WRITE,
      2,
      this.keys.appData(owner, appId),
      this.keys.appDataSizes(owner),
      appId,
      String(this.limits.perApp),
      String(this.limits.perPerson),
      write.clear ? '1' : '0',
      ...args,
    )) as [number, number, number];
    if (status === -1) {
      throw new QuotaExceededError(
        `This write would make the app's data ${bytes} bytes; an app may keep at most ${this.limits.perApp} bytes. Nothing was changed.`,
      );
    }
    if (status === -2) {
      throw new QuotaExceededError(
        `This write would make your apps' data ${bytes} bytes in all; you may keep at most ${this.limits.perPerson} bytes. Nothing was changed.`,
      );
    }
    return this.size(owner, appId);
  }

  async clear(owner: string, appId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.appData(owner, appId))
      .hdel(this.keys.appDataSizes(owner), appId)
      .exec();
  }

  /** Whether the entries fit one app's limit (an import checks before it creates anything). */
  fits(entries: readonly AppDataEntry[]): boolean {
    const bytes = entries.reduce((sum, [key, value]) => sum + itemBytes(key, value), 0);
    return bytes <= this.limits.perApp;
  }
}
