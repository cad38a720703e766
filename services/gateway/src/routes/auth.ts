import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CreateTokenBody, HyperdeskError, LoginBody, NotFoundError } from '@hyperdesk/shared';
import { SESSION_COOKIE, TooManyRequestsError, readCookie, setSessionCookie } from '../auth';
import type { GatewayDeps } from '../deps';
import { parseInput } from '../errors';

const SESSION_MAX_AGE_S = 30 * 24 * 3600;

export function authRoutes(
  app: FastifyInstance,
  deps: GatewayDeps,
  mode: 'local' | 'accounts',
): void {
  app.post('/api/auth/login', async (request, reply) => {
    const { username, password } = parseInput(LoginBody, request.body, 'login');
    const name = username.trim().toLowerCase();
    const failures = await deps.users.loginFailures(name);
    if (failures.count >= deps.env.LOGIN_MAX_FAILURES) {
      throw new TooManyRequestsError(
        `Too many failed logins for ${name}; try again in ${Math.ceil(failures.resetInS / 60)} minute(s).`,
        'login_failures',
        Date.now() + failures.resetInS * 1000,
      );
    }
    const user = await deps.users.authenticate(name, password);
    if (!user) {
      await deps.users.recordLoginFailure(name, deps.env.LOGIN_WINDOW_S);
      await deps.users.audit(name, 'login.failed', name, request.ip);
      throw new HyperdeskError('BAD_CREDENTIALS', 'Wrong user name or password.', 401);
    }
    await deps.users.clearLoginFailures(name);
    setSessionCookie(
      request,
      reply,
      deps,
      await deps.users.createSession(user.name),
      SESSION_MAX_AGE_S,
    );
    await deps.users.audit(user.name, 'login', user.name, request.ip);
    return { user };
  });

  // Logging out ends every session, API token and open socket of the person, at once.
  app.post('/api/auth/logout', async (request, reply) => {
    const cookie = readCookie(request, SESSION_COOKIE);
    if (cookie) await deps.users.endSession(cookie);
    if (mode === 'accounts') {
      await deps.users.endEverything(request.user.name);
      await deps.users.audit(request.user.name, 'logout', request.user.name, request.ip);
    }
    setSessionCookie(request, reply, deps, '', 0);
    return { ok: true };
  });

  app.get('/api/auth/me', async (request) => ({ user: request.user, mode }));

  app.get('/api/auth/tokens', async (request) => ({
    tokens: await deps.users.listTokens(request.user.name),
  }));

  app.post('/api/auth/tokens', async (request, reply) => {
    const { name } = parseInput(CreateTokenBody, request.body, 'token');
    return reply.status(201).send(await deps.users.createToken(request.user.name, name));
  });

  app.delete('/api/auth/tokens/:id', async (request) => {
    const { id } = parseInput(z.object({ id: z.string().max(64) }), request.params, 'token id');
    if (!(await deps.users.revokeToken(request.user.name, id)))
      throw new NotFoundError(`Token ${id}`);
    return { id, revoked: true };
  });
}
