import { RunEvent, ServerNotice, type ClientMessage } from '@hyperdesk/shared/contracts';

export type SocketStatus = 'idle' | 'connecting' | 'open' | 'reconnecting';

export interface RunSocketHandlers {
  /** A validated run event, each seq at most once and in order per run. */
  onEvent(event: RunEvent): void;
  onNotice?(notice: ServerNotice): void;
  onStatus?(status: SocketStatus): void;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const HEARTBEAT_MS = 15_000;
/** With no message (not even a pong) for this long, the connection is presumed dead. */
const SILENCE_LIMIT_MS = 40_000;

/** The gateway's WebSocket on the page's own origin. */
export function defaultSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/**
 * One WebSocket to the gateway carrying the events of every run the desktop watches.
 *
 * It remembers the last seq seen per run. After a drop it reconnects with backoff and
 * resubscribes with `since: lastSeq`, and drops any event at or below that seq, so a
 * replay neither loses nor doubles an event.
 */
export class RunSocket {
  readonly #url: string;
  readonly #handlers: RunSocketHandlers;
  readonly #lastSeq = new Map<string, number>();
  #ws: WebSocket | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #lastMessageAt = 0;
  #started = false;
  #status: SocketStatus = 'idle';

  constructor(url: string, handlers: RunSocketHandlers) {
    this.#url = url;
    this.#handlers = handlers;
  }

  get status(): SocketStatus {
    return this.#status;
  }

  /** Opens the connection before any run is followed: it also carries the person's notices and shared context. */
  connect(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connect();
  }

  /** Starts following a run; events after `since` (0 = from the beginning) are delivered. */
  subscribe(runId: string, since = 0): void {
    if (!this.#lastSeq.has(runId)) this.#lastSeq.set(runId, since);
    if (!this.#started) {
      this.#started = true;
      this.#connect();
    } else if (this.#ws?.readyState === WebSocket.OPEN) {
      this.#sendSubscribe(runId);
    }
  }

  unsubscribe(runId: string): void {
    if (!this.#lastSeq.delete(runId)) return;
    this.#send({ type: 'unsubscribe', runId });
  }

  lastSeq(runId: string): number | undefined {
    return this.#lastSeq.get(runId);
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.#started = false;
    clearTimeout(this.#retryTimer);
    this.#detach();
    this.#setStatus('idle');
  }

  #connect(): void {
    this.#setStatus(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url);
    } catch (error) {
      console.warn('[ws] cannot open socket', error);
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.#lastMessageAt = Date.now();
      this.#setStatus('open');
      for (const runId of this.#lastSeq.keys()) this.#sendSubscribe(runId);
      this.#heartbeatTimer = setInterval(() => this.#heartbeat(), HEARTBEAT_MS);
    };
    ws.onmessage = (message: MessageEvent) => {
      this.#lastMessageAt = Date.now();
      this.#receive(message.data);
    };
    // An error is always followed by close; reconnecting is handled there.
    ws.onerror = () => {};
    ws.onclose = () => {
      this.#detach();
      this.#scheduleReconnect();
    };
  }

  #heartbeat(): void {
    if (Date.now() - this.#lastMessageAt > SILENCE_LIMIT_MS) {
      console.warn('[ws] no message for too long; reconnecting');
      this.#detach();
      this.#scheduleReconnect();
      return;
    }
    this.#send({ type: 'ping' });
  }

  /** Forgets the current socket without waiting for a closing handshake. */
  #detach(): void {
    clearInterval(this.#heartbeatTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close();
  }

  #scheduleReconnect(): void {
    if (!this.#started) return;
    clearTimeout(this.#retryTimer);
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.#attempt);
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.#attempt += 1;
    this.#setStatus('reconnecting');
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #sendSubscribe(runId: string): void {
    this.#send({ type: 'subscribe', runId, since: this.#lastSeq.get(runId) ?? 0 });
  }

  #send(message: ClientMessage): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  #receive(raw: unknown): void {
    let data: unknown;
    try {
      data = JSON.parse(String(raw));
    } catch {
      console.warn('[ws] ignored a message that is not JSON');
      return;
    }
    const event = RunEvent.safeParse(data);
    if (event.success) {
      this.#deliver(event.data);
      return;
    }
    const notice = ServerNotice.safeParse(data);
    if (notice.success) {
      this.#handlers.onNotice?.(notice.data);
      return;
    }
    console.warn('[ws] ignored an invalid message', data, event.error.issues);
  }

  #deliver(event: RunEvent): void {
    const last = this.#lastSeq.get(event.runId);
    if (last === undefined || event.seq <= last) return; // not followed, or already seen
    this.#lastSeq.set(event.runId, event.seq);
    this.#handlers.onEvent(event);
  }

  #setStatus(status: SocketStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#handlers.onStatus?.(status);
  }
}
