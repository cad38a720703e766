import { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import {
  AppStore,
  ContentStore,
  JobQueues,
  NoticeStore,
  RunStore,
  RunnerClient,
  ToolStore,
  UserStore,
  createLlmClient,
  createLogger,
  createRedis,
  redisKeys,
  resolveLlmConfig,
  waitForRedis,
} from '@hyperdesk/shared';
import { buildSim } from '../../services/llm-sim/src/server';
import { buildApp } from '../../services/gateway/src/app';
import type { GatewayDeps } from '../../services/gateway/src/deps';
import { loadEnv } from '../../services/gateway/src/env';
import { LiveHub } from '../../services/gateway/src/live';
import { dropPrefix, redisUrl, testPrefix } from './redis';

export interface Gateway {
  app: FastifyInstance;
  deps: GatewayDeps;
  /** `http://127.0.0.1:<port>` once listening. */
  baseUrl: string;
  wsUrl: string;
  /** `127.0.0.1:<port>`, the Host a browser on the desktop's page sends. */
  host: string;
  stop: () => Promise<void>;
}

/**
 * The gateway in this process (`buildApp`), on real Redis under a private prefix and
 * listening on a free loopback port (for WebSockets), with the simulator as its model and
 * no workers: for what the gateway itself decides (auth, limits, validation).
 */
export async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const sim = await buildSim({ ttftMs: 1, tokensPerS: 100_000 });
  const simUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
  const url = await redisUrl();
  const config = loadEnv({
    REDIS_URL: url,
    REDIS_PREFIX: testPrefix('gw'),
    LLM_PROVIDER: 'sim',
    LLM_BASE_URL: `${simUrl}/v1`,
    // Nothing listens here: these tests never reach the sandbox.
    RUNNER_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    TOOL_WAIT_MS: '2000',
    ...env,
  });
  const logger = createLogger('gateway-test', 'silent');
  const keys = redisKeys(config.REDIS_PREFIX);
  const redis = createRedis(url, 'producer', 'gateway-test');
  const subscriber = createRedis(url, 'subscriber', 'gateway-test-live');
  const workerRedis = createRedis(url, 'worker', 'gateway-test-worker');
  await waitForRedis(redis, url, 10_000, () => undefined);
  const deps: GatewayDeps = {
    env: config,
    logger,
    redis,
    keys,
    runs: new RunStore(redis, keys),
    apps: new AppStore(redis, keys),
    queues: new JobQueues(redis, keys.queuePrefix),
    llm: createLlmClient(resolveLlmConfig(config), logger),
    hub: new LiveHub(subscriber, keys),
    tools: new ToolStore(redis, keys),
    users: new UserStore(redis, keys),
    contents: new ContentStore(redis, keys),
    notices: new NoticeStore(redis, keys),
    runner: new RunnerClient(config.RUNNER_URL),
    toolEvents: new QueueEvents('tools', { connection: workerRedis, prefix: keys.queuePrefix }),
  };
  const app = await buildApp(deps);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const host = new URL(address).host;
  return {
    app,
    deps,
    baseUrl: address,
    wsUrl: `ws://${host}/ws`,
    host,
    stop: async () => {
      await app.close();
      await sim.close();
      await deps.toolEvents.close();
      await deps.queues.close();
      await dropPrefix(redis, config.REDIS_PREFIX);
      redis.disconnect();
      subscriber.disconnect();
      workerRedis.disconnect();
    },
  };
}
