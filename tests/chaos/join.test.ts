import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore, redisKeys } from '@hyperdesk/shared';
import { connect, dropPrefix, testPrefix } from '../support/redis';

/**
 * The join of a run's two branches (tool builds, app generation) when a branch's job runs
 * twice because its worker died after arriving: the repeat must not complete the join.
 */
describe('the tool/app join under repeated delivery', () => {
  let redis: Redis;
  const prefix = testPrefix('chaos-join');
  const keys = redisKeys(prefix);
  let runs: RunStore;

  beforeAll(async () => {
    redis = await connect();
    runs = new RunStore(redis, keys);
  });
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('counts each branch once: a repeated first arrival stays first; the other branch completes it', async () => {
    const run = await runs.create({ owner: 'ann', prompt: 'an app with a new tool' });
    expect(await runs.arrive(run.id, 'app')).toBe(false);
    // The app-generator died after arriving; its job runs again and arrives again.
    expect(await runs.arrive(run.id, 'app')).toBe(false);
    expect(await runs.arrive(run.id, 'tools')).toBe(true);
  });

  it('a repeated second arrival still moves the run on (its first try died before advancing)', async () => {
    const run = await runs.create({ owner: 'ann', prompt: 'another app' });
    expect(await runs.arrive(run.id, 'tools')).toBe(false);
    expect(await runs.arrive(run.id, 'app')).toBe(true);
    expect(await runs.arrive(run.id, 'app')).toBe(true);
  });
});
