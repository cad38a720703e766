import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HyperdeskError, utcDay, type UserView } from '@hyperdesk/shared';
import type { GatewayDeps } from './deps';

/** The credential a request came with, so a long-lived connection can check it again. */
export type Credential =
  { kind: 'session'; value: string } | { kind: 'token'; value: string } | { kind: 'local' };

declare module 'fastify' {
  interface FastifyRequest {
    user: UserView;
    credential: Credential;
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
    code = 'LIMIT_REACHED',
  ) {
    super(code, message, 429, true);
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

export const LOG_IN_FIRST =
  'Log in first (POST /api/auth/login) or send Authorization: Bearer <token>.';

/** The token of `Authorization: Bearer <token>`, if the request carries one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

/**
 * Who a request's credential names (a bearer token first, else the session cookie) and that
 * credential; in local mode everyone is the local admin. Null when neither names anyone.
 */
export async function findCaller(
  request: FastifyRequest,
  deps: GatewayDeps,
  mode: 'local' | 'accounts',
): Promise<{ user: UserView; credential: Credential } | null> {
  if (mode === 'local') return { user: LOCAL_USER, credential: { kind: 'local' } };
  const bearer = bearerToken(request);
  if (bearer) {
    const user = await deps.users.userForToken(bearer);
    return user ? { user, credential: { kind: 'token', value: bearer } } : null;
  }
  const cookie = readCookie(request, SESSION_COOKIE);
  const user = cookie ? await deps.users.userForSession(cookie) : null;
  return user && cookie ? { user, credential: { kind: 'session', value: cookie } } : null;
}

/**
 * Who is asking: a session cookie or `Authorization: Bearer <token>`, checked on every API
 * route and on the WebSocket upgrade; then where the request comes from (`checkOrigin`).
 * Every authenticated request counts towards the person's rate limit.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: GatewayDeps,
  mode: 'local' | 'accounts',
): void {
  app.decorateRequest('user', null as unknown as UserView);
  app.decorateRequest('credential', null as unknown as { kind: 'local' });
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    // Logging in from another page (into the attacker's account, say) is refused too.
    if (path === '/api/auth/login' && !sameOrigin(request, deps.env.ALLOWED_ORIGINS)) {
      throw new HyperdeskError('CROSS_SITE', 'Requests from other sites are refused.', 403);
    }
    if (!needsAuth(path)) return;
    const found = await findCaller(request, deps, mode);
    if (!found) throw new HyperdeskError('UNAUTHORIZED', LOG_IN_FIRST, 401);
    request.user = found.user;
    request.credential = found.credential;
    checkOrigin(request, path, deps.env.ALLOWED_ORIGINS);
    await countRequest(deps, request.user.name);
  });
}

/**
 * Ambient credentials (a session cookie, or no credential at all in local mode) are sent by
 * the browser from any page, a sibling port or subdomain included (SameSite=Strict only
 * stops other sites), so what such a request may do depends on where it comes from:
 * - anything but GET/HEAD must come from this origin (or ALLOWED_ORIGINS);
 * - the WebSocket upgrade must too: a browser always sends Origin with it;
 * - GET /api/mono (running a tool has effects) is refused: the desktop sends POST.
 * A Bearer token is never sent by a browser on its own, so those callers are not exposed
 * and may use GET /api/mono from scripts; so may local-mode callers that are not browsers
 * (no Origin, no Sec-Fetch-Site: curl, scripts).
 */
function checkOrigin(request: FastifyRequest, path: string, allowed: string[]): void {
  const method = request.method;
  const ambient = request.credential.kind !== 'token';
  // Without a login, a page whose name was re-pointed at this machine (DNS rebinding) would
  // be "same origin": local mode answers only requests addressed to a loopback name.
  if (request.credential.kind === 'local' && !addressedLocally(request, allowed)) {
    throw new HyperdeskError(
      'LOCAL_ONLY',
      'Local mode answers only requests addressed to localhost or 127.0.0.1; list other origins in ALLOWED_ORIGINS.',
      403,
    );
  }
  if (path === '/ws') {
    if (request.headers.origin !== undefined && !sameOrigin(request, allowed)) {
      throw new HyperdeskError(
        'CROSS_SITE',
        'WebSocket connections from other origins are refused.',
        403,
      );
    }
    return;
  }
  if (!ambient) return;
  if (!['GET', 'HEAD'].includes(method)) {
    if (!sameOrigin(request, allowed)) {
      throw new HyperdeskError('CROSS_SITE', 'Requests from other sites are refused.', 403);
    }
    return;
  }
  const fromBrowser =
    request.credential.kind === 'session' ||
    request.headers.origin !== undefined ||
    request.headers['sec-fetch-site'] !== undefined;
  if (path.startsWith('/api/mono/') && fromBrowser) {
    throw new HyperdeskError(
      'USE_POST',
      'Running a tool has effects, so it takes POST /api/mono/<tool> from the desktop; GET is only for scripts with Authorization: Bearer <token>.',
      405,
    );
  }
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

function addressedLocally(request: FastifyRequest, allowed: string[]): boolean {
  const hostname = request.hostname.toLowerCase();
  if (LOOPBACK_NAMES.includes(hostname) || hostname.endsWith('.localhost')) return true;
  return allowed.some((origin) => {
    try {
      return new URL(origin).host === request.host;
    } catch {
      return false;
    }
  });
}

/** The request's Origin (or, without one, its Sec-Fetch-Site) says it comes from this origin. */
function sameOrigin(request: FastifyRequest, allowed: string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined)
    return (
      !request.headers['sec-fetch-site'] || request.headers['sec-fetch-site'] === 'same-origin'
    );
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}

/** Whether a credential a connection was opened with still names the same person. */
export async function stillSignedIn(
  deps: GatewayDeps,
  credential: Credential,
  user: string,
): Promise<boolean> {
  if (credential.kind === 'local') return true;
  const now =
    credential.kind === 'token'
      ? await deps.users.userForToken(credential.value)
      : await deps.users.userForSession(credential.value);
  return now?.name === user;
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
