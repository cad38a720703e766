/**
 * The test run's global setup (vitest `globalSetup`): readies the machine as the launcher does
 * (scripts/machine.ts), so `npm test` passes on a new machine with nothing else done: missing
 * system packages (bubblewrap, Chromium, python3, redis-server) are installed where the
 * machine allows it, and when REDIS_URL is unset a private redis-server is started for the run
 * (a free port, a temporary directory, no persistence) and stopped after it. Every test, and every service a test starts, gets the
 * Redis in effect through REDIS_URL. When everything is there it only looks: a few file checks
 * and one PING.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MachineNotReady, prepareMachine } from '../scripts/machine';
import { freePort } from './support/ports';

export default async function setup(): Promise<() => Promise<void>> {
  const say = (line: string) => process.stdout.write(`hyperdesk tests: ${line}\n`);
  const dir = mkdtempSync(path.join(tmpdir(), 'hd-test-redis-'));
  try {
    const ready = await prepareMachine({
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      ...(process.env.CHROMIUM_PATH ? { chromiumPath: process.env.CHROMIUM_PATH } : {}),
      path: process.env.PATH ?? '',
      // A port nothing listens on: without REDIS_URL the run gets a Redis of its own.
      localRedisPort: await freePort(),
      privateRedis: { dir, persistent: false, ownProcessGroup: false },
      say,
    });
    if (ready.privateRedis)
      say(`REDIS_URL is unset: a private Redis for this run at ${ready.redisUrl}`);
    process.env.REDIS_URL = ready.redisUrl;
    return async () => {
      await ready.privateRedis?.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (!(err instanceof MachineNotReady)) throw err;
    // What to do, in a line or two; a stack trace would only hide it.
    for (const line of err.message.split('\n')) say(line);
    process.exit(1);
  }
}
