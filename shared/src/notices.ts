import type { Redis } from 'ioredis';
import type { ServerNotice } from './contracts/events';
import { Notice, type NoticeLevel } from './contracts/notices';
import type { RedisKeys } from './keys';
import { newId } from './runs';

/** Notices kept per person (older ones drop off the end of the list). */
export const MAX_NOTICES = 50;

/** A person's notices: a capped list in Redis, each new one published to their connections. */
export class NoticeStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async raise(
    owner: string,
    input: { level: NoticeLevel; text: string; appId?: string; runId?: string; source?: string },
  ): Promise<Notice> {
    const notice: Notice = { id: newId('ntc'), at: Date.now(), ...input };
    const key = this.keys.userNotices(owner);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(notice))
      .ltrim(key, 0, MAX_NOTICES - 1)
      .exec();
    const message: ServerNotice = { type: 'notice', notice };
    await this.redis.publish(this.keys.userChannel(owner), JSON.stringify(message));
    return notice;
  }

  /**
   * Raises the notice unless this person already got the one named `flag`; null when they
   * had. The flag is set first, so two workers racing raise it once.
   */
  async raiseOnce(
    owner: string,
    flag: string,
    input: Parameters<NoticeStore['raise']>[1],
  ): Promise<Notice | null> {
    const first = await this.redis.set(this.keys.userNoticeOnce(owner, flag), '1', 'NX');
    return first === 'OK' ? this.raise(owner, input) : null;
  }

  /** Newest first. */
  async list(owner: string): Promise<Notice[]> {
    const raw = await this.redis.lrange(this.keys.userNotices(owner), 0, -1);
    return raw.flatMap((line) => {
      const parsed = Notice.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    });
  }

  async clear(owner: string): Promise<void> {
    await this.redis.del(this.keys.userNotices(owner));
  }
}
