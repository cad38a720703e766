import type { QueueEvents } from 'bullmq';
import type {
  AppStore,
  ContentStore,
  JobQueues,
  LlmClient,
  Logger,
  NoticeStore,
  RedisKeys,
  RunStore,
  RunnerClient,
  ToolStore,
  UserStore,
} from '@hyperdesk/shared';
import type { Redis } from 'ioredis';
import type { GatewayEnv } from './env';
import type { LiveHub } from './live';

/** Everything the routes need, built once in server.ts (or by a test). */
export interface GatewayDeps {
  env: GatewayEnv;
  logger: Logger;
  redis: Redis;
  keys: RedisKeys;
  runs: RunStore;
  apps: AppStore;
  queues: JobQueues;
  hub: LiveHub;
  llm: LlmClient;
  tools: ToolStore;
  users: UserStore;
  contents: ContentStore;
  notices: NoticeStore;
  runner: RunnerClient;
  /** Completion events of the tools queue, to wait for a build or repair. */
  toolEvents: QueueEvents;
}
