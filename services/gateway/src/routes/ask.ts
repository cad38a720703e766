import type { FastifyInstance } from 'fastify';
import { AskBody, IdParams, NotFoundError, compileSchema, type AskLine } from '@hyperdesk/shared';
import { answerAsk, checkAskRate } from '../ask';
import { checkTokenBudget } from '../auth';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

export function askRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  /**
   * An app asks the model (`hyperdesk.ask`, sent by the desktop with its session). Limits
   * are checked first and refused with a plain 429; the answer then streams as NDJSON
   * lines (AskLine). Closing the request aborts the model call.
   */
  app.post('/api/apps/:id/ask', async (request, reply) => {
    const { id } = parseInput(IdParams, request.params, 'app id');
    const body = parseInput(AskBody, request.body, 'ask');
    const meta = await deps.apps.meta(id);
    if (!meta || meta.owner !== request.user.name) throw new NotFoundError(`App ${id}`);
    if (body.schema) compileSchema(body.schema, 'The answer schema');
    await checkTokenBudget(deps, request.user.name);
    await checkAskRate(deps, id);

    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('The app stopped asking.'));
    });
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-cache',
    });
    const send = (line: AskLine) => {
      if (!reply.raw.destroyed) reply.raw.write(`${JSON.stringify(line)}\n`);
    };
    await answerAsk(deps, { user: request.user.name, app: meta, body, signal: abort.signal, send });
    reply.raw.end();
  });
}
