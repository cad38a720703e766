import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HyperdeskError, utcDay, type UserView } from '@hyperdesk/shared';
import type { GatewayDeps } from './deps';

declare module 'fastify' {
  interface FastifyRequest {
    user: UserView;
  }
}

export const SESSION_COOKIE = 'hd_session';
/** In local mode every request acts as this admin. */
export const LOCAL_USER: UserView = { name: 'local', role: 'admin', createdAt: 0 };

export class TooManyRequestsError extends HyperdeskError {
  constructor(
    message: string,
    readonly limit: string,
    readonly resetsAt: number | null,
  ) {
    super('LIMIT_REACHED', message, 429, true);
  }
}

export function readCookie(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: GatewayDeps,
  value: string,
  maxAgeS: number,
): void {
  const secure =
    deps.env.COOKIE_SECURE === 'always' ||
    (deps.env.COOKIE_SECURE === 'auto' && request.protocol === 'https');
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`,
  );
}

function needsAuth(path: string): boolean {
  return (path.startsWith('/api/') && path !== '/api/auth/login') || path === '/ws';
}

/**
 * Who is asking: a session cookie or `Authorization: Bearer <token>`, checked on every API
 * route and on the WebSocket upgrade. Cookie-authenticated writes must come from this
 * origin (SameSite=Strict already keeps the cookie off cross-site requests; this is the
 * second lock). Every authenticated request counts towards the person's rate limit.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: GatewayDeps,
  mode: 'local' | 'accounts',
): void {
  app.decorateRequest('user', null as unknown as UserView);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (!needsAuth(path)) return;
    if (mode === 'local') {
      request.user = LOCAL_USER;
    } else {
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      const cookie = bearer ? null : readCookie(request, SESSION_COOKIE);
      const user = bearer
        ? await deps.users.userForToken(bearer)
        : cookie
          ? await deps.users.userForSession(cookie)
          : null;
      if (!user) {
        throw new HyperdeskError(
          'UNAUTHORIZED',
          'Log in first (POST /api/auth/login) or send Authorization: Bearer <token>.',
          401,
        );
      }
      if (cookie && !['GET', 'HEAD'].includes(request.method) && !sameOrigin(request)) {
        throw new HyperdeskError('CROSS_SITE', 'Requests from other sites are refused.', 403);
      }
      request.user = user;
    }
    await countRequest(deps, request.user.name);
  });
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin)
    return (
      !request.headers['sec-fetch-site'] || request.headers['sec-fetch-site'] === 'same-origin'
    );
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

async function countRequest(deps: GatewayDeps, user: string): Promise<void> {
  const limit = deps.env.REQUESTS_PER_MINUTE;
  await countInMinute(deps, (minute) => deps.keys.userRate(user, minute), limit, {
    limit: 'requests_per_minute',
    message: (resetsAt) =>
      `Request rate limit reached (${limit} requests per minute); it resets at ${resetsAt}.`,
  });
}

/**
 * Counts one event in the current minute (a Redis counter, so the limit holds across
 * gateway replicas) and refuses it with a 429 past `limit`.
 */
export async function countInMinute(
  deps: GatewayDeps,
  keyOf: (minute: number) => string,
  limit: number,
  refusal: { limit: string; message: (resetsAt: string) => string },
): Promise<void> {
  const minute = Math.floor(Date.now() / 60_000);
  const key = keyOf(minute);
  const [[, count]] = (await deps.redis.multi().incr(key).expire(key, 120).exec()) as [
    [unknown, number],
  ];
  if (count > limit) {
    const resetsAt = (minute + 1) * 60_000;
    throw new TooManyRequestsError(
      refusal.message(new Date(resetsAt).toISOString()),
      refusal.limit,
      resetsAt,
    );
  }
}

/** The limits checked before a new run starts: runs in progress and the daily token budget. */
export async function checkRunLimits(deps: GatewayDeps, user: string): Promise<void> {
  const active = await deps.redis.scard(deps.keys.userActiveRuns(user));
  if (active >= deps.env.MAX_ACTIVE_RUNS) {
    throw new TooManyRequestsError(
      `You have ${active} runs in progress, the limit is ${deps.env.MAX_ACTIVE_RUNS}; start this one when one finishes.`,
      'active_runs',
      null,
    );
  }
  await checkTokenBudget(deps, user);
}

/** The daily model-token budget: refused (429, limit `daily_tokens`) once it is used up. */
export async function checkTokenBudget(deps: GatewayDeps, user: string): Promise<void> {
  const used = Number((await deps.redis.get(deps.keys.userTokenUsage(user, utcDay()))) ?? 0);
  if (used >= deps.env.DAILY_TOKEN_BUDGET) {
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    throw new TooManyRequestsError(
      `Daily model-token budget used up (${used} of ${deps.env.DAILY_TOKEN_BUDGET}); it resets at ${midnight.toISOString()}.`,
      'daily_tokens',
      midnight.getTime(),
    );
  }
}

export function requireAdmin(request: FastifyRequest): void {
  if (request.user.role !== 'admin') {
    throw new HyperdeskError('FORBIDDEN', 'Only an admin can do this.', 403);
  }
}
