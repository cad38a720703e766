/**
 * `npm run user -- add <name> [--admin] | reset <name> | remove <name> | list`
 * Manages team accounts directly in Redis. A password is read from HYPERDESK_PASSWORD, or
 * generated and printed once.
 */
import { randomBytes } from 'node:crypto';
import {
  BaseEnv,
  Password,
  Username,
  UserStore,
  createRedis,
  errorMessage,
  parseEnv,
  redisKeys,
  waitForRedis,
} from '@hyperdesk/shared';
import { z } from 'zod';

const Env = BaseEnv.extend({ HYPERDESK_PASSWORD: Password.optional() });
const USAGE = 'usage: npm run user -- add <name> [--admin] | reset <name> | remove <name> | list';

async function main(): Promise<void> {
  const env = parseEnv(Env, process.env);
  const [command, rawName, ...flags] = process.argv.slice(2);
  const redis = createRedis(env.REDIS_URL, 'producer', 'user-cli');
  try {
    await waitForRedis(redis, env.REDIS_URL, 3000);
    const users = new UserStore(redis, redisKeys(env.REDIS_PREFIX));
    if (command === 'list') {
      for (const u of await users.list()) console.log(`${u.name}\t${u.role}`);
      return;
    }
    const name = z.object({ name: Username }).parse({ name: rawName }).name;
    const password = env.HYPERDESK_PASSWORD ?? randomBytes(12).toString('base64url');
    const say = () => !env.HYPERDESK_PASSWORD && console.log(`Password for ${name}: ${password}`);
    switch (command ?? '') {
      case 'add':
        await users.create(name, password, flags.includes('--admin') ? 'admin' : 'member', 'cli');
        console.log(`Added ${name}.`);
        say();
        return;
      case 'reset':
        await users.resetPassword(name, password, 'cli');
        console.log(`Reset the password of ${name}.`);
        say();
        return;
      case 'remove':
        await users.remove(name, 'cli');
        console.log(`Removed ${name}.`);
        return;
      default:
        throw new Error(USAGE);
    }
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(
    err instanceof z.ZodError ? `${USAGE}\n${err.issues[0]?.message ?? ''}` : errorMessage(err),
  );
  process.exit(1);
});
