import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppStore,
  JobQueues,
  RunStore,
  advance,
  createLogger,
  redisKeys,
  runStep,
  sweepStalledRuns,
  type RunEvent,
} from '@hyperdesk/shared';
import { connect, dropPrefix, testPrefix } from './support/redis';

describe('RunStore and steps against real Redis', () => {
  let redis: Redis;
  const prefix = testPrefix('store');
  const keys = redisKeys(prefix);
  let runs: RunStore;
  let queues: JobQueues;
  const logger = createLogger('test', 'silent');

  beforeAll(async () => {
    redis = await connect();
    runs = new RunStore(redis, keys);
    queues = new JobQueues(redis, keys.queuePrefix);
  });
  afterAll(async () => {
    await queues.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('records transitions as history and numbered events, refusing illegal ones', async () => {
    const run = await runs.create({ owner: 'ann', prompt: 'a clock' });
    expect(await runs.transition(run.id, 'CLASSIFYING')).toMatchObject({ ok: true, attempt: 0 });
    expect(await runs.transition(run.id, 'DONE')).toEqual({ ok: false, current: 'CLASSIFYING' });
    await runs.transition(run.id, 'GENERATING_APP', { intent: 'new_app', title: 'Clock' });
    await runs.transition(run.id, 'FAILED', { error: 'model went away' });
    expect(await runs.transition(run.id, 'CLASSIFYING')).toEqual({ ok: false, current: 'FAILED' });

    const view = await runs.view(run.id);
    expect(view?.history.map((h) => h.state)).toEqual([
      'RECEIVED',
      'CLASSIFYING',
      'GENERATING_APP',
      'FAILED',
    ]);
    expect(view?.history.at(-1)?.ms).toBeNull();
    expect(view).toMatchObject({ intent: 'new_app', title: 'Clock', error: 'model went away' });

    const events = await runs.eventsSince(run.id, 0);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await runs.eventsSince(run.id, 2)).map((e: RunEvent) => e.seq)).toEqual([3, 4]);
    expect(events.at(-1)).toMatchObject({
      type: 'run.state',
      state: 'FAILED',
      error: 'model went away',
    });
  });

  it('enqueues one job per state entry; repeated deliveries do nothing twice', async () => {
    const deps = { runs, queues, logger };
    const run = await runs.create({ owner: 'ann', prompt: 'a clock' });
    expect(await advance(deps, run.id, 'CLASSIFYING')).toBe(true);
    const job = await queues.queue('classify').getJob(`${run.id}.CLASSIFYING.0`);
    expect(job?.data).toEqual({ runId: run.id, attempt: 0 });

    let calls = 0;
    const step = runStep(
      'CLASSIFYING',
      async () => {
        calls += 1;
        return { state: 'GENERATING_CONTENT', patch: { intent: 'virtual_response' } };
      },
      deps,
    );
    if (!job) throw new Error('job missing');
    await step({ runId: run.id, attempt: 0 }, job);
    await step({ runId: run.id, attempt: 0 }, job); // at-least-once: delivered again
    expect(calls).toBe(1);
    expect((await runs.get(run.id))?.state).toBe('GENERATING_CONTENT');
    expect(await queues.queue('apps').getJob(`${run.id}.GENERATING_CONTENT.0`)).toBeTruthy();
  });

  it('fails the run with the reason when a step cannot succeed', async () => {
    const deps = { runs, queues, logger };
    const run = await runs.create({ owner: 'ann', prompt: 'x' });
    await advance(deps, run.id, 'CLASSIFYING');
    const job = await queues.queue('classify').getJob(`${run.id}.CLASSIFYING.0`);
    if (!job) throw new Error('job missing');
    const step = runStep(
      'CLASSIFYING',
      async () => {
        throw new Error('boom');
      },
      deps,
    );
    // Unknown errors are retried while attempts remain...
    await expect(step({ runId: run.id, attempt: 0 }, job)).rejects.toThrow('boom');
    // ...and fail the run on the last one.
    job.attemptsMade = 2;
    await step({ runId: run.id, attempt: 0 }, job);
    const view = await runs.view(run.id);
    expect(view?.state).toBe('FAILED');
    expect(view?.error).toMatch(/while classifying: boom/);
  });

  it('saves one app version per run, even when the save is repeated', async () => {
    const apps = new AppStore(redis, keys);
    const input = {
      appId: 'app_x',
      runId: 'run_a',
      owner: 'ann',
      title: 'Clock',
      prompt: 'a clock',
      tools: [],
      html: '<!DOCTYPE html><p>1</p>',
    };
    expect(await apps.saveVersion(input)).toBe(1);
    expect(await apps.saveVersion(input)).toBe(1);
    expect(await apps.saveVersion({ ...input, runId: 'run_b', html: '<p>2</p>' })).toBe(2);
    expect((await apps.get('app_x'))?.html).toBe('<p>2</p>');
    expect((await apps.get('app_x', 1))?.html).toBe('<!DOCTYPE html><p>1</p>');
    expect((await apps.meta('app_x'))?.version).toBe(2);
  });
});

describe('the watchdog', () => {
  it('fails runs that made no progress for too long, and leaves the others', async () => {
    const redis = await connect();
    const prefix = testPrefix('watchdog');
    const keys = redisKeys(prefix);
    const runs = new RunStore(redis, keys);
    const queues = new JobQueues(redis, keys.queuePrefix);
    const deps = { runs, queues, logger: createLogger('test', 'silent'), keys, redis };
    const stuck = await runs.create({ owner: 'ann', prompt: 'a' });
    const fresh = await runs.create({ owner: 'ann', prompt: 'b' });
    await runs.transition(stuck.id, 'CLASSIFYING');
    await runs.transition(fresh.id, 'CLASSIFYING');
    const later = Date.now() + 60_000;
    // Seen from a minute later: with a 2-minute limit neither has stalled.
    expect(await sweepStalledRuns(deps, 120_000, later)).toEqual([]);
    await runs.transition(fresh.id, 'GENERATING_APP');
    await redis.lset(
      keys.runHistory(fresh.id),
      -1,
      JSON.stringify({ state: 'GENERATING_APP', at: later }),
    );
    expect(await sweepStalledRuns(deps, 30_000, later)).toEqual([stuck.id]);
    const view = await runs.view(stuck.id);
    expect(view?.state).toBe('FAILED');
    expect(view?.error).toMatch(/stalled in CLASSIFYING/);
    expect((await runs.get(fresh.id))?.state).toBe('GENERATING_APP');
    expect(await redis.smembers(keys.userActiveRuns('ann'))).toEqual([fresh.id]);
    await queues.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });
});
