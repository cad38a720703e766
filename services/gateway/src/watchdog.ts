import { sweepStalledRuns } from '@hyperdesk/shared';
import type { GatewayDeps } from './deps';

/**
 * Every gateway runs the watchdog; a short Redis lock makes one sweep at a time happen
 * across replicas.
 */
export function startWatchdog(deps: GatewayDeps): NodeJS.Timeout {
  const every = Math.min(60_000, Math.max(1000, Math.floor(deps.env.RUN_STALL_MS / 4)));
  const timer = setInterval(() => {
    void (async () => {
      const lock = await deps.redis.set(deps.keys.watchdogLock, '1', 'PX', every, 'NX');
      if (lock !== 'OK') return;
      const stopped = await sweepStalledRuns(deps, deps.env.RUN_STALL_MS);
      if (stopped.length) deps.logger.warn({ runs: stopped }, 'stopped stalled runs');
    })().catch((err: unknown) => deps.logger.warn({ err }, 'watchdog sweep failed'));
  }, every);
  timer.unref();
  return timer;
}
