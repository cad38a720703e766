import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  AcceptToolBody,
  CreateToolBody,
  HyperdeskError,
  NotFoundError,
  RevertBody,
  ToolName,
  compileSchema,
  newId,
} from '@hyperdesk/shared';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';
import { waitForOutcome } from '../waits';

const NameParams = z.object({ name: ToolName });

export function toolRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/tools', async (request) => ({
    tools: await deps.tools.list(request.user.name),
  }));

  // The newest version, and which one the asking person runs (`using`, null before first use).
  app.get('/api/tools/:name', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'tool name');
    const tool = await deps.tools.get(name);
    if (!tool) throw new NotFoundError(`Tool ${name}`);
    return {
      ...tool,
      using: await deps.tools.pinOf(name, request.user.name),
      activity: await deps.tools.activity(name),
    };
  });

  // The person runs this version (the newest by default) from now on: how a newer version
  // written by someone else reaches their calls and their apps' calls.
  app.post('/api/tools/:name/accept', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'tool name');
    const { version } = parseInput(AcceptToolBody, request.body ?? {}, 'accept request');
    const accepted = await deps.tools.accept(name, request.user.name, version);
    if (!accepted) {
      throw new NotFoundError(version ? `Version ${version} of tool ${name}` : `Tool ${name}`);
    }
    await deps.users.audit(
      request.user.name,
      'tool.accept',
      name,
      `version ${accepted.version} by ${accepted.author}`,
    );
    return { name, using: accepted.version };
  });

  app.get('/api/tools/:name/versions', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'tool name');
    const versions = await deps.tools.versions(name);
    if (versions.length === 0) throw new NotFoundError(`Tool ${name}`);
    return { versions };
  });

  app.post('/api/tools/:name/revert', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'tool name');
    const { version } = parseInput(RevertBody, request.body, 'revert request');
    const restored = await deps.tools.revert(name, version, request.user.name);
    if (restored === null) throw new NotFoundError(`Version ${version} of tool ${name}`);
    await deps.users.audit(
      request.user.name,
      'tool.revert',
      name,
      `to version ${version} (now ${restored})`,
    );
    return { name, version: restored, restoredFrom: version };
  });

  // A hand-written or imported tool: tested in the sandbox like a generated one, and
  // registered only when it passes (it is rewritten from the real error if it does not).
  app.post('/api/tools', async (request, reply) => {
    const body = parseInput(CreateToolBody, request.body, 'tool');
    compileSchema(body.args, 'args');
    compileSchema(body.returns, 'returns');
    const { code, ...iface } = body;
    const buildId = newId('build');
    await deps.queues.enqueue(
      'tool.build',
      { buildId, author: request.user.name, interface: iface, code },
      { jobId: buildId },
    );
    const outcome = await waitForOutcome(deps, buildId);
    if (!outcome.ok) throw new HyperdeskError('TOOL_REJECTED', outcome.reason, 422);
    await deps.users.audit(
      request.user.name,
      'tool.create',
      iface.name,
      `version ${outcome.version}`,
    );
    return reply.status(201).send(outcome);
  });
}
