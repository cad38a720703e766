import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { startPrivateRedis, type PrivateRedis } from '../../scripts/private-redis';
import { freePort } from './ports';
import type { Stack } from './stack';

/**
 * Helpers for fault tests: the pids the launcher reports for its services, a Redis the
 * test owns (so it can be killed), and a WebSocket follower that reconnects like the
 * desktop does.
 */

/** Every pid the launcher has reported for a service, oldest first. */
export function servicePids(stack: Stack, service: string): number[] {
  // ANSI codes and other services' lines are in the same output; the launcher's line is
  // "hyperdesk <service> started|restarted (pid N)".
  // eslint-disable-next-line no-control-regex
  const text = stack.output().replace(/\x1b\[[0-9;]*m/g, '');
  const pattern = new RegExp(`hyperdesk ${service} (?:started|restarted) \\(pid (\\d+)\\)`, 'g');
  return [...text.matchAll(pattern)].map((m) => Number(m[1]));
}

export function servicePid(stack: Stack, service: string): number {
  const pid = servicePids(stack, service).at(-1);
  if (!pid) throw new Error(`the launcher has not reported a pid for ${service}`);
  return pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the launcher reports a new process for the service (after `oldPid` died). */
export async function waitForRestart(
  stack: Stack,
  service: string,
  oldPid: number,
  timeoutMs = 30_000,
): Promise<number> {
  return eventually(
    `${service} to restart`,
    () => {
      const pid = servicePids(stack, service).at(-1);
      return pid !== undefined && pid !== oldPid ? pid : undefined;
    },
    timeoutMs,
  );
}

/** A redis-server the test owns, with AOF on a private directory, that it can kill and restart. */
export class OwnedRedis {
  private server: PrivateRedis | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnedRedis> {
    const redis = new OwnedRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'hd-redis-')));
    await redis.start();
    return redis;
  }

  /** Starts (or starts again) on the same port and directory, so the AOF is read back. */
  async start(): Promise<void> {
    this.server = await startPrivateRedis({
      port: this.port,
      dir: this.dir,
      persistent: true,
      ownProcessGroup: false,
    });
  }

  /** `SHUTDOWN`: Redis flushes the AOF and exits. */
  async shutdown(): Promise<void> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    await client.call('SHUTDOWN').catch(() => undefined);
    client.disconnect();
    await this.server?.exited;
  }

  /** A crash: SIGKILL, no chance to flush anything. */
  async kill(): Promise<void> {
    const server = this.server;
    if (!server) return;
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await server.exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface SeenEvent {
  type: string;
  runId: string;
  seq: number;
  state?: string;
  [key: string]: unknown;
}

/**
 * Follows runs over the WebSocket the way the desktop's run socket does: when the
 * connection drops it reconnects with backoff and resubscribes with `since` = the last seq
 * it saw. It keeps every event it received, repeats included, so a test can check for
 * gaps and duplicates.
 */
export class RunFollower {
  readonly received: SeenEvent[] = [];
  reconnects = 0;
  private readonly lastSeq = new Map<string, number>();
  private socket: WebSocket | null = null;
  private closed = false;

  constructor(
    private readonly wsUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  follow(runId: string): void {
    if (!this.lastSeq.has(runId)) this.lastSeq.set(runId, 0);
    this.subscribe(runId);
  }

  async open(): Promise<void> {
    await this.connect();
  }

  events(runId: string): SeenEvent[] {
    return this.received.filter((e) => e.runId === runId);
  }

  ended(runId: string): string | undefined {
    const terminal = this.events(runId).find(
      (e) => e.type === 'run.state' && ['DONE', 'FAILED', 'CANCELLED'].includes(String(e.state)),
    );
    return terminal?.state;
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }

  private subscribe(runId: string): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ type: 'subscribe', runId, since: this.lastSeq.get(runId) }));
  }

  private connect(): Promise<void> {
    return new Promise((resolve) => {
      const socket = new WebSocket(this.wsUrl, { headers: this.headers });
      this.socket = socket;
      socket.on('open', () => {
        for (const runId of this.lastSeq.keys()) this.subscribe(runId);
        resolve();
      });
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as Partial<SeenEvent>;
        if (typeof message.seq !== 'number' || typeof message.runId !== 'string') return;
        this.received.push(message as SeenEvent);
        const last = this.lastSeq.get(message.runId) ?? 0;
        if (message.seq > last) this.lastSeq.set(message.runId, message.seq);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (this.closed) return;
        this.reconnects += 1;
        setTimeout(() => void this.connect().then(resolve), 200);
      });
    });
  }
}

/** Gaps and repeats in the seq numbers a client received for a run (both should be empty). */
export function sequenceProblems(events: SeenEvent[]): { gaps: number[]; repeats: number[] } {
  const seen = new Set<number>();
  const repeats: number[] = [];
  for (const e of events) {
    if (seen.has(e.seq)) repeats.push(e.seq);
    seen.add(e.seq);
  }
  const max = Math.max(0, ...seen);
  const gaps: number[] = [];
  for (let seq = 1; seq <= max; seq++) if (!seen.has(seq)) gaps.push(seq);
  return { gaps, repeats };
}

/** The app document a watcher assembles from run.token frames (a reset starts over). */
export function streamedDocument(events: SeenEvent[]): string {
  let text = '';
  for (const e of events) {
    if (e.type !== 'run.token' || e.target !== 'app') continue;
    if (e.reset === true) text = '';
    text += String(e.text);
  }
  return text;
}

/** p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
