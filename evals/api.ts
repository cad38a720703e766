import WebSocket from 'ws';
import type { RunEvent, RunView } from '@hyperdesk/shared/contracts';

export interface Reply<T> {
  status: number;
  body: T;
  type: string;
}

/** One call to the gateway (local mode: no credentials needed). */
export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Reply<T>> {
  const res = await fetch(baseUrl + path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(init.timeoutMs ?? 60_000),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (type.includes('json')) {
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // keep the text
    }
  }
  return { status: res.status, body: body as T, type };
}

const TERMINAL = ['DONE', 'FAILED', 'CANCELLED'];

/** Polls a run until it ends; past the deadline it cancels the run and says so. */
export async function waitForRun(
  baseUrl: string,
  runId: string,
  timeoutMs: number,
): Promise<{ run: RunView; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await call<RunView>(baseUrl, `/api/runs/${runId}`);
    if (status !== 200) throw new Error(`GET /api/runs/${runId} answered ${status}`);
    if (TERMINAL.includes(body.state)) return { run: body, timedOut: false };
    if (Date.now() > deadline) {
      await call(baseUrl, `/api/runs/${runId}`, { method: 'DELETE' }).catch(() => undefined);
      const after = await call<RunView>(baseUrl, `/api/runs/${runId}`);
      return { run: after.body, timedOut: true };
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Every event of a run, replayed over a fresh WebSocket. */
export async function replayEvents(wsUrl: string, runId: string): Promise<RunEvent[]> {
  const socket = new WebSocket(wsUrl);
  const events: RunEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`replaying the events of ${runId} timed out`));
    }, 15_000);
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (typeof message.seq === 'number' && message.runId === runId) {
        events.push(message as unknown as RunEvent);
      }
      if (message.type === 'subscribed' || message.type === 'error') {
        clearTimeout(timer);
        socket.close();
        resolve(events);
      }
    });
    socket.once('open', () => socket.send(JSON.stringify({ type: 'subscribe', runId, since: 0 })));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
