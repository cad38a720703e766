import type { FastifyInstance } from 'fastify';
import {
  AskAllowanceBody,
  AskBody,
  IdParams,
  NotFoundError,
  compileSchema,
  type AskLine,
} from '@hyperdesk/shared';
import { answerAsk, askUsage, checkAskAllowance, checkAskRate, grantAskTokens } from '../ask';
import { checkTokenBudget } from '../auth';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

export function askRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const ownApp = async (params: unknown, user: string) => {
    const { id } = parseInput(IdParams, params, 'app id');
    const meta = await deps.apps.meta(id);
    if (!meta || meta.owner !== user) throw new NotFoundError(`App ${id}`);
    return id;
  };

  /** What the app's asks spent today; the window shows it. */
  app.get('/api/apps/:id/ask-usage', async (request) =>
    askUsage(deps, await ownApp(request.params, request.user.name)),
  );

  /**
   * The person lets the app spend more on asks today. Only the desktop's own controls call
   * this (a POST from its origin, which app frames are not); the bridge never does.
   */
  app.post('/api/apps/:id/ask-allowance', async (request) => {
    const id = await ownApp(request.params, request.user.name);
    const { tokens } = parseInput(AskAllowanceBody, request.body, 'allowance');
    const usage = await grantAskTokens(deps, id, tokens);
    await deps.users.audit(request.user.name, 'app.ask_allowance', id, `+${tokens} tokens`);
    return usage;
  });

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
    await checkAskAllowance(deps, id);
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
