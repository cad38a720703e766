import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { ClientMessage, type ServerNotice } from '@hyperdesk/shared';
import { stillSignedIn } from '../auth';
import type { GatewayDeps } from '../deps';

/** Most runs a single connection may watch at once. */
const MAX_SUBSCRIPTIONS = 64;
/** How often an open connection checks its credential again, besides on every change. */
const RECHECK_MS = 30_000;
/** Close code for a connection whose session or token ended. */
export const SESSION_ENDED = 4401;

export function wsRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/ws', { websocket: true }, (socket, request) => {
    const subscriptions = new Map<string, Promise<() => Promise<void>>>();
    const send = (message: ServerNotice) => socket.send(JSON.stringify(message));
    const user = request.user.name;
    const credential = request.credential;
    // Notices and shared context changes of this person reach every connection of theirs.
    const userFeed = deps.hub.watchUser(user, (raw) => socket.send(raw));
    userFeed.catch((err: unknown) => request.log.warn({ err }, 'user feed failed'));

    // A reset, logout or removal ends the connection at once: its feeds stop before the
    // close handshake, so nothing more reaches it.
    let ended = false;
    const stopFeeds = () => {
      for (const runId of [...subscriptions.keys()]) void unsubscribe(runId).catch(() => undefined);
      void userFeed.then((stop) => stop()).catch(() => undefined);
      void authFeed.then((stop) => stop()).catch(() => undefined);
      clearInterval(recheck);
    };
    const check = async () => {
      if (ended || (await stillSignedIn(deps, credential, user).catch(() => true))) return;
      ended = true;
      stopFeeds();
      socket.close(SESSION_ENDED, 'Your session ended; log in again.');
    };
    const authFeed = deps.hub.watchAuth(user, () => void check());
    authFeed.catch((err: unknown) => request.log.warn({ err }, 'auth feed failed'));
    const recheck = setInterval(() => void check(), RECHECK_MS);
    recheck.unref();

    socket.on('message', (data, isBinary) => {
      if (ended) return;
      const message = isBinary ? null : parseMessage(data.toString());
      if (!message) {
        send({
          type: 'error',
          message:
            'Invalid message: send JSON like {"type":"subscribe","runId":"run_...","since":0}.',
        });
        return;
      }
      switch (message.type) {
        case 'ping':
          send({ type: 'pong' });
          return;
        case 'unsubscribe':
          void unsubscribe(message.runId);
          return;
        case 'subscribe':
          void check();
          if (subscriptions.has(message.runId)) {
            send({
              type: 'error',
              runId: message.runId,
              message: 'Already subscribed to this run.',
            });
            return;
          }
          if (subscriptions.size >= MAX_SUBSCRIPTIONS) {
            send({
              type: 'error',
              runId: message.runId,
              message: `At most ${MAX_SUBSCRIPTIONS} runs per connection.`,
            });
            return;
          }
          subscriptions.set(
            message.runId,
            subscribe(deps, socket, request.user.name, message.runId, message.since ?? 0),
          );
          subscriptions.get(message.runId)?.catch((err: unknown) => {
            subscriptions.delete(message.runId);
            request.log.warn({ err, runId: message.runId }, 'subscribe failed');
            send({
              type: 'error',
              runId: message.runId,
              message: 'Could not subscribe; try again.',
            });
          });
          return;
      }
    });

    const unsubscribe = async (runId: string) => {
      const stop = subscriptions.get(runId);
      subscriptions.delete(runId);
      if (stop) await (await stop)();
    };
    socket.on('close', stopFeeds);
  });
}

function parseMessage(text: string): ClientMessage | null {
  try {
    const parsed = ClientMessage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Replays the run's events after `since`, then streams live ones. Live events that arrive
 * during the replay are held back and sent after it, each seq exactly once. A live event
 * that skips a seq (published while the gateway's subscriber was reconnecting to Redis)
 * starts another replay from the stream, so the watcher still gets every event in order.
 */
async function subscribe(
  deps: GatewayDeps,
  socket: WebSocket,
  user: string,
  runId: string,
  since: number,
): Promise<() => Promise<void>> {
  const run = await deps.runs.get(runId);
  if (!run || run.owner !== user) {
    socket.send(JSON.stringify({ type: 'error', runId, message: `Run ${runId} was not found.` }));
    return async () => undefined;
  }
  let lastSent = since;
  let held: { raw: string; seq: number }[] | null = [];
  const replay = async (): Promise<number> => {
    const events = await deps.runs.eventsSince(runId, lastSent);
    for (const event of events) {
      if (event.seq <= lastSent) continue;
      socket.send(JSON.stringify(event));
      lastSent = event.seq;
    }
    const pending = held ?? [];
    held = null;
    for (const { raw, seq } of pending) onLive(raw, seq);
    return events.length;
  };
  const onLive = (raw: string, seq: number) => {
    if (held) held.push({ raw, seq });
    else if (seq === lastSent + 1) {
      lastSent = seq;
      socket.send(raw);
    } else if (seq > lastSent) {
      held = [{ raw, seq }];
      replay().catch(() => socket.close(1011, 'Could not replay missed events; reconnect.'));
    }
  };
  const stop = await deps.hub.watch(runId, onLive);
  const replayed = await replay();
  socket.send(JSON.stringify({ type: 'subscribed', runId, replayed }));
  return stop;
}
