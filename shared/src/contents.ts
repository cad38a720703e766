import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from './keys';

export const StoredContent = z.object({
  id: z.string(),
  owner: z.string(),
  runId: z.string(),
  title: z.string(),
  type: z.string(),
  body: z.string(),
  createdAt: z.coerce.number(),
});
export type StoredContent = z.infer<typeof StoredContent>;

/** Virtual responses: raw content (CSV, JSON, Markdown, HTML) made by a run. */
export class ContentStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  static contentIdForRun(runId: string): string {
    return `cnt_${runId.replace(/^run_/, '')}`;
  }

  async save(content: StoredContent): Promise<void> {
    await this.redis.hset(this.keys.content(content.id), content);
  }

  async get(id: string): Promise<StoredContent | null> {
    const hash = await this.redis.hgetall(this.keys.content(id));
    return hash.id ? StoredContent.parse(hash) : null;
  }
}
