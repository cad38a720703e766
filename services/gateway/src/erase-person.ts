import type { GatewayDeps } from './deps';

/**
 * What a removed person leaves behind in Redis is erased with the account: their apps, runs
 * (with their events and content), desktop, shared context, notices and counters. A person
 * created later under the same name starts empty and can reach none of it.
 */
export async function erasePerson(deps: GatewayDeps, name: string): Promise<void> {
  const { keys, redis } = deps;
  const appIds = await redis.zrange(keys.userApps(name), 0, -1);
  for (const id of appIds) await deps.apps.remove(id, name);
  const runIds = await redis.zrange(keys.userRuns(name), 0, -1);
  for (const id of runIds) {
    const contentId = await redis.hget(keys.run(id), 'contentId');
    await redis.del(
      keys.run(id),
      keys.runHistory(id),
      keys.runLlm(id),
      keys.runEvents(id),
      ...(contentId ? [keys.content(contentId)] : []),
    );
  }
  await redis.del(
    keys.userApps(name),
    keys.userRuns(name),
    keys.desktop(name),
    keys.userContext(name),
    keys.userNotices(name),
    keys.userActiveRuns(name),
  );
}
