import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ToolName } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';
import { callMono, coerceQuery } from '../mono';

const Params = z.object({ tool: ToolName });
const Query = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
const Body = z.record(z.string(), z.unknown()).nullish();

export function monoRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  // Args come from the query string and the JSON body (the body wins on a clash).
  app.route({
    method: ['GET', 'POST'],
    url: '/api/mono/:tool',
    handler: async (request, reply) => {
      const { tool: name } = parseInput(Params, request.params, 'tool name');
      const tool = await deps.tools.get(name);
      const query = coerceQuery(parseInput(Query, request.query ?? {}, 'query'), tool?.args ?? {});
      const body =
        request.method === 'POST' ? parseInput(Body, request.body, 'args (a JSON object)') : null;
      // The tool is read once: its schema coerces the query, and the call runs that version.
      const result = await callMono(deps, request.user.name, name, tool, {
        ...query,
        ...(body ?? {}),
      });
      if (result.type) reply.header('content-type', result.type);
      return reply.status(result.status).send(result.body ?? null);
    },
  });
}
