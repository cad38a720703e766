import type { Redis } from 'ioredis';
import { ToolVersion, type ToolSummary } from './contracts/tool';
import type { RedisKeys } from './keys';

// Registers a version unless this build already registered one. Returns the version number.
const REGISTER = `
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then return tonumber(existing) end
local v = redis.call('HINCRBY', KEYS[1], 'versions', 1)
local doc = '{"version":' .. v .. ',' .. string.sub(ARGV[3], 2)
redis.call('HSET', KEYS[2], v, doc)
redis.call('HSET', KEYS[1], 'name', ARGV[4], 'current', v, 'updatedAt', ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], v)
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[4])
return v
`;

export type NewToolVersion = Omit<ToolVersion, 'version' | 'createdAt'>;

/** The team's tool library: every tested version of every tool, and which one is current. */
export class ToolStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Stores a tested version and makes it current. `buildId` makes a repeat a no-op. */
  async register(buildId: string, tool: NewToolVersion): Promise<number> {
    const now = Date.now();
    const doc = JSON.stringify({ ...tool, createdAt: now });
    return (await this.redis.eval(
      REGISTER,
      4,
      this.keys.tool(tool.name),
      this.keys.toolVersions(tool.name),
      this.keys.toolBuilds(tool.name),
      this.keys.tools,
      buildId,
      String(now),
      doc,
      tool.name,
    )) as number;
  }

  /**
   * A version (the current one by default). Capabilities granted by an admin belong to the
   * tool, not to a version, so they survive repairs and reverts.
   */
  async get(name: string, version?: number): Promise<ToolVersion | null> {
    const [current, network] = await this.redis.hmget(this.keys.tool(name), 'current', 'network');
    const wanted = version ?? Number(current);
    if (!wanted) return null;
    const raw = await this.redis.hget(this.keys.toolVersions(name), String(wanted));
    if (!raw) return null;
    const tool = ToolVersion.parse(JSON.parse(raw));
    return { ...tool, capabilities: network === '1' ? ['network'] : [] };
  }

  async setNetworkGrant(name: string, network: boolean): Promise<void> {
    await this.redis.hset(this.keys.tool(name), 'network', network ? '1' : '0');
  }

  async versions(name: string): Promise<ToolVersion[]> {
    const all = await this.redis.hvals(this.keys.toolVersions(name));
    return all
      .map((raw) => ToolVersion.parse(JSON.parse(raw)))
      .sort((a, b) => a.version - b.version);
  }

  async list(): Promise<ToolSummary[]> {
    const names = await this.redis.zrevrange(this.keys.tools, 0, -1);
    const tools = await Promise.all(names.map(async (name) => this.summary(name)));
    return tools.filter((t): t is ToolSummary => t !== null);
  }

  async summary(name: string): Promise<ToolSummary | null> {
    const hash = await this.redis.hgetall(this.keys.tool(name));
    const current = await this.get(name);
    if (!hash.name || !current) return null;
    return {
      name,
      description: current.description,
      version: current.version,
      versions: Number(hash.versions),
      updatedAt: Number(hash.updatedAt),
    };
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
