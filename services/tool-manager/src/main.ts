import {
  ContentStore,
  RunnerClient,
  ToolStore,
  createLlmClient,
  resolveLlmConfig,
  runMain,
  runStep,
  startWorkerService,
} from '@hyperdesk/shared';
import { buildTool } from './build';
import { loadEnv } from './env';
import { executePlannedCall } from './execute';
import { toolsReady } from './join';
import { repairAfterCall } from './repair';

runMain(async () => {
  const env = loadEnv();
  await startWorkerService({
    service: 'tool-manager',
    queue: 'tools',
    env,
    concurrency: env.CONCURRENCY,
    handlers: (ctx) => {
      const deps = {
        ...ctx,
        llm: createLlmClient(resolveLlmConfig(env), ctx.logger, ctx),
        runner: new RunnerClient(env.RUNNER_URL),
        tools: new ToolStore(ctx.redis, ctx.keys),
        contents: new ContentStore(ctx.redis, ctx.keys),
        maxRepairs: env.TOOL_MAX_REPAIRS,
      };
      return {
        // The builds were enqueued with the plan; tools.ready moves the run on.
        BUILDING_TOOLS: runStep('BUILDING_TOOLS', async () => null, ctx),
        EXECUTING_TOOL: runStep('EXECUTING_TOOL', (run) => executePlannedCall(run, deps), ctx),
        'tool.build': async (payload) => buildTool(payload, deps),
        'tools.ready': (payload, job) => toolsReady(payload, job, ctx),
        'tool.repair': async (payload) => repairAfterCall(payload, deps),
      };
    },
  });
});
