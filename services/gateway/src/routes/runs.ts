import type { FastifyInstance } from 'fastify';
import {
  ConflictError,
  CreateRunBody,
  IdParams,
  NotFoundError,
  advance,
  isTerminal,
} from '@hyperdesk/shared';
import { checkRunLimits } from '../auth';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

export function runRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/api/runs', async (request, reply) => {
    const body = parseInput(CreateRunBody, request.body, 'run request');
    if (body.appId) {
      const target = await deps.apps.meta(body.appId);
      if (!target || target.owner !== request.user.name)
        throw new NotFoundError(`App ${body.appId}`);
    }
    await checkRunLimits(deps, request.user.name);
    const run = await deps.runs.create({ owner: request.user.name, ...body });
    await advance(deps, run.id, 'CLASSIFYING');
    request.log.info({ runId: run.id }, 'run received');
    return reply.status(202).send({ runId: run.id });
  });

  app.get('/api/runs/:id', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'run id');
    const view = await deps.runs.view(id);
    if (!view || view.owner !== request.user.name) throw new NotFoundError(`Run ${id}`);
    return view;
  });

  app.delete('/api/runs/:id', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'run id');
    const run = await deps.runs.get(id);
    if (!run || run.owner !== request.user.name) throw new NotFoundError(`Run ${id}`);
    if (isTerminal(run.state))
      throw new ConflictError(`Run ${id} has already ended (${run.state}).`);
    await advance(deps, id, 'CANCELLED', { error: 'Cancelled by the user.' });
    return { id, state: 'CANCELLED' };
  });
}
