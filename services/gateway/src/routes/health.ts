import type { FastifyInstance } from 'fastify';
import type { HealthReply } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';

export function healthRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/health', async (_request, reply) => {
    const [redis, llm, runner] = await Promise.all([
      deps.redis.ping().then(
        () => true,
        () => false,
      ),
      deps.llm.ping(),
      deps.runner.health(),
    ]);
    const body: HealthReply = {
      status: redis && llm && runner ? 'ok' : 'degraded',
      redis,
      llm,
      runner,
      llmProvider: deps.llm.provider,
      llmModel: deps.llm.model,
      simulated: deps.llm.simulated,
    };
    return reply.status(body.status === 'ok' ? 200 : 503).send(body);
  });
}
