import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppDataStore, QuotaExceededError, redisKeys } from '@hyperdesk/shared';
import { connect, dropPrefix, testPrefix } from './support/redis';

/** The app data store against a real Redis: atomic writes, sizes and both limits. */
describe('AppDataStore', () => {
  let redis: Redis;
  const prefix = testPrefix('app-data-store');
  const keys = redisKeys(prefix);
  let store: AppDataStore;

  beforeAll(async () => {
    redis = await connect();
    store = new AppDataStore(redis, keys, { perApp: 100, perPerson: 150 });
  });

  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  const entries = async (app: string) => Object.fromEntries((await store.read('ann', app)).entries);

  it('sets and deletes keys, the last change of a key winning, and counts UTF-8 bytes', async () => {
    const size = await store.write('ann', 'a1', {
      clear: false,
      changes: [
        ['k', 'first'],
        ['é', 'ü'],
        ['gone', 'x'],
        ['k', 'second'],
        ['gone', null],
      ],
    });
    expect(await entries('a1')).toEqual({ k: 'second', é: 'ü' });
    expect(size).toEqual({ bytes: 1 + 6 + 2 + 2, limit: 100 });
    // Clear first, then the changes: only what follows the clear remains.
    await store.write('ann', 'a1', { clear: true, changes: [['after', 'clear']] });
    expect(await entries('a1')).toEqual({ after: 'clear' });
    expect((await store.size('ann', 'a1')).bytes).toBe(10);
  });

  it('refuses a write over the app or person limit and changes nothing', async () => {
    await expect(
      store.write('ann', 'a1', { clear: false, changes: [['big', 'x'.repeat(100)]] }),
    ).rejects.toBeInstanceOf(QuotaExceededError);
    await store.write('ann', 'a2', { clear: false, changes: [['half', 'y'.repeat(76)]] });
    // a1 may now hold only what the person has left: 150 - 80 = 70 bytes.
    expect((await store.size('ann', 'a1')).limit).toBe(70);
    await expect(
      store.write('ann', 'a1', {
        clear: false,
        changes: [
          ['after', null],
          ['more', 'z'.repeat(70)],
        ],
      }),
    ).rejects.toThrow(/your apps' data/);
    expect(await entries('a1')).toEqual({ after: 'clear' });
    // Another person has limits of their own.
    await store.write('bea', 'a1', { clear: false, changes: [['more', 'z'.repeat(90)]] });
    expect(await entries('a1')).toEqual({ after: 'clear' });
  });

  it('lets a write that shrinks the data pass even over a lowered limit, and clears', async () => {
    const lowered = new AppDataStore(redis, keys, { perApp: 50, perPerson: 150 });
    // 80 bytes over a 50-byte limit: shrinking to 64 passes, growing does not.
    await lowered.write('ann', 'a2', { clear: false, changes: [['half', 'y'.repeat(60)]] });
    expect(await entries('a2')).toEqual({ half: 'y'.repeat(60) });
    await expect(
      lowered.write('ann', 'a2', { clear: false, changes: [['half', 'y'.repeat(61)]] }),
    ).rejects.toBeInstanceOf(QuotaExceededError);
    await store.clear('ann', 'a2');
    expect(await store.read('ann', 'a2')).toEqual({ entries: [], bytes: 0, limit: 100 });
  });
});
