import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  AppRevertBody,
  AppStore,
  EditAppBody,
  IdParams,
  ImportAppBody,
  NotFoundError,
  QuotaExceededError,
  advance,
} from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';
import { appDataStore, dataBodyLimit } from './app-data';

const VersionParams = IdParams.extend({ version: z.coerce.number().int().positive() });

export function appRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const data = appDataStore(deps);
  // Another person's app is answered exactly like a missing one.
  const owned = async (id: string, user: string) => {
    const meta = await deps.apps.meta(id);
    if (!meta || meta.owner !== user) throw new NotFoundError(`App ${id}`);
    return meta;
  };

  app.get('/api/apps', async (request) => {
    const ids = await deps.redis.zrevrange(deps.keys.userApps(request.user.name), 0, 199);
    const metas = await Promise.all(ids.map((id) => deps.apps.meta(id)));
    return { apps: metas.filter((m) => m !== null) };
  });

  app.get('/api/apps/:id', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'app id');
    await owned(id, request.user.name);
    const found = await deps.apps.get(id);
    if (!found) throw new NotFoundError(`App ${id}`);
    return found;
  });

  app.delete('/api/apps/:id', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'app id');
    await owned(id, request.user.name);
    await deps.apps.remove(id, request.user.name);
    return { id, deleted: true };
  });

  app.get('/api/apps/:id/versions', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'app id');
    await owned(id, request.user.name);
    return { versions: await deps.apps.versions(id) };
  });

  app.get('/api/apps/:id/versions/:version', async (request) => {
    const { id, version } = parseInput(VersionParams, request.params, 'app version');
    await owned(id, request.user.name);
    const found = await deps.apps.get(id, version);
    if (!found) throw new NotFoundError(`Version ${version} of app ${id}`);
    return { ...found, version };
  });

  app.get('/api/apps/:id/versions/:version/thumbnail', async (request, reply) => {
    const { id, version } = parseInput(VersionParams, request.params, 'app version');
    await owned(id, request.user.name);
    const jpeg = await deps.apps.thumbnail(id, version);
    if (!jpeg) throw new NotFoundError(`A screenshot of version ${version} of app ${id}`);
    return reply
      .header('content-type', 'image/jpeg')
      .header('cache-control', 'private, max-age=3600')
      .send(jpeg);
  });

  app.post('/api/apps/:id/revert', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'app id');
    const { version } = parseInput(AppRevertBody, request.body, 'revert request');
    await owned(id, request.user.name);
    const restored = await deps.apps.revert(id, version);
    if (restored === null) throw new NotFoundError(`Version ${version} of app ${id}`);
    return { id, version: restored, restoredFrom: version };
  });

  // A hand edit (the code drawer): a new version, checked (and repaired) like a generated one.
  app.post('/api/apps/:id/versions', async (request, reply) => {
    const { id } = parseInput(IdParams, request.params, 'app id');
    const { html } = parseInput(EditAppBody, request.body, 'edited app');
    const meta = await owned(id, request.user.name);
    const run = await deps.runs.create({
      owner: request.user.name,
      prompt: `Edited by hand: ${meta.title}`,
      appId: id,
    });
    const version = await checkGivenVersion(deps, run, {
      appId: id,
      title: meta.title,
      prompt: meta.prompt,
      tools: meta.tools,
      html,
    });
    return reply.status(202).send({ runId: run.id, appId: id, version });
  });

  // Import: the app becomes version 1 of a new app and goes through the same checks (and
  // repairs) as a generated one, as a run the person can follow.
  app.post('/api/apps', { bodyLimit: dataBodyLimit(deps) }, async (request, reply) => {
    const body = parseInput(ImportAppBody, request.body, 'app');
    if (body.data && !data.fits(body.data)) {
      throw new QuotaExceededError(
        `The app's data is larger than an app may keep (${deps.env.APP_DATA_BYTES} bytes).`,
      );
    }
    const run = await deps.runs.create({
      owner: request.user.name,
      prompt: `Imported app: ${body.title}`,
    });
    const appId = AppStore.appIdForRun(run.id);
    if (body.data?.length) {
      await data.write(request.user.name, appId, { clear: true, changes: body.data });
    }
    await checkGivenVersion(deps, run, {
      appId,
      title: body.title,
      prompt: run.prompt,
      tools: body.tools,
      html: body.html,
    });
    return reply.status(202).send({ runId: run.id, appId });
  });
}

/**
 * A version the person wrote or brought (a hand edit, an import) is saved as the run's app
 * and checked (and repaired) like a generated one: the run goes straight to CHECKING_APP.
 */
async function checkGivenVersion(
  deps: GatewayDeps,
  run: { id: string; owner: string },
  given: { appId: string; title: string; prompt: string; tools: string[]; html: string },
): Promise<number> {
  const version = await deps.apps.saveVersion({ ...given, runId: run.id, owner: run.owner });
  await deps.runs.appendEvent({
    type: 'run.app',
    runId: run.id,
    at: Date.now(),
    appId: given.appId,
    version,
    title: given.title,
  });
  await advance(deps, run.id, 'CHECKING_APP', {
    appId: given.appId,
    title: given.title,
    intent: 'update_app',
    tools: JSON.stringify(given.tools),
  });
  return version;
}
