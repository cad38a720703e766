import type { FastifyError, FastifyInstance } from 'fastify';
import { HyperdeskError, BadRequestError } from '@hyperdesk/shared';
import type { z } from 'zod';
import { TooManyRequestsError } from './auth';

/** Parses input with a zod schema; a mismatch is a 400 that names each bad field. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  throw new BadRequestError(`Invalid ${what}: ${details}`);
}

/** One error handler: known errors keep their status and message; 5xx internals are hidden. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HyperdeskError, request, reply) => {
    if (err instanceof HyperdeskError) {
      if (err.status >= 500) request.log.error({ err }, err.message);
      if (err instanceof TooManyRequestsError) {
        if (err.resetsAt)
          reply.header('retry-after', Math.max(1, Math.ceil((err.resetsAt - Date.now()) / 1000)));
        return reply.status(429).send({
          error: err.message,
          code: err.code,
          limit: err.limit,
          resetsAt: err.resetsAt ? new Date(err.resetsAt).toISOString() : null,
        });
      }
      return reply.status(err.status).send({ error: err.message, code: err.code });
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      return reply
        .status(status)
        .send({ error: clientMessage(err), code: err.code ?? 'BAD_REQUEST' });
    }
    request.log.error({ err }, 'unexpected error');
    return reply
      .status(500)
      .send({ error: 'Internal error; see the gateway log.', code: 'INTERNAL' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: `No route for ${request.method} ${request.url}`, code: 'NOT_FOUND' }),
  );
}

function clientMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // The parser also refuses valid JSON that sets a prototype, without saying which it was.
      return 'The request body is not valid JSON, or it has a "__proto__" or "constructor.prototype" key, which is refused.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is not valid JSON.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Send the body as application/json.';
    default:
      return err.message;
  }
}
