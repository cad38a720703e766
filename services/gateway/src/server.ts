import { QueueEvents } from 'bullmq';
import {
  AppStore,
  ContentStore,
  NoticeStore,
  RunnerClient,
  ToolStore,
  UserStore,
  JobQueues,
  RunStore,
  createLlmClient,
  createLogger,
  createRedis,
  createWorker,
  initMetrics,
  onShutdown,
  openWindows,
  closeWorker,
  shutdownGraceMs,
  redisKeys,
  resolveLlmConfig,
  runStep,
  waitForRedis,
  watchQueueDepths,
} from '@hyperdesk/shared';
import { buildApp } from './app';
import { classify } from './classify';
import type { GatewayDeps } from './deps';
import { authMode, loadEnv } from './env';
import { ensureFirstAdmin } from './first-admin';
import { startWatchdog } from './watchdog';
import { LiveHub } from './live';

async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger('gateway', env.LOG_LEVEL);
  initMetrics('gateway');
  const keys = redisKeys(env.REDIS_PREFIX);
  const redis = createRedis(env.REDIS_URL, 'producer', 'gateway');
  const workerRedis = createRedis(env.REDIS_URL, 'worker', 'gateway-worker');
  const subscriber = createRedis(env.REDIS_URL, 'subscriber', 'gateway-live');
  await waitForRedis(redis, env.REDIS_URL, env.REDIS_WAIT_MS, (ms) =>
    logger.warn(`waiting for Redis (${Math.round(ms / 1000)} s)`),
  );

  const runs = new RunStore(redis, keys);
  const apps = new AppStore(redis, keys);
  const queues = new JobQueues(redis, keys.queuePrefix);
  watchQueueDepths(queues, logger);
  const llm = createLlmClient(resolveLlmConfig(env), logger, { redis, keys });
  const deps: GatewayDeps = {
    env,
    logger,
    redis,
    keys,
    runs,
    apps,
    queues,
    llm,
    hub: new LiveHub(subscriber, keys),
    tools: new ToolStore(redis, keys),
    users: new UserStore(redis, keys),
    contents: new ContentStore(redis, keys),
    notices: new NoticeStore(redis, keys),
    runner: new RunnerClient(env.RUNNER_URL),
    toolEvents: new QueueEvents('tools', {
      connection: workerRedis.duplicate(),
      prefix: keys.queuePrefix,
    }),
  };

  const stepDeps = { runs, queues, logger };
  const worker = createWorker(
    'classify',
    {
      CLASSIFYING: runStep(
        'CLASSIFYING',
        async (run) => {
          const app = run.appId ? await apps.meta(run.appId) : null;
          // Without a given app, the open windows let the request name one ("my notes window").
          const windows = app ? [] : await openWindows(redis, keys, run.owner);
          return classify(run, {
            llm,
            runs,
            tools: deps.tools,
            openWindows: windows,
            ...(app ? { currentAppTitle: app.title } : {}),
          });
        },
        stepDeps,
      ),
    },
    {
      connection: workerRedis,
      prefix: keys.queuePrefix,
      concurrency: env.CLASSIFY_CONCURRENCY,
      logger,
      lockDurationMs: env.WORKER_LOCK_MS,
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
    },
  );

  const mode = authMode(env);
  if (mode === 'accounts') await ensureFirstAdmin(deps);
  const converted = await deps.tools.migrateNameGrants();
  if (converted > 0) logger.info({ tools: converted }, 'network grants now belong to versions');
  logger.info(
    { authMode: mode },
    mode === 'local' ? 'single-user local mode: no login' : 'accounts: login required',
  );
  const watchdog = startWatchdog(deps);
  const app = await buildApp(deps);
  await app.listen({ port: env.PORT, host: env.HOST });
  onShutdown(
    logger,
    [
      async () => clearInterval(watchdog),
      () => app.close(),
      () => closeWorker(worker, shutdownGraceMs(env.SHUTDOWN_DEADLINE_MS), logger),
      () => deps.toolEvents.close(),
      () => queues.close(),
      async () => {
        redis.disconnect();
        workerRedis.disconnect();
        subscriber.disconnect();
      },
    ],
    env.SHUTDOWN_DEADLINE_MS,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
