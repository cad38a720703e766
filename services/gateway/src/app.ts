import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAuth } from './auth';
import { BODY_LIMIT_BYTES, registerJsonLimits } from './body-limits';
import type { GatewayDeps } from './deps';
import { DESKTOP_CSP } from './desktop-csp';
import { authMode } from './env';
import { registerErrorHandler } from './errors';
import { adminRoutes } from './routes/admin';
import { appDataRoutes } from './routes/app-data';
import { appRoutes } from './routes/apps';
import { askRoutes } from './routes/ask';
import { authRoutes } from './routes/auth';
import { contentRoutes } from './routes/content';
import { contextRoutes } from './routes/context';
import { desktopRoutes } from './routes/desktop';
import { monoRoutes } from './routes/mono';
import { noticeRoutes } from './routes/notices';
import { BOARD_PATH, operationsRoutes } from './routes/operations';
import { toolRoutes } from './routes/tools';
import { vendorRoutes } from './routes/vendor';
import { healthRoutes } from './routes/health';
import { runRoutes } from './routes/runs';
import { wsRoutes } from './routes/ws';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the gateway's own code registers (plugins' and HEAD routes apart). */
    routeTable: readonly { method: string; url: string }[];
  }
}

/** Builds the gateway (plugins and routes) without listening. */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    trustProxy: deps.env.TRUST_PROXY,
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
  });
  const routeTable: { method: string; url: string }[] = [];
  app.decorate('routeTable', routeTable);
  let recording = true;
  app.addHook('onRoute', (route) => {
    if (!recording || route.url.startsWith(BOARD_PATH)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') routeTable.push({ method, url: route.url });
    }
  });
  registerErrorHandler(app);
  registerJsonLimits(app);
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  const mode = authMode(deps.env);
  registerAuth(app, deps, mode);
  healthRoutes(app, deps);
  authRoutes(app, deps, mode);
  adminRoutes(app, deps);
  runRoutes(app, deps);
  appRoutes(app, deps);
  appDataRoutes(app, deps);
  toolRoutes(app, deps);
  monoRoutes(app, deps);
  contentRoutes(app, deps);
  desktopRoutes(app, deps);
  askRoutes(app, deps);
  contextRoutes(app, deps);
  noticeRoutes(app, deps);
  vendorRoutes(app);
  wsRoutes(app, deps);
  await operationsRoutes(app, deps, mode);
  recording = false;
  if (existsSync(deps.env.WEB_DIST)) {
    await app.register(fastifyStatic, {
      root: deps.env.WEB_DIST,
      wildcard: false,
      setHeaders: (reply) => reply.header('content-security-policy', DESKTOP_CSP),
    });
  } else {
    deps.logger.warn({ dir: deps.env.WEB_DIST }, 'web/dist not found; run `npm run build`');
  }
  return app;
}
