import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoticeStore, redisKeys } from '@hyperdesk/shared';
import { connect, dropPrefix, testPrefix } from './support/redis';

describe('NoticeStore against real Redis', () => {
  let redis: Redis;
  const prefix = testPrefix('notices');
  let notices: NoticeStore;

  beforeAll(async () => {
    redis = await connect();
    notices = new NoticeStore(redis, redisKeys(prefix));
  });
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('raises a notice meant for once only the first time, even when two race', async () => {
    const notice = { level: 'info', text: 'Only once.', source: 'Demo mode' } as const;
    const raced = await Promise.all([
      notices.raiseOnce('ann', 'demo-model', notice),
      notices.raiseOnce('ann', 'demo-model', notice),
    ]);
    expect(raced.filter((n) => n !== null)).toHaveLength(1);
    expect(await notices.raiseOnce('ann', 'demo-model', notice)).toBeNull();
    expect((await notices.list('ann')).map((n) => n.text)).toEqual(['Only once.']);

    // Per person, and per flag.
    expect(await notices.raiseOnce('bob', 'demo-model', notice)).toMatchObject(notice);
    expect(await notices.raiseOnce('ann', 'another', notice)).toMatchObject(notice);
    // Clearing the list does not bring it back.
    await notices.clear('ann');
    expect(await notices.raiseOnce('ann', 'demo-model', notice)).toBeNull();
  });
});
