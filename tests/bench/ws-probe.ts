/**
 * The same run measured from a plain WebSocket client (no browser): POST /api/runs, then
 * subscribe as the desktop does, and timestamp the events as they arrive.
 */
import WebSocket from 'ws';
import { bodyContentEnd } from './model-bound';

export interface WsMarks {
  runId: string;
  /** Date.now() just before the POST. */
  startedAt: number;
  /** ms after the POST was sent (performance.now() differences). */
  posted: number;
  firstToken: number;
  firstBody: number;
  app: number;
  done: number;
  /** Date.now() when DONE arrived, to compare with the server's timestamps. */
  doneAt: number;
  /** The terminal state, DONE unless something went wrong. */
  state: string;
}

interface Watch {
  t0: number;
  text: string;
  marks: Partial<WsMarks>;
  finish: (state: string) => void;
}

export class WsProbe {
  private readonly watching = new Map<string, Watch>();

  private constructor(
    private readonly baseUrl: string,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => this.receive(data.toString()));
  }

  static async open(baseUrl: string, wsUrl: string): Promise<WsProbe> {
    const socket = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new WsProbe(baseUrl, socket);
  }

  private receive(raw: string): void {
    const now = performance.now();
    const message = JSON.parse(raw) as {
      type?: string;
      runId?: string;
      state?: string;
      target?: string;
      text?: string;
    };
    const watch = message.runId ? this.watching.get(message.runId) : undefined;
    if (!watch) return;
    const since = now - watch.t0;
    const { marks } = watch;
    if (message.type === 'run.token' && message.target === 'app') {
      marks.firstToken ??= since;
      if (marks.firstBody === undefined) {
        watch.text += message.text ?? '';
        const end = bodyContentEnd(watch.text);
        if (end > 0 && end <= watch.text.length) marks.firstBody = since;
      }
    } else if (message.type === 'run.app') {
      marks.app ??= since;
    } else if (message.type === 'run.state' && message.state) {
      if (['DONE', 'FAILED', 'CANCELLED'].includes(message.state)) {
        marks.done = since;
        marks.doneAt = Date.now();
        watch.finish(message.state);
      }
    }
  }

  /** Starts a run (refining `appId` when given) and waits until it ends. */
  async runOnce(prompt: string, timeoutMs = 30_000, appId?: string): Promise<WsMarks> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const res = await fetch(`${this.baseUrl}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(appId ? { prompt, appId } : { prompt }),
    });
    const posted = performance.now() - t0;
    const { runId } = (await res.json()) as { runId: string };
    let finish: (state: string) => void = () => undefined;
    const ended = new Promise<string>((resolve) => (finish = resolve));
    const watch: Watch = { t0, text: '', marks: {}, finish };
    this.watching.set(runId, watch);
    this.socket.send(JSON.stringify({ type: 'subscribe', runId, since: 0 }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`run ${runId} did not end`)), timeoutMs);
    });
    try {
      const state = await Promise.race([ended, timeout]);
      return {
        firstToken: NaN,
        firstBody: NaN,
        app: NaN,
        done: NaN,
        doneAt: NaN,
        ...watch.marks,
        runId,
        startedAt,
        posted,
        state,
      };
    } finally {
      clearTimeout(timer);
      this.watching.delete(runId);
      this.socket.send(JSON.stringify({ type: 'unsubscribe', runId }));
    }
  }

  /** The runs being watched now (started and not yet ended). */
  active(): string[] {
    return [...this.watching.keys()];
  }

  close(): void {
    this.socket.close();
  }
}
