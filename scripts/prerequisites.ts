/**
 * What a machine needs before Hyperdesk runs on it as local processes (`npm start`,
 * `npm run demo`, `npm test`), and how each missing piece gets there. Pure: the machine is
 * described by a `Machine` (which commands and files exist, who we are, what Redis answers),
 * so the decision can be tested against any machine; `scripts/machine.ts` probes the real one
 * and carries the plan out.
 */
import { redactUrl } from '@hyperdesk/shared';

/** The Chromium the app checks use unless CHROMIUM_PATH says otherwise (Debian's package). */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export interface Machine {
  /** Whether a command is on PATH. */
  hasCommand(name: string): boolean;
  /** Whether a file exists. */
  exists(path: string): boolean;
  uid: number;
  /** Whether `sudo` runs without a password (asked only when something must be installed). */
  passwordlessSudo(): boolean;
  /** CHROMIUM_PATH, when set. */
  chromiumPath?: string;
  /** REDIS_URL as configured; undefined when the person set none. */
  redisUrl?: string;
  /** Without REDIS_URL: the Redis on this machine that is used, or started when none answers. */
  localRedisUrl: string;
  /** Whether a Redis answers PING at the URL in effect (REDIS_URL, or the local one). */
  redisAnswers: boolean;
}

export interface MissingPiece {
  /** What is missing, as a person would name it. */
  name: string;
  /** What Hyperdesk needs it for. */
  why: string;
  /** The Debian/Ubuntu package that provides it. */
  aptPackage: string;
}

export interface Prerequisites {
  missing: MissingPiece[];
  /** Problems no package fixes, one line each (a configured Redis that does not answer, …). */
  problems: string[];
  /** No Redis answers and none is configured: a private redis-server is started for the session. */
  privateRedis: boolean;
  /** The Redis URL the services will use. */
  redisUrl: string;
  /** The packages to install here and now with apt-get (through sudo or not), or null when they cannot be. */
  install: { packages: string[]; sudo: boolean } | null;
  /** The one command that installs them, for a person to run (null: nothing missing, or no apt-get). */
  advice: string | null;
}

/** Decides what is missing on `machine` and how it can be installed. */
export function checkPrerequisites(machine: Machine): Prerequisites {
  const missing: MissingPiece[] = [];
  const problems: string[] = [];
  const redisUrl = machine.redisUrl ?? machine.localRedisUrl;
  const privateRedis = !machine.redisAnswers && machine.redisUrl === undefined;

  if (!machine.redisAnswers && machine.redisUrl !== undefined) {
    problems.push(
      `Redis is not reachable at ${redactUrl(redisUrl)}. Start it, or unset REDIS_URL to have a private one started.`,
    );
  }
  if (privateRedis && !machine.hasCommand('redis-server')) {
    missing.push({
      name: 'redis-server',
      why: `no Redis answers at ${redisUrl}, so a private one is started`,
      aptPackage: 'redis-server',
    });
  }
  if (!machine.hasCommand('bwrap')) {
    missing.push({ name: 'bubblewrap', why: 'tools run in its sandbox', aptPackage: 'bubblewrap' });
  }
  if (!machine.hasCommand('python3')) {
    missing.push({ name: 'python3', why: 'tools are Python', aptPackage: 'python3' });
  }
  const chromium = machine.chromiumPath ?? DEFAULT_CHROMIUM;
  if (!machine.exists(chromium)) {
    if (chromium === DEFAULT_CHROMIUM) {
      missing.push({ name: 'Chromium', why: 'apps are checked in it', aptPackage: 'chromium' });
    } else {
      problems.push(`Chromium was not found at ${chromium} (CHROMIUM_PATH).`);
    }
  }

  const packages = missing.map((m) => m.aptPackage);
  const apt = machine.hasCommand('apt-get');
  let install: Prerequisites['install'] = null;
  if (packages.length > 0 && apt) {
    if (machine.uid === 0) install = { packages, sudo: false };
    else if (machine.hasCommand('sudo') && machine.passwordlessSudo()) {
      install = { packages, sudo: true };
    }
  }
  const advice =
    packages.length > 0 && apt
      ? `${machine.uid === 0 ? '' : 'sudo '}apt-get install -y ${packages.join(' ')}`
      : null;
  return { missing, problems, privateRedis, redisUrl, install, advice };
}

/** `bubblewrap (tools run in its sandbox), Chromium (apps are checked in it)`. */
export function describeMissing(missing: MissingPiece[]): string {
  return missing.map((m) => `${m.name} (${m.why})`).join(', ');
}

/**
 * What the person reads before anything is installed or started: one line saying what will
 * be installed and why, or what is missing and the command that installs it, plus one line
 * per problem no package fixes. Empty when nothing is missing.
 */
export function reportLines(found: Prerequisites): string[] {
  const lines: string[] = [];
  if (found.missing.length > 0) {
    const packages = found.missing.map((m) => m.aptPackage);
    const what = describeMissing(found.missing);
    if (found.install) {
      const how = found.install.sudo ? 'sudo apt-get' : 'apt-get';
      lines.push(`installing ${packages.join(' ')} with ${how}: ${what}`);
    } else if (found.advice) {
      lines.push(`missing: ${what}. Install them with \`${found.advice}\` and start again.`);
    } else {
      lines.push(
        `missing: ${what}. Install ${packages.join(', ')} with your system's package manager and start again.`,
      );
    }
  }
  lines.push(...found.problems);
  return lines;
}
