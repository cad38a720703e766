import type { FastifyInstance } from 'fastify';
import { AppDataStore, AppDataWrite, IdParams, NotFoundError } from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

/** The largest body a data write or an import with data may send: the app's limit, escaped. */
export function dataBodyLimit(deps: GatewayDeps): number {
  return deps.env.APP_DATA_BYTES * 2 + 4 * 1024 * 1024;
}

export function appDataStore(deps: GatewayDeps): AppDataStore {
  return new AppDataStore(deps.redis, deps.keys, {
    perApp: deps.env.APP_DATA_BYTES,
    perPerson: deps.env.APP_DATA_BYTES_PER_PERSON,
  });
}

/**
 * The data an app keeps for the person using it (its `localStorage`): the desktop reads it
 * into a window's frame and writes the app's changes back. Only the app's owner reaches it;
 * for anyone else the app, and so its data, does not exist.
 */
export function appDataRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const store = appDataStore(deps);
  const owned = async (params: unknown, user: string): Promise<string> => {
    const { id } = parseInput(IdParams, params, 'app id');
    const meta = await deps.apps.meta(id);
    if (!meta || meta.owner !== user) throw new NotFoundError(`App ${id}`);
    return id;
  };

  app.get('/api/apps/:id/data', async (request) => {
    const id = await owned(request.params, request.user.name);
    return store.read(request.user.name, id);
  });

  // Every connection of the person hears of a change, so the app's windows in other tabs
  // see it too (as another browser tab's `localStorage` change is seen).
  const changed = (user: string, appId: string) =>
    deps.redis.publish(deps.keys.userChannel(user), JSON.stringify({ type: 'app-data', appId }));

  app.put('/api/apps/:id/data', { bodyLimit: dataBodyLimit(deps) }, async (request) => {
    const id = await owned(request.params, request.user.name);
    const write = parseInput(AppDataWrite, request.body, 'data write');
    const size = await store.write(request.user.name, id, write);
    await changed(request.user.name, id);
    return size;
  });

  app.delete('/api/apps/:id/data', async (request) => {
    const id = await owned(request.params, request.user.name);
    await store.clear(request.user.name, id);
    await changed(request.user.name, id);
    return { id, cleared: true };
  });

  // An app as a file: its document, tools and data, for POST /api/apps to restore.
  app.get('/api/apps/:id/export', async (request) => {
    const id = await owned(request.params, request.user.name);
    const found = await deps.apps.get(id);
    if (!found) throw new NotFoundError(`App ${id}`);
    const data = await store.read(request.user.name, id);
    return { title: found.title, html: found.html, tools: found.tools, data: data.entries };
  });
}
