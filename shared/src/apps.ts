import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AppMeta, type AppView } from './contracts/app';
import type { RedisKeys } from './keys';

const StoredVersion = z.object({
  html: z.string(),
  title: z.string(),
  runId: z.string().nullable(),
  createdAt: z.number(),
  /** Tool name → the version this app version was checked with (its calls run those). */
  toolVersions: z.record(z.string(), z.number()).optional(),
});

// Saves a new version unless this run already saved one (at-least-once delivery must not
// double a version). Returns the version number.
const SAVE_VERSION = `
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return tonumber(existing) end
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[4], v, ARGV[7])
if v == 1 then
  redis.call('HSET', KEYS[1], 'id', ARGV[8], 'owner', ARGV[3], 'createdAt', ARGV[2], 'prompt', ARGV[5])
end
redis.call('HSET', KEYS[1], 'title', ARGV[4], 'tools', ARGV[6], 'updatedAt', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], v)
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[8])
return v
`;

export interface SaveVersionInput {
  appId: string;
  runId: string;
  owner: string;
  title: string;
  prompt: string;
  tools: string[];
  html: string;
  /** The tool versions it was checked with, when it is a copy of a checked version. */
  toolVersions?: Record<string, number>;
}

/** Apps and every version of their HTML. */
export class AppStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The id of the app a run creates: derived from the run, so a retried job reuses it. */
  static appIdForRun(runId: string): string {
    return `app_${runId.replace(/^run_/, '')}`;
  }

  async saveVersion(input: SaveVersionInput): Promise<number> {
    const now = Date.now();
    const version = JSON.stringify({
      html: input.html,
      title: input.title,
      runId: input.runId,
      createdAt: now,
      ...(input.toolVersions ? { toolVersions: input.toolVersions } : {}),
    });
    return (await this.redis.eval(
      SAVE_VERSION,
      4,
      this.keys.app(input.appId),
      this.keys.appRunVersions(input.appId),
      this.keys.userApps(input.owner),
      this.keys.appVersions(input.appId),
      input.runId,
      String(now),
      input.owner,
      input.title,
      input.prompt,
      JSON.stringify(input.tools),
      version,
      input.appId,
    )) as number;
  }

  /** Restores an old version by saving a copy of it as the newest version. */
  async revert(id: string, version: number): Promise<number | null> {
    const [meta, raw] = await Promise.all([
      this.meta(id),
      this.redis.hget(this.keys.appVersions(id), String(version)),
    ]);
    if (!meta || !raw) return null;
    const old = StoredVersion.parse(JSON.parse(raw));
    return this.saveVersion({
      appId: id,
      runId: `revert.${meta.version}.${version}`,
      owner: meta.owner,
      title: old.title,
      prompt: meta.prompt,
      tools: meta.tools,
      html: old.html,
      ...(old.toolVersions ? { toolVersions: old.toolVersions } : {}),
    });
  }

  /**
   * Records the tool versions a version passed its check with; the app's tool calls run
   * those versions (`checkedTools`).
   */
  async recordCheckedTools(
    id: string,
    version: number,
    toolVersions: Record<string, number>,
  ): Promise<void> {
    const key = this.keys.appVersions(id);
    const raw = await this.redis.hget(key, String(version));
    if (!raw) return;
    const stored = StoredVersion.parse(JSON.parse(raw));
    await this.redis.hset(key, String(version), JSON.stringify({ ...stored, toolVersions }));
  }

  /** The tool versions the app's current version was checked with (empty before its check). */
  async checkedTools(id: string): Promise<Record<string, number>> {
    const meta = await this.meta(id);
    const raw = meta
      ? await this.redis.hget(this.keys.appVersions(id), String(meta.version))
      : null;
    if (!raw) return {};
    return StoredVersion.parse(JSON.parse(raw)).toolVersions ?? {};
  }

  /** Removes an app, every version of it and the data it kept. */
  async remove(id: string, owner: string): Promise<void> {
    await this.redis
      .multi()
      .del(
        this.keys.app(id),
        this.keys.appVersions(id),
        this.keys.appRunVersions(id),
        this.keys.appThumbs(id),
        this.keys.appData(owner, id),
      )
      .hdel(this.keys.appDataSizes(owner), id)
      .zrem(this.keys.userApps(owner), id)
      .exec();
  }

  async saveThumbnail(id: string, version: number, jpeg: Buffer): Promise<void> {
    await this.redis.hset(this.keys.appThumbs(id), String(version), jpeg);
  }

  async thumbnail(id: string, version: number): Promise<Buffer | null> {
    return this.redis.hgetBuffer(this.keys.appThumbs(id), String(version));
  }

  /** Every version, oldest first, without the HTML. */
  async versions(
    id: string,
  ): Promise<{ version: number; title: string; runId: string | null; createdAt: number }[]> {
    const all = await this.redis.hgetall(this.keys.appVersions(id));
    return Object.entries(all)
      .map(([v, raw]) => {
        const { html: _html, ...rest } = StoredVersion.parse(JSON.parse(raw));
        return { version: Number(v), ...rest };
      })
      .sort((a, b) => a.version - b.version);
  }

  async meta(id: string): Promise<AppMeta | null> {
    const hash = await this.redis.hgetall(this.keys.app(id));
    if (!hash.id) return null;
    return AppMeta.parse({
      ...hash,
      tools: JSON.parse(hash.tools ?? '[]'),
      version: Number(hash.version),
      createdAt: Number(hash.createdAt),
      updatedAt: Number(hash.updatedAt),
    });
  }

  async get(id: string, version?: number): Promise<AppView | null> {
    const meta = await this.meta(id);
    if (!meta) return null;
    const raw = await this.redis.hget(this.keys.appVersions(id), String(version ?? meta.version));
    if (!raw) return null;
    const stored = StoredVersion.parse(JSON.parse(raw));
    return { ...meta, html: stored.html };
  }
}
