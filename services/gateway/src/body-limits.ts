import type { FastifyInstance } from 'fastify';
import { BadRequestError, MAX_JSON_DEPTH, jsonTextDepth } from '@hyperdesk/shared';

/** Largest request body the gateway reads (JSON or not). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * JSON bodies are measured before they are parsed: one nested deeper than MAX_JSON_DEPTH
 * is refused with a 400 (`TOO_DEEP`), so nothing after the parser (validators, the
 * runner's Python, JSON.stringify) ever walks a value built to exhaust its stack. Parsing
 * itself is Fastify's own (it refuses `__proto__` and `constructor.prototype` keys).
 */
export function registerJsonLimits(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonTextDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(
        new BadRequestError(
          `The request body nests more than ${MAX_JSON_DEPTH} levels of objects or arrays; flatten it.`,
          'TOO_DEEP',
        ),
        undefined,
      );
      return;
    }
    void parse(request, text, done);
  });
}
