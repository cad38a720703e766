import WebSocket from 'ws';
import type { RunEvent, RunView } from '@hyperdesk/shared/contracts';

export async function api<T = unknown>(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; raw?: string } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(baseUrl + path, {
    method: init.method ?? (init.body !== undefined || init.raw ? 'POST' : 'GET'),
    headers: init.body !== undefined || init.raw ? { 'content-type': 'application/json' } : {},
    ...(init.raw !== undefined
      ? { body: init.raw }
      : init.body !== undefined
        ? { body: JSON.stringify(init.body) }
        : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A WebSocket client that records everything the server sends. */
export class WsClient {
  readonly messages: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(url: string): Promise<WsClient> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new WsClient(socket);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  events(runId: string): RunEvent[] {
    return this.messages.filter(
      (m) => typeof m.seq === 'number' && m.runId === runId,
    ) as unknown as RunEvent[];
  }

  /** Waits until `predicate` holds for the messages received so far. */
  async until(predicate: (messages: Record<string, unknown>[]) => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the run's terminal state event. */
  async untilEnded(runId: string, timeoutMs = 30_000): Promise<string> {
    const ended = () =>
      this.events(runId).find(
        (e) => e.type === 'run.state' && ['DONE', 'FAILED', 'CANCELLED'].includes(e.state),
      );
    await this.until(() => ended() !== undefined, timeoutMs);
    const event = ended();
    return event?.type === 'run.state' ? event.state : '';
  }

  close(): void {
    this.socket.close();
  }
}

/** Reads a run until it has ended or the time is up; returns what was read last. */
export async function pollRun<T extends { state?: unknown }>(
  read: () => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await read();
    if (['DONE', 'FAILED', 'CANCELLED'].includes(String(run.state)) || Date.now() > deadline) {
      return run;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForRun(
  baseUrl: string,
  runId: string,
  timeoutMs = 30_000,
): Promise<RunView> {
  return pollRun(async () => (await api<RunView>(baseUrl, `/api/runs/${runId}`)).body, timeoutMs);
}

/** Starts a run (POST /api/runs must accept it) and waits for it to end. */
export async function runToEnd(
  baseUrl: string,
  body: Record<string, unknown>,
  timeoutMs: number,
): Promise<RunView> {
  const created = await api<{ runId: string }>(baseUrl, '/api/runs', { body });
  if (created.status !== 202) {
    throw new Error(`POST /api/runs answered ${created.status}: ${JSON.stringify(created.body)}`);
  }
  return waitForRun(baseUrl, created.body.runId, timeoutMs);
}

/** Every event of a run so far, replayed over a fresh WebSocket. */
export async function replayEvents(wsUrl: string, runId: string): Promise<RunEvent[]> {
  const ws = await WsClient.open(wsUrl);
  ws.send({ type: 'subscribe', runId, since: 0 });
  await ws.until((m) => m.some((x) => x.type === 'subscribed' && x.runId === runId));
  ws.close();
  return ws.events(runId);
}
