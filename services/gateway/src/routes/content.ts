import type { FastifyInstance } from 'fastify';
import { IdParams, NotFoundError } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

const EXTENSIONS: Record<string, string> = {
  'text/csv': 'csv',
  'application/json': 'json',
  'text/markdown': 'md',
  'text/html': 'html',
};

export function contentRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/content/:id', async (request, reply) => {
    const { id } = parseInput(IdParams, request.params, 'content id');
    const content = await deps.contents.get(id);
    if (!content || content.owner !== request.user.name) throw new NotFoundError(`Content ${id}`);
    const download = (request.query as Record<string, unknown> | undefined)?.download !== undefined;
    const ext = EXTENSIONS[content.type] ?? 'txt';
    const filename = `${content.title.replace(/[^\w.-]+/g, '-').slice(0, 60) || 'content'}.${ext}`;
    return (
      reply
        .header('content-type', `${content.type}; charset=utf-8`)
        .header(
          'content-disposition',
          `${download ? 'attachment' : 'inline'}; filename="${filename}"`,
        )
        // Generated HTML is shown without the desktop's origin privileges.
        .header(
          'content-security-policy',
          "sandbox allow-scripts; default-src 'self' 'unsafe-inline' data:",
        )
        .header('x-content-type-options', 'nosniff')
        .send(content.body)
    );
  });
}
