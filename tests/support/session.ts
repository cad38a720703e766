import WebSocket from 'ws';
import { pollRun } from './client';

/** A logged-in person: every request carries their session cookie (or a bearer token). */
export class Session {
  constructor(
    readonly baseUrl: string,
    readonly auth: { cookie?: string; token?: string },
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<Session> {
    const res = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return new Session(baseUrl, { cookie });
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.auth.cookie ? { cookie: this.auth.cookie } : {}),
      ...(this.auth.token ? { authorization: `Bearer ${this.auth.token}` } : {}),
      ...extra,
    };
  }

  async call<T = Record<string, unknown>>(
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(this.baseUrl + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: this.headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a thumbnail, raw content)
    }
    return { status: res.status, body: body as T };
  }

  async waitForRun(runId: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return pollRun(async () => (await this.call(`/api/runs/${runId}`)).body, timeoutMs);
  }

  /** Opens the WebSocket with this person's credentials; resolves with the socket or the HTTP status that refused it. */
  openSocket(wsUrl: string): Promise<WebSocket | number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, { headers: this.headers() });
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', reject);
    });
  }
}
