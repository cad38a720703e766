import type { Redis } from 'ioredis';
import { ToolCallEntry, ToolVersion, type ToolSummary } from './contracts/tool';
import type { RedisKeys } from './keys';

// Registers a version unless this build already registered one. Returns the version number.
// The author runs what they wrote (their pin moves to it), and the audit log records it.
const REGISTER = `
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then return tonumber(existing) end
local v = redis.call('HINCRBY', KEYS[1], 'versions', 1)
local doc = '{"version":' .. v .. ',' .. string.sub(ARGV[3], 2)
redis.call('HSET', KEYS[2], v, doc)
redis.call('HSET', KEYS[1], 'name', ARGV[4], 'current', v, 'updatedAt', ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], v)
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[5], ARGV[4], v)
local entry = cjson.encode({at = tonumber(ARGV[2]), actor = ARGV[5], action = 'tool.version',
  target = ARGV[4], detail = 'version ' .. v .. ' (' .. ARGV[6] .. ')'})
redis.call('XADD', KEYS[6], 'MAXLEN', '~', '100000', '*', 'e', entry)
return v
`;

/** How many tool calls the audit of calls keeps (a capped stream, oldest dropped first). */
const CALLS_KEPT = 20_000;

export type NewToolVersion = Omit<ToolVersion, 'version' | 'createdAt'>;

/**
 * The team's tool library: every tested version of every tool, the newest one, and which
 * version each person runs. A person runs their pin: the version they wrote last, accepted,
 * or found when they first used the tool; a newer version by someone else waits for them to
 * accept it. A network grant is for one version.
 */
export class ToolStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Stores a tested version as the newest, and as the version its author runs. `buildId`
   * makes a repeat a no-op. The version starts without network, whatever earlier ones had.
   */
  async register(buildId: string, tool: NewToolVersion): Promise<number> {
    const now = Date.now();
    const doc = JSON.stringify({ ...tool, capabilities: [], createdAt: now });
    return (await this.redis.eval(
      REGISTER,
      6,
      this.keys.tool(tool.name),
      this.keys.toolVersions(tool.name),
      this.keys.toolBuilds(tool.name),
      this.keys.tools,
      this.keys.userToolPins(tool.author),
      this.keys.audit,
      buildId,
      String(now),
      doc,
      tool.name,
      tool.author,
      tool.origin,
    )) as number;
  }

  /**
   * A version (the newest by default), with `network` among its capabilities only when an
   * admin granted that very version.
   */
  async get(name: string, version?: number): Promise<ToolVersion | null> {
    const wanted = version ?? Number(await this.redis.hget(this.keys.tool(name), 'current'));
    if (!wanted) return null;
    const [raw, granted] = await Promise.all([
      this.redis.hget(this.keys.toolVersions(name), String(wanted)),
      this.redis.sismember(this.keys.toolNetworkGrants(name), String(wanted)),
    ]);
    if (!raw) return null;
    const tool = ToolVersion.parse(JSON.parse(raw));
    return { ...tool, capabilities: granted === 1 ? ['network'] : [] };
  }

  /**
   * The version a person runs: their pin, or (first use) the newest, which becomes their pin.
   * Every call a person makes, directly, in a run or from an app, goes through here.
   */
  async forUser(name: string, user: string): Promise<ToolVersion | null> {
    const pins = this.keys.userToolPins(user);
    const pinned = await this.redis.hget(pins, name);
    if (pinned) return this.get(name, Number(pinned));
    const newest = await this.get(name);
    if (!newest) return null;
    if ((await this.redis.hsetnx(pins, name, String(newest.version))) === 1) return newest;
    // Another first use pinned it at the same moment: run what it pinned.
    return this.get(name, Number(await this.redis.hget(pins, name)));
  }

  /** The version a person runs, or null when they have not used the tool yet. */
  async pinOf(name: string, user: string): Promise<number | null> {
    const pinned = await this.redis.hget(this.keys.userToolPins(user), name);
    return pinned ? Number(pinned) : null;
  }

  /** The person runs this version (the newest by default) from now on; null if it does not exist. */
  async accept(name: string, user: string, version?: number): Promise<ToolVersion | null> {
    const tool = await this.get(name, version);
    if (!tool) return null;
    await this.redis.hset(this.keys.userToolPins(user), name, String(tool.version));
    return tool;
  }

  /** Grants (or revokes) network access to one version. */
  async setNetworkGrant(name: string, version: number, network: boolean): Promise<void> {
    const key = this.keys.toolNetworkGrants(name);
    if (network) await this.redis.sadd(key, String(version));
    else await this.redis.srem(key, String(version));
  }

  /**
   * Grants stored by earlier releases belonged to a tool's name: each becomes a grant of the
   * version that was newest when it was made, the one the admin saw. Idempotent; returns how
   * many tools it converted.
   */
  async migrateNameGrants(): Promise<number> {
    let converted = 0;
    for (const name of await this.redis.zrange(this.keys.tools, 0, -1)) {
      const [network, current] = await this.redis.hmget(this.keys.tool(name), 'network', 'current');
      if (network === null) continue;
      if (network === '1' && current) {
        await this.redis.sadd(this.keys.toolNetworkGrants(name), current);
        converted += 1;
      }
      await this.redis.hdel(this.keys.tool(name), 'network');
    }
    return converted;
  }

  /** Records one call in the audit of calls (a capped stream: one XADD per call). */
  async recordCall(entry: Omit<ToolCallEntry, 'at'>): Promise<void> {
    const line: ToolCallEntry = { at: Date.now(), ...entry };
    await this.redis.xadd(
      this.keys.toolCalls,
      'MAXLEN',
      '~',
      String(CALLS_KEPT),
      '*',
      'e',
      JSON.stringify(line),
    );
  }

  /** The most recent calls, newest first. */
  async calls(count = 200): Promise<ToolCallEntry[]> {
    const entries = await this.redis.xrevrange(this.keys.toolCalls, '+', '-', 'COUNT', count);
    return entries.map(([, fields]) => ToolCallEntry.parse(JSON.parse(fields[1] ?? '{}')));
  }

  async versions(name: string): Promise<ToolVersion[]> {
    const all = await this.redis.hvals(this.keys.toolVersions(name));
    return all
      .map((raw) => ToolVersion.parse(JSON.parse(raw)))
      .sort((a, b) => a.version - b.version);
  }

  /** Every tool; with `user`, each says which version that person runs. */
  async list(user?: string): Promise<ToolSummary[]> {
    const names = await this.redis.zrevrange(this.keys.tools, 0, -1);
    const tools = await Promise.all(names.map(async (name) => this.summary(name, user)));
    return tools.filter((t): t is ToolSummary => t !== null);
  }

  async summary(name: string, user?: string): Promise<ToolSummary | null> {
    const hash = await this.redis.hgetall(this.keys.tool(name));
    const current = await this.get(name);
    if (!hash.name || !current) return null;
    return {
      name,
      description: current.description,
      version: current.version,
      versions: Number(hash.versions),
      updatedAt: Number(hash.updatedAt),
      author: current.author,
      ...(user === undefined ? {} : { using: await this.pinOf(name, user) }),
    };
  }

  /** Name and description of the newest `limit` tools, newest first: the classifier's catalogue. */
  async briefs(limit = 200): Promise<{ name: string; description: string }[]> {
    const names = await this.redis.zrevrange(this.keys.tools, 0, limit - 1);
    const tools = await Promise.all(names.map((name) => this.get(name)));
    return tools
      .filter((t): t is ToolVersion => t !== null)
      .map((t) => ({ name: t.name, description: t.description }));
  }

  /** A compact list for prompts: one line per tool with its args. */
  async catalog(): Promise<string> {
    const names = await this.redis.zrevrange(this.keys.tools, 0, 199);
    const tools = await Promise.all(names.map((name) => this.get(name)));
    return tools
      .filter((t): t is ToolVersion => t !== null)
      .map((t) => `- ${t.name}: ${t.description} | args: ${JSON.stringify(t.args)}`)
      .join('\n');
  }

  /** Restores an old version by registering a copy of it as the newest version. */
  async revert(name: string, version: number, author: string): Promise<number | null> {
    const old = await this.get(name, version);
    if (!old) return null;
    const { version: _v, createdAt: _c, ...rest } = old;
    const count = await this.redis.hget(this.keys.tool(name), 'versions');
    return this.register(`revert.${count}.${version}`, {
      ...rest,
      author,
      origin: 'reverted',
      note: `Restored version ${version}`,
    });
  }

  /** Records an execution or repair for the library panel (last 50 kept). */
  async recordActivity(name: string, entry: Record<string, unknown>): Promise<void> {
    const key = this.keys.toolActivity(name);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify({ at: Date.now(), ...entry }))
      .ltrim(key, 0, 49)
      .exec();
  }

  async activity(name: string): Promise<Record<string, unknown>[]> {
    const raw = await this.redis.lrange(this.keys.toolActivity(name), 0, -1);
    return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** True the first time a (version, error) pair is seen: only then is a repair worth trying. */
  async firstRepairOf(name: string, fingerprint: string): Promise<boolean> {
    const set = await this.redis.set(
      this.keys.toolRepairSeen(name, fingerprint),
      '1',
      'EX',
      86_400,
      'NX',
    );
    return set === 'OK';
  }
}
