import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ToolName } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';
import { callMono, coerceQuery, toolForCall } from '../mono';

const Params = z.object({ tool: ToolName });
/** The desktop names the app a call comes from, so it runs the versions the app was checked with. */
const AppHeader = z
  .string()
  .regex(/^app_[A-Za-z0-9_-]{1,64}$/, 'an app id')
  .optional();
export const APP_HEADER = 'x-hyperdesk-app';
const Query = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
const Body = z.record(z.string(), z.unknown()).nullish();

export function monoRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  // Args come from the query string and the JSON body (the body wins on a clash).
  app.route({
    method: ['GET', 'POST'],
    url: '/api/mono/:tool',
    handler: async (request, reply) => {
      const { tool: name } = parseInput(Params, request.params, 'tool name');
      const appId = parseInput(AppHeader, request.headers[APP_HEADER], `${APP_HEADER} header`);
      const tool = await toolForCall(deps, request.user.name, name, appId);
      const query = coerceQuery(parseInput(Query, request.query ?? {}, 'query'), tool?.args ?? {});
      const body =
        request.method === 'POST' ? parseInput(Body, request.body, 'args (a JSON object)') : null;
      // The tool is read once: its schema coerces the query, and the call runs that version.
      const args = { ...query, ...(body ?? {}) };
      const result = await callMono(deps, request.user.name, name, tool, args, appId);
      if (result.type) reply.header('content-type', result.type);
      return reply.status(result.status).send(result.body ?? null);
    },
  });
}
