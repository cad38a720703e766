/**
 * A redis-server owned by one session (the launcher's, or a test run's): its data in its own
 * directory, listening on 127.0.0.1 only, stopped with its owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  url: string;
  dir: string;
  pid: number;
  /** Resolves when redis-server has exited, for whatever reason. */
  exited: Promise<void>;
  /** SIGTERM: Redis writes out its append-only file and exits. Resolves once it has. */
  stop(): Promise<void>;
  /** Synchronous last resort when the owner exits without waiting (an error path). */
  kill(): void;
}

export interface PrivateRedisOptions {
  port: number;
  dir: string;
  /** Append-only file, fsync every second (what the design asks of the one store). */
  persistent: boolean;
  /**
   * Its own process group, so a Ctrl-C in the terminal reaches only the services and the owner
   * stops Redis after them (the launcher). Otherwise a Ctrl-C stops it with everything else.
   */
  ownProcessGroup: boolean;
  /** How long to wait for the first PONG. */
  timeoutMs?: number;
}

/** Whether a Redis answers PING at `url` now (no retries). */
export async function redisAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Starts redis-server and resolves once it answers; rejects with one line if it cannot start. */
export async function startPrivateRedis(options: PrivateRedisOptions): Promise<PrivateRedis> {
  mkdirSync(options.dir, { recursive: true });
  const url = `redis://127.0.0.1:${options.port}`;
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(options.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      options.dir,
      '--logfile',
      'redis.log',
      '--save',
      '',
      '--appendonly',
      options.persistent ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
    ],
    { cwd: options.dir, stdio: 'ignore', detached: options.ownProcessGroup },
  );
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const failure = (reason: string) =>
    new Error(
      `redis-server could not start on port ${options.port} (${reason}); see ${options.dir}/redis.log`,
    );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(failure(err.message)));
  });
  await spawned;

  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let dead = false;
  void exited.then(() => (dead = true));
  for (;;) {
    if (await redisAnswers(url, 1000)) break;
    if (dead) throw failure(`exited with ${child.exitCode ?? child.signalCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw failure('no answer to PING');
    }
    // Redis answers within milliseconds of starting; this only paces the retries.
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    dir: options.dir,
    pid: child.pid ?? 0,
    exited,
    async stop() {
      if (!dead) child.kill('SIGTERM');
      await exited;
    },
    kill() {
      if (!dead) child.kill('SIGTERM');
    },
  };
}
