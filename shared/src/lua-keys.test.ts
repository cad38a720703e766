import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Redis Cluster runs a script only when every key it touches is declared in KEYS (and they
 * share a slot). Every `redis.call` in the scripts of this package names its key as
 * `KEYS[n]`; only commands without a key (PUBLISH names a channel) may do otherwise.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const KEYLESS = new Set(['PUBLISH']);
/** Commands that take several keys: every argument must be one of KEYS. */
const MULTI_KEY = /^(SMOVE|RPOPLPUSH|LMOVE|RENAME|\w+STORE|MGET|DEL|UNLINK|EXISTS)$/i;
const ALL_KEYS = /^KEYS\[\d+\](\s*,\s*KEYS\[\d+\])*$/;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('Lua scripts', () => {
  it('name every key they touch in KEYS', async () => {
    const calls: string[] = [];
    const undeclared: string[] = [];
    for (const file of await sources(here)) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/redis\.call\('(\w+)',\s*([^,)]+)([^)]*)\)/g)) {
        const [call, command = '', key = '', rest = ''] = m;
        calls.push(call);
        if (MULTI_KEY.test(command) && !ALL_KEYS.test(`${key}${rest}`.trim())) {
          undeclared.push(`${path.basename(file)}: ${call}`);
        } else if (!KEYLESS.has(command.toUpperCase()) && !/^KEYS\[\d+\]$/.test(key.trim())) {
          undeclared.push(`${path.basename(file)}: ${call}`);
        }
      }
    }
    // The scan finds the scripts (runs, apps, tools, app data), so an empty result means something.
    expect(calls.length).toBeGreaterThan(10);
    expect(undeclared).toEqual([]);
  });
});
