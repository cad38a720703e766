import {
  AppView,
  CreateRunBody,
  CreateRunReply,
  ErrorReply,
  HealthReply,
  RunView,
} from '@hyperdesk/shared/contracts';

/** An HTTP call that failed; `message` is meant for the person using the desktop. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

let unauthorized: () => void = () => {};

/** Called when the gateway says the person is not (or no longer) logged in. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/** The part of a zod schema this module needs, so web does not depend on zod directly. */
export interface Schema<T> {
  safeParse(input: unknown): { success: true; data: T } | { success: false; error: Error };
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export async function request<T>(path: string, schema: Schema<T>, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', ...init?.headers },
    });
  } catch {
    throw new ApiError('Cannot reach the Hyperdesk gateway. Is it running?', 0, 'network');
  }
  const body = await readJson(response);
  if (response.status === 401) unauthorized();
  if (!response.ok) {
    const reply = ErrorReply.safeParse(body);
    if (reply.success) throw new ApiError(reply.data.error, response.status, reply.data.code);
    throw new ApiError(
      `The gateway answered ${response.status} ${response.statusText}`.trim(),
      response.status,
      'http_error',
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    console.warn(`[api] unexpected reply from ${path}`, parsed.error);
    throw new ApiError(
      `The gateway sent an unexpected reply for ${path}`,
      response.status,
      'bad_reply',
    );
  }
  return parsed.data;
}

/** GET /health. A 503 still carries a HealthReply (status "degraded"), so it is not an error here. */
export async function getHealth(): Promise<HealthReply> {
  let response: Response;
  try {
    response = await fetch('/health', { headers: { accept: 'application/json' } });
  } catch {
    throw new ApiError('Cannot reach the Hyperdesk gateway. Is it running?', 0, 'network');
  }
  const parsed = HealthReply.safeParse(await readJson(response));
  if (!parsed.success) {
    throw new ApiError(`Health check answered ${response.status}`, response.status, 'bad_reply');
  }
  return parsed.data;
}

/** POST /api/runs. The prompt is checked with the same schema the gateway uses. */
export async function createRun(body: CreateRunBody): Promise<CreateRunReply> {
  const checked = CreateRunBody.safeParse(body);
  if (!checked.success) {
    const message = checked.error.issues[0]?.message ?? 'Invalid request';
    throw new ApiError(message, 400, 'invalid_prompt');
  }
  return request('/api/runs', CreateRunReply, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(checked.data),
  });
}

export function getRun(runId: string): Promise<RunView> {
  return request(`/api/runs/${encodeURIComponent(runId)}`, RunView);
}

export function getApp(appId: string): Promise<AppView> {
  return request(`/api/apps/${encodeURIComponent(appId)}`, AppView);
}

/**
 * Runs a tool for an app (the desktop calls the gateway itself, so app code never holds
 * the person's credentials). The app's id makes the call run the tool versions the app was
 * checked with. Resolves to the tool's JSON or rejects with the error text.
 */
export async function callTool(
  name: string,
  args: Record<string, unknown>,
  appId: string | null = null,
): Promise<unknown> {
  const res = await fetch(`/api/mono/${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(appId ? { 'x-hyperdesk-app': appId } : {}),
    },
    body: JSON.stringify(args),
  });
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) return body;
  const message =
    body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
      ? (body as { error: string }).error
      : `HTTP ${res.status}`;
  throw new Error(message);
}

/** Turns anything thrown into a sentence a person can read. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
