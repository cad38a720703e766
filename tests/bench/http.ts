/**
 * A lean keep-alive JSON client (node:http, no fetch machinery in the measured path) and a
 * fixed-concurrency driver: on a two-core machine the load generator competes with the
 * system under test, so it should cost as little as possible.
 */
import { Agent, request } from 'node:http';

export interface Timed {
  /** HTTP status; 0 when the request failed without one (reset, refused, timed out). */
  status: number;
  /** The parsed JSON reply, or `{error}` describing a failure without a reply. */
  body: unknown;
  /** Wall time from sending the request to the end of the response, ms. */
  ms: number;
}

export class JsonClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    maxSockets: number,
    private readonly timeoutMs = 20_000,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Never rejects: a failed request resolves with status 0 and the reason. */
  post(path: string, body: unknown): Promise<Timed> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve) => {
      const started = performance.now();
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        resolve({ status: 0, body: { error: err.message }, ms: performance.now() - started });
      };
      const req = request(
        {
          host: this.host,
          port: this.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            const ms = performance.now() - started;
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // keep the text: the caller reports it
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms });
          });
          res.on('error', fail);
        },
      );
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error(`no reply within ${this.timeoutMs} ms (client timeout)`)),
      );
      req.on('error', fail);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Calls `task(i)` for i = 0 … total−1 with `concurrency` calls in flight at all times;
 * resolves with the wall time of the whole batch, ms.
 */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return performance.now() - started;
}
