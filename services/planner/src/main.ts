import {
  AppStore,
  ToolStore,
  createLlmClient,
  resolveLlmConfig,
  runMain,
  runStep,
  startWorkerService,
} from '@hyperdesk/shared';
import { loadEnv } from './env';
import { diagnose } from './diagnose';
import { planTools } from './plan';

runMain(async () => {
  const env = loadEnv();
  await startWorkerService({
    service: 'planner',
    queue: 'planner',
    env,
    concurrency: env.CONCURRENCY,
    handlers: (ctx) => {
      const deps = {
        ...ctx,
        llm: createLlmClient(resolveLlmConfig(env), ctx.logger, ctx),
        tools: new ToolStore(ctx.redis, ctx.keys),
        apps: new AppStore(ctx.redis, ctx.keys),
      };
      return {
        PLANNING_TOOLS: runStep('PLANNING_TOOLS', (run) => planTools(run, deps), ctx),
        DIAGNOSING: runStep('DIAGNOSING', (run) => diagnose(run, deps), ctx),
      };
    },
  });
});
