/** A run's recorded events, replayed over the WebSocket as any client receives them. */
import WebSocket from 'ws';

export interface RecordedEvent {
  type: string;
  runId: string;
  at: number;
  seq?: number;
  state?: string;
  name?: string;
  status?: string;
  attempt?: number;
  tokens?: number;
  target?: string;
  reset?: boolean;
}

/** Subscribes from the start, collects the replay and closes at `subscribed`. */
export async function recordedEvents(wsUrl: string, runId: string): Promise<RecordedEvent[]> {
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  try {
    return await new Promise<RecordedEvent[]>((resolve, reject) => {
      const events: RecordedEvent[] = [];
      const timer = setTimeout(() => reject(new Error(`no replay of run ${runId}`)), 10_000);
      socket.on('message', (data) => {
        const m = JSON.parse(data.toString()) as RecordedEvent & { message?: string };
        if (m.runId !== runId) return;
        if (m.type === 'subscribed') {
          clearTimeout(timer);
          resolve(events);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(m.message ?? 'subscribe failed'));
        } else {
          events.push(m);
        }
      });
      socket.send(JSON.stringify({ type: 'subscribe', runId, since: 0 }));
    });
  } finally {
    socket.close();
  }
}
