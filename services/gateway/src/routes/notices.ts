import type { FastifyInstance } from 'fastify';
import { NotFoundError, RaiseNoticeBody } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

/** Notices: short notifications from runs and apps, kept per person and pushed live. */
export function noticeRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { notices } = deps;

  app.get('/api/notices', async (request) => notices.list(request.user.name));

  app.post('/api/notices', async (request, reply) => {
    const body = parseInput(RaiseNoticeBody, request.body, 'notice');
    let source: string | undefined;
    if (body.appId) {
      const meta = await deps.apps.meta(body.appId);
      if (!meta || meta.owner !== request.user.name) throw new NotFoundError(`App ${body.appId}`);
      source = meta.title;
    }
    const notice = await notices.raise(request.user.name, {
      ...body,
      ...(source ? { source } : {}),
    });
    return reply.status(201).send(notice);
  });

  app.delete('/api/notices', async (request) => {
    await notices.clear(request.user.name);
    return { cleared: true };
  });
}
