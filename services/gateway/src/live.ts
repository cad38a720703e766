import type { Redis } from 'ioredis';
import type { RedisKeys } from '@hyperdesk/shared';

type Listener = (raw: string, seq: number) => void;

/**
 * Fans published messages out to the WebSocket connections watching them, over one Redis
 * subscriber connection shared by the whole gateway: one channel per watched run, one per
 * connected person (notices, shared context), and a pattern over every run's events.
 */
export class LiveHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly subscriber: Redis,
    private readonly keys: RedisKeys,
  ) {
    subscriber.on('message', (channel: string, raw: string) => {
      const set = this.listeners.get(channel);
      if (!set) return;
      const seq = seqOf(raw);
      for (const listener of set) listener(raw, seq);
    });
  }

  async watch(runId: string, listener: Listener): Promise<() => Promise<void>> {
    return this.watchChannel(this.keys.runChannel(runId), listener);
  }

  /** Messages for one person: every connection of theirs gets their notices and context. */
  async watchUser(user: string, listener: (raw: string) => void): Promise<() => Promise<void>> {
    return this.watchChannel(this.keys.userChannel(user), listener);
  }

  /** Says when the person's credentials change (password reset, logout, removal). */
  async watchAuth(user: string, listener: () => void): Promise<() => Promise<void>> {
    return this.watchChannel(this.keys.userAuthChannel(user), () => listener());
  }

  private async watchChannel(channel: string, listener: Listener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      await this.subscriber.unsubscribe(channel);
    };
  }
}

/** Events are published as `{"seq":N,...}`; reading N needs no full parse. */
export function seqOf(raw: string): number {
  const match = /^\{"seq":(\d+),/.exec(raw);
  return match ? Number(match[1]) : 0;
}
