import type { FastifyInstance } from 'fastify';
import { ContextKeyParams, ContextStore, NotFoundError, SetContextBody } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

/** The shared desktop context: named values the person's apps publish and read. */
export function contextRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const context = new ContextStore(deps.redis, deps.keys);

  app.get('/api/context', async (request) => context.all(request.user.name));

  app.get('/api/context/:key', async (request) => {
    const { key } = parseInput(ContextKeyParams, request.params, 'context key');
    const entry = await context.get(request.user.name, key);
    if (!entry) throw new NotFoundError(`Context key ${key}`);
    return entry;
  });

  app.put('/api/context/:key', async (request) => {
    const { key } = parseInput(ContextKeyParams, request.params, 'context key');
    const body = parseInput(SetContextBody, request.body, 'context value');
    if (body.appId) {
      const meta = await deps.apps.meta(body.appId);
      if (!meta || meta.owner !== request.user.name) throw new NotFoundError(`App ${body.appId}`);
    }
    return context.set(request.user.name, key, body.value, body.appId);
  });

  app.delete('/api/context/:key', async (request) => {
    const { key } = parseInput(ContextKeyParams, request.params, 'context key');
    if (!(await context.remove(request.user.name, key)))
      throw new NotFoundError(`Context key ${key}`);
    return { key, removed: true };
  });
}
