import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  CreateUserBody,
  ResetPasswordBody,
  ToolName,
  NotFoundError,
  Username,
} from '@hyperdesk/shared';
import { requireAdmin } from '../auth';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

const NameParams = z.object({ name: Username });
const GrantBody = z.object({ network: z.boolean() });

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

  // Network access for a tool is granted by an admin, never by the model or a member.
  app.post('/api/tools/:name/grant', async (request) => {
    requireAdmin(request);
    const { name } = parseInput(z.object({ name: ToolName }), request.params, 'tool name');
    const { network } = parseInput(GrantBody, request.body, 'grant');
    if (!(await deps.tools.get(name))) throw new NotFoundError(`Tool ${name}`);
    await deps.tools.setNetworkGrant(name, network);
    await deps.users.audit(
      request.user.name,
      network ? 'tool.grant_network' : 'tool.revoke_network',
      name,
    );
    return { name, network };
  });
}
