import type { FastifyInstance } from 'fastify';
import { DesktopLayout } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

const EMPTY: DesktopLayout = { windows: [], theme: 'dark' };

export function desktopRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/desktop', async (request) => {
    const raw = await deps.redis.get(deps.keys.desktop(request.user.name));
    const parsed = raw ? DesktopLayout.safeParse(JSON.parse(raw)) : null;
    return parsed?.success ? parsed.data : EMPTY;
  });

  app.put('/api/desktop', async (request) => {
    const layout = parseInput(DesktopLayout, request.body, 'desktop layout');
    await deps.redis.set(deps.keys.desktop(request.user.name), JSON.stringify(layout));
    return layout;
  });
}
