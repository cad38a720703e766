/**
 * Readies this machine for Hyperdesk as local processes: probes it, installs the missing
 * system packages where it may (root, or sudo without a password, and apt-get), and starts a
 * private Redis when none answers and none is configured. Shared by the launcher
 * (`scripts/start.ts`) and the test run's global setup (`tests/global-setup.ts`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { checkPrerequisites, reportLines, type Machine, type Prerequisites } from './prerequisites';
import { redisAnswers, startPrivateRedis, type PrivateRedis } from './private-redis';

/** A prerequisite is missing and cannot be installed here; the message says what to do. */
export class MachineNotReady extends Error {}

export interface MachineSettings {
  /** REDIS_URL as set, undefined when unset (or empty). */
  redisUrl?: string;
  chromiumPath?: string;
  /** PATH to look commands up on. */
  path?: string;
  /** Without REDIS_URL: the port on 127.0.0.1 where a Redis is used, or started when none answers. */
  localRedisPort: number;
}

function onPath(name: string, searchPath: string): boolean {
  return searchPath.split(':').some((dir) => dir && existsSync(path.join(dir, name)));
}

function localRedisUrl(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

/** The real machine, as `checkPrerequisites` sees it. */
export async function probeMachine(settings: MachineSettings): Promise<Machine> {
  const searchPath = settings.path ?? '';
  return {
    hasCommand: (name) => onPath(name, searchPath),
    exists: (file) => existsSync(file),
    uid: process.getuid?.() ?? -1,
    passwordlessSudo: () =>
      spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', env: { PATH: searchPath } }).status ===
      0,
    ...(settings.chromiumPath ? { chromiumPath: settings.chromiumPath } : {}),
    ...(settings.redisUrl ? { redisUrl: settings.redisUrl } : {}),
    localRedisUrl: localRedisUrl(settings.localRedisPort),
    redisAnswers: await redisAnswers(settings.redisUrl ?? localRedisUrl(settings.localRedisPort)),
  };
}

/** Runs apt-get (update, then install) as planned; throws with apt's last lines on failure. */
function runInstall(install: NonNullable<Prerequisites['install']>, searchPath: string): void {
  const env = { ...process.env, PATH: searchPath, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', ...install.packages],
  ]) {
    const command = install.sudo ? ['sudo', '-n', ...args] : args;
    const result = spawnSync(command[0] ?? 'apt-get', command.slice(1), { env, encoding: 'utf8' });
    if (result.status !== 0) {
      const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-3);
      throw new MachineNotReady(
        `\`${command.join(' ')}\` failed${result.error ? ` (${result.error.message})` : ''}: ${tail.join(' | ')}`,
      );
    }
  }
}

export interface ReadyMachine {
  /** The Redis every service uses: REDIS_URL, the default one, or the private one. */
  redisUrl: string;
  /** The private Redis this session started, if any. */
  privateRedis: PrivateRedis | null;
}

export interface PrepareOptions extends MachineSettings {
  /** Where a private Redis keeps its data, whether it persists it (append-only file), and whether it outlives a Ctrl-C to stop after the services. */
  privateRedis: { dir: string; persistent: boolean; ownProcessGroup: boolean };
  /** One line to the person. */
  say: (line: string) => void;
}

/**
 * Checks every prerequisite at once and reports them together; installs what it may; starts a
 * private Redis when needed. Throws `MachineNotReady` with the lines to show when something
 * is still missing.
 */
export async function prepareMachine(options: PrepareOptions): Promise<ReadyMachine> {
  const searchPath = options.path ?? '';
  let found = checkPrerequisites(await probeMachine(options));
  // With a problem no package fixes, nothing is installed: everything is reported at once.
  if (found.problems.length > 0) found = { ...found, install: null };
  const lines = reportLines(found);
  if (found.install) {
    for (const line of lines) options.say(line);
    runInstall(found.install, searchPath);
    found = checkPrerequisites(await probeMachine(options));
    if (found.missing.length > 0) {
      throw new MachineNotReady(
        `still missing after apt-get install: ${found.missing.map((m) => m.name).join(', ')}`,
      );
    }
  } else if (lines.length > 0) {
    throw new MachineNotReady(lines.join('\n'));
  }
  if (!found.privateRedis) return { redisUrl: found.redisUrl, privateRedis: null };
  const redis = await startPrivateRedis({
    port: options.localRedisPort,
    dir: options.privateRedis.dir,
    persistent: options.privateRedis.persistent,
    ownProcessGroup: options.privateRedis.ownProcessGroup,
  }).catch((err: unknown) => {
    throw new MachineNotReady(err instanceof Error ? err.message : String(err));
  });
  return { redisUrl: redis.url, privateRedis: redis };
}
