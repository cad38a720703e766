/**
 * `docker compose up` with no .env: the gateway (accounts mode, the admin variables passed as
 * empty strings, as compose passes them) creates the first admin with a generated password,
 * prints it once in one line of its log, and never again on a later start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/ports';
import { dropPrefix, redisUrl, testPrefix } from './support/redis';
import { stopProcessGroup } from './support/stack';

const root = fileURLToPath(new URL('..', import.meta.url));
const prefix = testPrefix('first-admin');
const running: ChildProcess[] = [];

afterAll(async () => {
  for (const child of running) await stopProcessGroup(child);
  const redis = new Redis(await redisUrl());
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** The gateway from source, as compose configures it without a .env; resolves once it answers. */
async function startGateway(): Promise<{ baseUrl: string; output: () => string }> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/src/server.ts'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_MODE: 'accounts',
      HYPERDESK_ADMIN_USER: '',
      HYPERDESK_ADMIN_PASSWORD: '',
      REDIS_URL: await redisUrl(),
      REDIS_PREFIX: prefix,
      LLM_PROVIDER: 'sim',
      LLM_BASE_URL: `http://127.0.0.1:${await freePort()}/v1`,
      RUNNER_URL: `http://127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'warn',
    },
  });
  running.push(child);
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await expect
    .poll(
      async () => {
        if (child.exitCode !== null) return `exited: ${output}`;
        return fetch(`${baseUrl}/health`).then(
          () => 'answers',
          () => 'not yet',
        );
      },
      { timeout: 60_000 },
    )
    .toBe('answers');
  return { baseUrl, output: () => output };
}

async function login(baseUrl: string, username: string, password: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return res.status;
}

describe('the first admin with nothing configured', () => {
  it('is created with a generated password printed once, in one line', async () => {
    const first = await startGateway();
    await expect.poll(() => first.output()).toContain('First admin');
    const lines = first
      .output()
      .split('\n')
      .filter((l) => l.includes('First admin'));
    expect(lines).toHaveLength(1);
    const match =
      /First admin created\. User: admin {2}Password: (\S+) {2}\(shown only this once;/.exec(
        lines[0] ?? '',
      );
    expect(match, first.output()).not.toBeNull();
    const password = match?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(await login(first.baseUrl, 'admin', password)).toBe(200);
    expect(await login(first.baseUrl, 'admin', `${password}x`)).toBe(401);

    // A later start (a restarted container) keeps that admin and prints nothing.
    const second = await startGateway();
    expect(second.output()).not.toContain('First admin');
    expect(await login(second.baseUrl, 'admin', password)).toBe(200);
  });
});
