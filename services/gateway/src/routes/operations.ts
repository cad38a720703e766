import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QueueName, metricsRegistry } from '@hyperdesk/shared';
import { LOG_IN_FIRST, bearerToken, findCaller } from '../auth';
import type { GatewayDeps } from '../deps';

export const BOARD_PATH = '/admin/queues';

/**
 * The board shows job data, which holds people's prompts: its page may load only its own
 * scripts and styles. That also keeps it from fetching the web fonts its page links from
 * Google, so an admin's browser tells nobody outside when the board is open.
 */
const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Operations: `GET /metrics` (Prometheus text) for admins or the bearer METRICS_TOKEN, and
 * the Bull Board at /admin/queues for admins (read-only: runs move on through their state
 * machine, not by hand). Both sit outside /api, so they check the caller themselves.
 */
export async function operationsRoutes(
  app: FastifyInstance,
  deps: GatewayDeps,
  mode: 'local' | 'accounts',
): Promise<void> {
  app.get('/metrics', async (request, reply) => {
    if (!metricsTokenMatches(request, deps.env.METRICS_TOKEN)) {
      const refused = await refuseUnlessAdmin(request, reply, deps, mode);
      if (refused) return refused;
    }
    return reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });

  const board = new FastifyAdapter();
  board.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: QueueName.options.map(
      (name) => new BullMQAdapter(deps.queues.queue(name), { readOnlyMode: true }),
    ),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Hyperdesk queues' } },
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const refused = await refuseUnlessAdmin(request, reply, deps, mode);
      if (refused) return refused;
      reply.header('content-security-policy', BOARD_CSP);
    });
    await scope.register(board.registerPlugin(), { prefix: BOARD_PATH });
  });
}

/** Replies 401/403 (and returns the reply) unless the caller is an admin; null when allowed. */
async function refuseUnlessAdmin(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: GatewayDeps,
  mode: 'local' | 'accounts',
): Promise<FastifyReply | null> {
  const user = (await findCaller(request, deps, mode))?.user;
  if (!user) return reply.status(401).send({ error: LOG_IN_FIRST, code: 'UNAUTHORIZED' });
  if (user.role !== 'admin') {
    return reply.status(403).send({ error: 'Only an admin can do this.', code: 'FORBIDDEN' });
  }
  return null;
}

function metricsTokenMatches(request: FastifyRequest, token: string | undefined): boolean {
  const bearer = bearerToken(request);
  if (!token || !bearer) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(bearer), digest(token));
}
