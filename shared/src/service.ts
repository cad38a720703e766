import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { QueueName } from './contracts/run';
import type { BaseEnv } from './env';
import { JobQueues, createWorker, type JobHandlers } from './jobs';
import { redisKeys, type RedisKeys } from './keys';
import { createLogger } from './logger';
import { initMetrics, startMetricsServer, watchQueueDepths } from './metrics';
import { createRedis, waitForRedis } from './redis';
import { NoticeStore } from './notices';
import { RunStore } from './runs';
import { closeWorker, onShutdown, shutdownGraceMs } from './shutdown';
import type { StepDeps } from './steps';

export interface ServiceContext extends StepDeps {
  keys: RedisKeys;
  /** Fail-fast connection for reads, writes and queue adds. */
  redis: Redis;
}

/**
 * Starts a worker service: connects to Redis (one clear error if it cannot), builds the
 * handlers of its queue, starts the worker and its `/metrics` server (on METRICS_PORT) and
 * closes everything on SIGTERM.
 */
export async function startWorkerService<Q extends QueueName>(options: {
  service: string;
  queue: Q;
  env: BaseEnv & { METRICS_PORT: number; METRICS_HOST: string };
  concurrency: number;
  handlers: (context: ServiceContext) => JobHandlers<Q> | Promise<JobHandlers<Q>>;
  onClose?: () => Promise<void>;
}): Promise<{ context: ServiceContext; worker: Worker }> {
  const { env, service } = options;
  const logger: Logger = createLogger(service, env.LOG_LEVEL);
  initMetrics(service);
  const keys = redisKeys(env.REDIS_PREFIX);
  const redis = createRedis(env.REDIS_URL, 'producer', service);
  const workerRedis = createRedis(env.REDIS_URL, 'worker', `${service}-worker`);
  await waitForRedis(redis, env.REDIS_URL, env.REDIS_WAIT_MS, (ms) =>
    logger.warn(`waiting for Redis (${Math.round(ms / 1000)} s)`),
  );
  const queues = new JobQueues(redis, keys.queuePrefix);
  const context: ServiceContext = {
    logger,
    keys,
    redis,
    queues,
    runs: new RunStore(redis, keys),
    notices: new NoticeStore(redis, keys),
  };
  const worker = createWorker(options.queue, await options.handlers(context), {
    connection: workerRedis,
    prefix: keys.queuePrefix,
    concurrency: options.concurrency,
    logger,
    lockDurationMs: env.WORKER_LOCK_MS,
    stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
  });
  watchQueueDepths(queues, logger);
  const metrics = await startMetricsServer({
    port: env.METRICS_PORT,
    host: env.METRICS_HOST,
    logger,
  });
  logger.info({ queue: options.queue, concurrency: options.concurrency }, `${service} ready`);
  onShutdown(
    logger,
    [
      () => closeWorker(worker, shutdownGraceMs(env.SHUTDOWN_DEADLINE_MS), logger),
      async () => {
        metrics?.close();
      },
      () => queues.close(),
      async () => options.onClose?.(),
      async () => {
        redis.disconnect();
        workerRedis.disconnect();
      },
    ],
    env.SHUTDOWN_DEADLINE_MS,
  );
  return { context, worker };
}

/** Entry-point wrapper: a start-up failure prints one line and exits 1. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
