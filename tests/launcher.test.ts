import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisAnswers } from '../scripts/private-redis';
import { checkPrerequisites, reportLines, type Machine } from '../scripts/prerequisites';
import { freePort, freePorts } from './support/ports';
import { redisUrl, testPrefix } from './support/redis';
import { stopProcessGroup } from './support/stack';

const root = fileURLToPath(new URL('..', import.meta.url));

function launch(env: Record<string, string>, demo = false) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/start.ts', ...(demo ? ['--demo'] : [])],
    { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 },
  );
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const temporary: string[] = [];
function tempDir(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `hd-${name}-`));
  temporary.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A machine with nothing on it: no command on PATH, no Chromium, no Redis answering. */
function bareMachine(overrides: Partial<Machine> & { commands?: string[] } = {}): Machine {
  const { commands = [], ...rest } = overrides;
  return {
    hasCommand: (name) => commands.includes(name),
    exists: () => false,
    uid: 1000,
    passwordlessSudo: () => false,
    localRedisUrl: 'redis://127.0.0.1:6379',
    redisAnswers: false,
    ...rest,
  };
}

const EVERYTHING = [
  'redis-server — no Redis answers at redis://127.0.0.1:6379, so a private one is started',
  'bubblewrap — tools run in its sandbox',
  'python3 — tools are Python',
  'Chromium — apps are checked in it',
];

describe('the prerequisite check', () => {
  it('on a bare machine reports everything at once, and without apt-get names the packages', () => {
    const found = checkPrerequisites(bareMachine());
    expect(found.missing.map((m) => `${m.name} — ${m.why}`)).toEqual(EVERYTHING);
    expect(found.privateRedis).toBe(true);
    expect(found.install).toBeNull();
    expect(found.advice).toBeNull();
    expect(reportLines(found)).toEqual([
      "missing: redis-server (no Redis answers at redis://127.0.0.1:6379, so a private one is started), bubblewrap (tools run in its sandbox), python3 (tools are Python), Chromium (apps are checked in it). Install redis-server, bubblewrap, python3, chromium with your system's package manager and start again.",
    ]);
  });

  it('as root with apt-get, plans to install the packages itself and says so in one line', () => {
    const found = checkPrerequisites(bareMachine({ uid: 0, commands: ['apt-get'] }));
    expect(found.install).toEqual({
      packages: ['redis-server', 'bubblewrap', 'python3', 'chromium'],
      sudo: false,
    });
    expect(reportLines(found)).toEqual([
      'installing redis-server bubblewrap python3 chromium with apt-get: redis-server (no Redis answers at redis://127.0.0.1:6379, so a private one is started), bubblewrap (tools run in its sandbox), python3 (tools are Python), Chromium (apps are checked in it)',
    ]);
  });

  it('with sudo that needs no password, installs through sudo', () => {
    const found = checkPrerequisites(
      bareMachine({ commands: ['apt-get', 'sudo'], passwordlessSudo: () => true }),
    );
    expect(found.install).toEqual({
      packages: ['redis-server', 'bubblewrap', 'python3', 'chromium'],
      sudo: true,
    });
    expect(reportLines(found)[0]).toMatch(/^installing .* with sudo apt-get: /);
  });

  it('where sudo asks for a password, prints the one command that would install them', () => {
    const found = checkPrerequisites(bareMachine({ commands: ['apt-get', 'sudo'] }));
    expect(found.install).toBeNull();
    expect(found.advice).toBe('sudo apt-get install -y redis-server bubblewrap python3 chromium');
    expect(reportLines(found)).toEqual([
      expect.stringMatching(
        /^missing: .*\. Install them with `sudo apt-get install -y redis-server bubblewrap python3 chromium` and start again\.$/,
      ),
    ]);
  });

  it('a configured Redis that does not answer is reported, not replaced by a private one', () => {
    const found = checkPrerequisites(
      bareMachine({ redisUrl: 'redis://:secret@10.0.0.9:6380', commands: ['bwrap', 'python3'] }),
    );
    expect(found.privateRedis).toBe(false);
    expect(found.missing.map((m) => m.name)).toEqual(['Chromium']);
    expect(found.problems).toEqual([
      'Redis is not reachable at redis://***@10.0.0.9:6380. Start it, or unset REDIS_URL to have a private one started.',
    ]);
  });

  it('a CHROMIUM_PATH that does not exist is a problem no package fixes', () => {
    const found = checkPrerequisites(
      bareMachine({ chromiumPath: '/opt/chrome/chrome', commands: ['bwrap', 'python3'] }),
    );
    expect(found.missing.map((m) => m.name)).toEqual(['redis-server']);
    expect(found.problems).toEqual([
      'Chromium was not found at /opt/chrome/chrome (CHROMIUM_PATH).',
    ]);
  });

  it('with everything present it has nothing to say and never asks sudo', () => {
    let askedSudo = false;
    const found = checkPrerequisites({
      ...bareMachine({ commands: ['bwrap', 'python3', 'redis-server', 'apt-get', 'sudo'] }),
      exists: (file) => file === '/usr/bin/chromium',
      passwordlessSudo: () => (askedSudo = true),
      redisAnswers: true,
    });
    expect(reportLines(found)).toEqual([]);
    expect(found.privateRedis).toBe(false);
    expect(found.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(askedSudo).toBe(false);
  });
});

describe('npm start says what is missing', () => {
  it('everything at once, one line each, before starting anything', async () => {
    const port = await freePort();
    const { code, output } = launch(
      {
        PATH: tempDir('empty-path'),
        REDIS_URL: `redis://127.0.0.1:${port}`,
        CHROMIUM_PATH: '/nonexistent/chromium',
      },
      true,
    );
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(
        /missing: bubblewrap \(tools run in its sandbox\), python3 \(tools are Python\)\. Install bubblewrap, python3 with your system's package manager and start again\.$/,
      ),
      expect.stringMatching(
        new RegExp(
          `Redis is not reachable at redis://127\\.0\\.0\\.1:${port}\\. Start it, or unset REDIS_URL`,
        ),
      ),
      expect.stringMatching(
        /Chromium was not found at \/nonexistent\/chromium \(CHROMIUM_PATH\)\.$/,
      ),
    ]);
  });

  it('when the configured Redis cannot be reached', async () => {
    const port = await freePort();
    const { code, output } = launch({ REDIS_URL: `redis://127.0.0.1:${port}` }, true);
    expect(code).toBe(1);
    expect(output).toMatch(
      /Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+\. Start it, or unset REDIS_URL/,
    );
    expect(output.trim().split('\n')).toHaveLength(1);
  });

  it('when the model cannot be reached', async () => {
    const port = await freePort();
    const { code, output } = launch({
      REDIS_URL: await redisUrl(),
      LLM_PROVIDER: 'ollama',
      LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
      LLM_TIMEOUT_MS: '2000',
    });
    expect(code).toBe(1);
    expect(output).toMatch(
      /The model is not reachable \(provider ollama at http:\/\/127\.0\.0\.1:\d+\/v1\)/,
    );
    expect(output).toMatch(/npm run demo/);
  });
});

describe('without REDIS_URL and no Redis answering', () => {
  it('the launcher runs a private Redis for the session and stops it with itself', async () => {
    const [port, simPort, runnerPort, redisPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const metricsBase = await freePorts(3);
    const dir = path.join(tempDir('launcher-redis'), 'redis');
    const prefix = testPrefix('launcher-redis');
    const { REDIS_URL: _configured, ...env } = process.env;
    let output = '';
    const launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--demo'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LLM_SIM_PORT: String(simPort),
        RUNNER_PORT: String(runnerPort),
        METRICS_PORT: String(metricsBase),
        RUNNER_WORKSPACE: tempDir('launcher-workspace'),
        LOCAL_REDIS_PORT: String(redisPort),
        LOCAL_REDIS_DIR: dir,
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      },
    });
    launcher.stdout.on('data', (d: Buffer) => (output += d.toString()));
    launcher.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const url = `redis://127.0.0.1:${redisPort}`;
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await expect
        .poll(() => output, { timeout: 90_000 })
        .toMatch(/ready at http:\/\/localhost:\d+ \(demo mode/);
      expect(output).toContain(
        `REDIS_URL is unset and no Redis answers at ${url}: started a private redis-server for this session`,
      );
      expect(existsSync(dir)).toBe(true);
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      // The services were handed the private Redis: they are its clients.
      const clients = String(await client.call('CLIENT', 'LIST'));
      for (const name of ['gateway', 'planner', 'tool-manager', 'app-generator']) {
        expect(clients).toMatch(new RegExp(`name=${name}\\b`));
      }
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      client.disconnect();

      await stopProcessGroup(launcher);
      expect(launcher.exitCode ?? launcher.signalCode).not.toBeNull();
      await expect.poll(() => redisAnswers(url, 500)).toBe(false);
      expect(existsSync(path.join(dir, 'appendonlydir'))).toBe(true);
    } finally {
      client.disconnect();
      await stopProcessGroup(launcher);
    }
  });
});
