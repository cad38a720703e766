import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolStore, UserStore, redisKeys, type NewToolVersion } from '@hyperdesk/shared';
import { connect, dropPrefix, testPrefix } from './support/redis';

function version(name: string, author: string, code: string): NewToolVersion {
  return {
    name,
    description: 'a tool',
    args: { type: 'object' },
    returns: { type: 'object' },
    examples: [{ args: {} }],
    code,
    author,
    capabilities: [],
    origin: 'written',
  };
}

describe('ToolStore: pinned versions and per-version grants against real Redis', () => {
  let redis: Redis;
  const prefix = testPrefix('toolstore');
  const keys = redisKeys(prefix);
  let tools: ToolStore;
  let users: UserStore;

  beforeAll(async () => {
    redis = await connect();
    tools = new ToolStore(redis, keys);
    users = new UserStore(redis, keys);
  });
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('gives each person the version they wrote, accepted or first used', async () => {
    expect(await tools.register('b1', version('clock', 'ann', 'v1'))).toBe(1);
    // A repeated build registers nothing new.
    expect(await tools.register('b1', version('clock', 'ann', 'v1'))).toBe(1);
    expect((await tools.forUser('clock', 'cy'))?.code).toBe('v1');
    expect(await tools.register('b2', version('clock', 'bo', 'v2'))).toBe(2);

    expect((await tools.forUser('clock', 'ann'))?.version).toBe(1);
    expect((await tools.forUser('clock', 'bo'))?.version).toBe(2);
    expect((await tools.forUser('clock', 'cy'))?.version).toBe(1);
    // Someone who never used it starts with the newest, and keeps it.
    expect(await tools.pinOf('clock', 'dee')).toBeNull();
    expect((await tools.forUser('clock', 'dee'))?.version).toBe(2);
    await tools.register('b3', version('clock', 'ann', 'v3'));
    expect((await tools.forUser('clock', 'dee'))?.version).toBe(2);

    expect((await tools.accept('clock', 'cy'))?.version).toBe(3);
    expect((await tools.accept('clock', 'cy', 1))?.version).toBe(1);
    expect(await tools.accept('clock', 'cy', 7)).toBeNull();
    expect(await tools.pinOf('clock', 'cy')).toBe(1);
    expect(await tools.list('cy')).toEqual([
      expect.objectContaining({ name: 'clock', version: 3, author: 'ann', using: 1 }),
    ]);

    // The audit log has every version with its author.
    const audit = (await users.auditLog()).map((e) => `${e.actor} ${e.action} ${e.detail}`);
    expect(audit.reverse()).toEqual([
      'ann tool.version version 1 (written)',
      'bo tool.version version 2 (written)',
      'ann tool.version version 3 (written)',
    ]);
  });

  it('grants network to one version only, and turns an old name grant into a version grant', async () => {
    await tools.register('n1', version('fetcher', 'ann', 'v1'));
    await tools.setNetworkGrant('fetcher', 1, true);
    await tools.register('n2', version('fetcher', 'bo', 'v2'));
    expect((await tools.get('fetcher', 1))?.capabilities).toEqual(['network']);
    expect((await tools.get('fetcher', 2))?.capabilities).toEqual([]);
    await tools.setNetworkGrant('fetcher', 1, false);
    expect((await tools.get('fetcher', 1))?.capabilities).toEqual([]);

    // A grant as earlier releases stored it: on the tool's name.
    await redis.hset(keys.tool('fetcher'), 'network', '1');
    expect(await tools.migrateNameGrants()).toBe(1);
    expect(await tools.migrateNameGrants()).toBe(0);
    expect((await tools.get('fetcher', 2))?.capabilities).toEqual(['network']);
    expect((await tools.get('fetcher', 1))?.capabilities).toEqual([]);
  });

  it('keeps the calls it is told about, newest first', async () => {
    await tools.recordCall({ user: 'ann', tool: 'clock', version: 1, network: false, ok: true });
    await tools.recordCall({
      user: 'bo',
      tool: 'fetcher',
      version: 2,
      network: true,
      ok: false,
      appId: 'app_x',
    });
    expect((await tools.calls()).map((c) => `${c.user} ${c.tool} v${c.version}`)).toEqual([
      'bo fetcher v2',
      'ann clock v1',
    ]);
  });
});
