/**
 * The gateway routes behind the app SDK's model, context and notice calls. The desktop
 * makes them with its own session; the app only ever sees their results.
 */
import {
  AskLine,
  AskUsage,
  ContextEntries,
  ContextEntry,
  ErrorReply,
  Notice,
  NoticeList,
  type AskBody,
  type NoticeLevel,
} from '@hyperdesk/shared/contracts';
import { ApiError, request } from './api';

const jsonInit = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** A refusal or failure of an ask, with the limit and its reset time when a limit refused it. */
export class AskError extends Error {
  override name = 'AskError';
  constructor(
    message: string,
    readonly code: string,
    readonly limit?: string,
    readonly resetsAt?: string | null,
  ) {
    super(message);
  }
}

/**
 * `POST /api/apps/:id/ask`: streams the answer's lines to `onLine` until `done` or `error`.
 * Aborting the signal ends the request, and with it the model call. A refusal before the
 * answer starts (a limit, bad input) becomes an `error` line too.
 */
export async function streamAsk(
  appId: string,
  body: AskBody,
  signal: AbortSignal,
  onLine: (line: AskLine) => void,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`/api/apps/${encodeURIComponent(appId)}/ask`, {
      ...jsonInit('POST', body),
      signal,
    });
  } catch {
    if (signal.aborted) return;
    throw new AskError('Cannot reach the Hyperdesk gateway.', 'network');
  }
  if (!response.ok || !response.body) {
    const reply = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    const parsed = ErrorReply.safeParse(reply);
    onLine({
      type: 'error',
      error: parsed.success ? parsed.data.error : `The gateway answered ${response.status}.`,
      code: parsed.success ? parsed.data.code : 'http_error',
      ...(typeof reply?.limit === 'string' ? { limit: reply.limit } : {}),
      ...(typeof reply?.resetsAt === 'string' ? { resetsAt: reply.resetsAt } : {}),
    });
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const parsed = AskLine.safeParse(JSON.parse(buffered.slice(0, newline)));
        buffered = buffered.slice(newline + 1);
        if (parsed.success) onLine(parsed.data);
        newline = buffered.indexOf('\n');
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw new AskError(`The answer stopped: ${String(error)}`, 'network');
  }
}

/** What an app's `hyperdesk.ask` calls spent today, and its allowance. */
export function askUsage(appId: string): Promise<AskUsage> {
  return request(`/api/apps/${encodeURIComponent(appId)}/ask-usage`, AskUsage);
}

/** The person lets the app spend `tokens` more on asks today. */
export function allowAsks(appId: string, tokens: number): Promise<AskUsage> {
  return request(
    `/api/apps/${encodeURIComponent(appId)}/ask-allowance`,
    AskUsage,
    jsonInit('POST', { tokens }),
  );
}

export function listContext(): Promise<ContextEntry[]> {
  return request('/api/context', ContextEntries);
}

export function setContext(key: string, value: unknown, appId?: string): Promise<ContextEntry> {
  return request(
    `/api/context/${encodeURIComponent(key)}`,
    ContextEntry,
    jsonInit('PUT', { value, ...(appId ? { appId } : {}) }),
  );
}

export function listNotices(): Promise<Notice[]> {
  return request('/api/notices', NoticeList);
}

export function raiseNotice(level: NoticeLevel, text: string, appId?: string): Promise<Notice> {
  return request(
    '/api/notices',
    Notice,
    jsonInit('POST', { level, text, ...(appId ? { appId } : {}) }),
  );
}

export async function clearNotices(): Promise<void> {
  const response = await fetch('/api/notices', { method: 'DELETE' });
  if (!response.ok)
    throw new ApiError('The notices could not be cleared.', response.status, 'http_error');
}
