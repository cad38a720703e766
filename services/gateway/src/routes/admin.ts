import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  CreateUserBody,
  GrantToolBody,
  ResetPasswordBody,
  ToolName,
  NotFoundError,
  Username,
} from '@hyperdesk/shared';
import { requireAdmin } from '../auth';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

const NameParams = z.object({ name: Username });

/** Admin-only: users, tool grants and the audit log. */
export function adminRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/admin/users', async (request) => {
    requireAdmin(request);
    return { users: await deps.users.list() };
  });

  app.post('/api/admin/users', async (request, reply) => {
    requireAdmin(request);
    const body = parseInput(CreateUserBody, request.body, 'user');
    return reply
      .status(201)
      .send(await deps.users.create(body.name, body.password, body.role, request.user.name));
  });

  app.post('/api/admin/users/:name/password', async (request) => {
    requireAdmin(request);
    const { name } = parseInput(NameParams, request.params, 'user name');
    const { password } = parseInput(ResetPasswordBody, request.body, 'password');
    await deps.users.resetPassword(name, password, request.user.name);
    return { name, reset: true };
  });

  app.delete('/api/admin/users/:name', async (request) => {
    requireAdmin(request);
    const { name } = parseInput(NameParams, request.params, 'user name');
    await deps.users.remove(name, request.user.name);
    return { name, removed: true };
  });

  app.get('/api/admin/audit', async (request) => {
    requireAdmin(request);
    return { entries: await deps.users.auditLog() };
  });

  // Who ran which tool version, with or without a network grant (newest first).
  app.get('/api/admin/tool-calls', async (request) => {
    requireAdmin(request);
    return { calls: await deps.tools.calls() };
  });

  // Network access is granted by an admin, never by the model or a member, and to one
  // version (the newest by default): a new version runs without network until granted again.
  app.post('/api/tools/:name/grant', async (request) => {
    requireAdmin(request);
    const { name } = parseInput(z.object({ name: ToolName }), request.params, 'tool name');
    const body = parseInput(GrantToolBody, request.body, 'grant');
    const tool = await deps.tools.get(name, body.version);
    if (!tool) {
      throw new NotFoundError(
        body.version ? `Version ${body.version} of tool ${name}` : `Tool ${name}`,
      );
    }
    await deps.tools.setNetworkGrant(name, tool.version, body.network);
    await deps.users.audit(
      request.user.name,
      body.network ? 'tool.grant_network' : 'tool.revoke_network',
      name,
      `version ${tool.version} by ${tool.author}`,
    );
    return { name, version: tool.version, network: body.network };
  });
}
