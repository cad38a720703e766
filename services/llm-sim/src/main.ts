import { createLogger, onShutdown } from '@hyperdesk/shared';
import { loadSimEnv } from './env';
import { buildSim } from './server';

async function main(): Promise<void> {
  const env = loadSimEnv();
  const logger = createLogger('llm-sim', env.LOG_LEVEL);
  const app = await buildSim({
    ttftMs: env.LLM_SIM_TTFT_MS,
    tokensPerS: env.LLM_SIM_TOKENS_PER_S,
    ...(env.LLM_SIM_SCENARIOS ? { scenariosDir: env.LLM_SIM_SCENARIOS } : {}),
    ...(env.LLM_SIM_REPLAY ? { replayDir: env.LLM_SIM_REPLAY } : {}),
    ...(env.LLM_SIM_CONTEXT_TOKENS ? { contextTokens: env.LLM_SIM_CONTEXT_TOKENS } : {}),
    ...(env.LLM_SIM_API_KEY ? { apiKey: env.LLM_SIM_API_KEY } : {}),
    logger,
  });
  await app.listen({ port: env.LLM_SIM_PORT, host: env.LLM_SIM_HOST });
  logger.info(
    {
      url: `http://${env.LLM_SIM_HOST}:${env.LLM_SIM_PORT}/v1`,
      ttftMs: env.LLM_SIM_TTFT_MS,
      tokensPerS: env.LLM_SIM_TOKENS_PER_S,
      extraScenarios: env.LLM_SIM_SCENARIOS ?? null,
      contextTokens: env.LLM_SIM_CONTEXT_TOKENS ?? null,
      replaying: env.LLM_SIM_REPLAY ?? null,
    },
    'model simulator listening',
  );
  onShutdown(logger, [() => app.close()]);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
