import {
  AppStore,
  ContentStore,
  ToolStore,
  createLlmClient,
  openWindows,
  resolveLlmConfig,
  runMain,
  runStep,
  startWorkerService,
} from '@hyperdesk/shared';
import { BrowserChecker } from './check/browser';
import { checkApp } from './checking';
import { generateContent } from './content';
import { loadEnv } from './env';
import { generateApp } from './generate';
import { repairApp } from './repair';

runMain(async () => {
  const env = loadEnv();
  const checker = new BrowserChecker({
    chromiumPath: env.CHROMIUM_PATH,
    gatewayUrl: env.GATEWAY_URL,
    settleMs: env.APP_CHECK_SETTLE_MS,
    concurrency: env.APP_CHECK_CONCURRENCY,
  });
  await startWorkerService({
    service: 'app-generator',
    queue: 'apps',
    env,
    concurrency: env.APP_CONCURRENCY,
    handlers: (ctx) => {
      const deps = {
        llm: createLlmClient(resolveLlmConfig(env), ctx.logger, ctx),
        runs: ctx.runs,
        apps: new AppStore(ctx.redis, ctx.keys),
        contents: new ContentStore(ctx.redis, ctx.keys),
        tools: new ToolStore(ctx.redis, ctx.keys),
        openWindows: (owner: string) => openWindows(ctx.redis, ctx.keys, owner),
        frameMs: env.TOKEN_FRAME_MS,
        notices: ctx.notices,
        logger: ctx.logger,
      };
      return {
        GENERATING_APP: runStep('GENERATING_APP', (run) => generateApp(run, deps), ctx),
        GENERATING_CONTENT: runStep('GENERATING_CONTENT', (run) => generateContent(run, deps), ctx),
        CHECKING_APP: runStep(
          'CHECKING_APP',
          (run, job) =>
            checkApp(run, job, {
              ...deps,
              checker,
              maxRepairs: env.APP_MAX_REPAIRS,
              logger: ctx.logger,
            }),
          ctx,
        ),
        REPAIRING_APP: runStep('REPAIRING_APP', (run, job) => repairApp(run, job, deps), ctx),
      };
    },
    onClose: () => checker.close(),
  });
});
