import type { Redis } from 'ioredis';
import { RunState, isTerminal } from './contracts/run';
import { advance, type StepDeps } from './steps';
import type { RedisKeys } from './keys';

/**
 * Moves runs that have made no progress (no transition, no event) for longer than
 * `maxIdleMs` to FAILED, so nothing stays "in progress" forever (a lost job, a worker that
 * died between a transition and its enqueue, a model that never answers). Returns the ids
 * it stopped.
 */
export async function sweepStalledRuns(
  deps: StepDeps & { keys: RedisKeys; redis: Redis },
  maxIdleMs: number,
  now = Date.now(),
): Promise<string[]> {
  const { redis } = deps;
  const stopped: string[] = [];
  let cursor = '0';
  do {
    const [next, sets] = await redis.scan(
      cursor,
      'MATCH',
      deps.keys.userActiveRuns('*'),
      'COUNT',
      200,
    );
    cursor = next;
    for (const set of sets) {
      for (const runId of await redis.smembers(set)) {
        const last = await redis.lindex(deps.keys.runHistory(runId), -1);
        const entry = last ? (JSON.parse(last) as { state: string; at: number }) : null;
        const state = RunState.safeParse(entry?.state);
        if (!entry || !state.success) {
          await redis.srem(set, runId); // a run that no longer exists
          continue;
        }
        if (isTerminal(state.data) || now - entry.at < maxIdleMs) continue;
        // Streaming and tool builds are progress too: a long generation is not a stall.
        const lastAt = Math.max(entry.at, await lastEventAt(redis, deps.keys, runId));
        if (now - lastAt < maxIdleMs) continue;
        const idle = now - lastAt;
        const span =
          idle < 120_000 ? `${Math.round(idle / 1000)} s` : `${Math.round(idle / 60_000)} minutes`;
        const moved = await advance(deps, runId, 'FAILED', {
          error: `The run stalled in ${state.data} for ${span} and was stopped; try again.`,
        });
        if (moved) stopped.push(runId);
      }
    }
  } while (cursor !== '0');
  return stopped;
}

async function lastEventAt(redis: Redis, keys: RedisKeys, runId: string): Promise<number> {
  const [last] = await redis.xrevrange(keys.runEvents(runId), '+', '-', 'COUNT', 1);
  const at = last ? (JSON.parse(last[1][1] ?? '{}') as { at?: unknown }).at : undefined;
  return typeof at === 'number' ? at : 0;
}
