/**
 * `npm start` / `npm run demo`: every Hyperdesk service as a local process, one command.
 * First readies the machine (scripts/machine.ts): every prerequisite checked at once, missing
 * system packages installed where it may, a private Redis started when none answers and none
 * is configured. Then checks the model and says in one line what to do when it is missing;
 * restarts a service that dies, with backoff. With `--built` (what `npm start` passes, after
 * `npm run build`) the Node services run their bundles with plain node; without it they run
 * their TypeScript through tsx (the tests, so they always run the current source).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseEnv, LlmEnv, createLlmClient, parseEnv, resolveLlmConfig } from '@hyperdesk/shared';
import { z } from 'zod';
import { MachineNotReady, prepareMachine, type ReadyMachine } from './machine';
import { NODE_SERVICES, builtEntry, sourceEntry, type NodeServiceName } from './services';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = process.argv.includes('--demo');
const built = process.argv.includes('--built');

const LauncherEnv = BaseEnv.extend(LlmEnv.shape).extend({
  PORT: z.coerce.number().int().default(4000),
  /** The gateway's address: loopback unless a team server is meant (see README). */
  HOST: z.string().default('127.0.0.1'),
  LLM_SIM_PORT: z.coerce.number().int().default(4010),
  RUNNER_PORT: z.coerce.number().int().default(4020),
  /** Directory tools may read and write (the python-runner's workspace root). */
  RUNNER_WORKSPACE: z.string().default('.hyperdesk/workspace'),
  /**
   * First of the workers' /metrics ports: planner, tool-manager and app-generator listen on
   * it and the next two (on 127.0.0.1). Unset: PORT + 31 (4031–4033 by default). 0: off.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65533).optional(),
  /** Unset (or empty): the default Redis if one answers, else a private one for the session. */
  REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /**
   * Without REDIS_URL: the Redis on 127.0.0.1 at this port is used, and when none answers one
   * is started there for the session, keeping its data (append-only file) in LOCAL_REDIS_DIR.
   */
  LOCAL_REDIS_PORT: z.coerce.number().int().min(1).max(65535).default(6379),
  LOCAL_REDIS_DIR: z.string().default('.hyperdesk/redis'),
  CHROMIUM_PATH: z.string().optional(),
  PATH: z.string().default(''),
});

const METRICS_WORKERS = ['planner', 'tool-manager', 'app-generator'];

/** Each worker's METRICS_PORT, so services on one host do not collide. */
function metricsEnvFor(name: string, env: z.infer<typeof LauncherEnv>): Record<string, string> {
  const index = METRICS_WORKERS.indexOf(name);
  if (index < 0) return {};
  const base = env.METRICS_PORT ?? env.PORT + 31;
  return { METRICS_PORT: String(base === 0 ? 0 : base + index), METRICS_HOST: '127.0.0.1' };
}

interface ServiceSpec {
  name: string;
  /** The command and its arguments. */
  entry: string[];
  env?: Record<string, string>;
}

/** How a Node service is started: its bundle with node, or its source with tsx. */
function nodeEntry(name: NodeServiceName): string[] {
  const source = sourceEntry(name);
  return built
    ? [process.execPath, '--enable-source-maps', builtEntry(source)]
    : [process.execPath, '--import', 'tsx', source];
}

const COLORS = [36, 35, 33, 32, 34, 31];
const children = new Map<string, ChildProcess>();
const launched = new Set<string>();
let stopping = false;

function say(line: string): void {
  process.stdout.write(`\x1b[1mhyperdesk\x1b[0m ${line}\n`);
}

function start(spec: ServiceSpec, index: number, restarts = 0): void {
  const color = COLORS[index % COLORS.length] ?? 37;
  const label = `\x1b[${color}m${spec.name.padEnd(13)}\x1b[0m│ `;
  const [command, ...args] = spec.entry;
  const child = spawn(command ?? process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(spec.name, child);
  // The pid lets an operator (or a fault test) signal one service.
  say(
    `${spec.name} ${launched.has(spec.name) ? 'restarted' : 'started'} (pid ${child.pid ?? '?'})`,
  );
  launched.add(spec.name);
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) out.write(label + line + '\n');
    });
  };
  if (child.stdout) relay(child.stdout, process.stdout);
  if (child.stderr) relay(child.stderr, process.stderr);
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    children.delete(spec.name);
    if (stopping) return;
    // A service that ran for a while before dying starts over with a short delay.
    const attempt = Date.now() - startedAt > 30_000 ? 0 : restarts + 1;
    const delay = Math.min(500 * 2 ** attempt, 30_000);
    say(`${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    setTimeout(() => start(spec, index, attempt), delay).unref();
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return false;
}

async function main(): Promise<void> {
  const env = parseEnv(LauncherEnv, process.env);
  let machine: ReadyMachine;
  try {
    machine = await prepareMachine({
      ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
      ...(env.CHROMIUM_PATH ? { chromiumPath: env.CHROMIUM_PATH } : {}),
      path: env.PATH,
      localRedisPort: env.LOCAL_REDIS_PORT,
      // Its own process group: a Ctrl-C reaches the services, and Redis is stopped after them.
      privateRedis: {
        dir: path.resolve(root, env.LOCAL_REDIS_DIR),
        persistent: true,
        ownProcessGroup: true,
      },
      say,
    });
  } catch (err) {
    if (!(err instanceof MachineNotReady)) throw err;
    for (const line of err.message.split('\n')) say(line);
    process.exit(1);
  }
  const privateRedis = machine.privateRedis;
  if (privateRedis) {
    say(
      `REDIS_URL is unset and no Redis answers at ${privateRedis.url}: started a private redis-server for this session (pid ${privateRedis.pid}, data in ${privateRedis.dir.startsWith(root) ? path.relative(root, privateRedis.dir) : privateRedis.dir})`,
    );
    // Whatever way the launcher ends, its Redis ends with it.
    process.on('exit', () => privateRedis.kill());
    void privateRedis.exited.then(() => {
      if (!stopping) say(`the private Redis exited; its log: ${privateRedis.dir}/redis.log`);
    });
  }

  const missing = built
    ? NODE_SERVICES.map((s) => builtEntry(s.source)).filter((f) => !existsSync(`${root}${f}`))
    : [];
  if (missing.length > 0) {
    say(`${missing.join(', ')} not found: run \`npm run build\` first (npm start does).`);
    process.exit(1);
  }
  const shared: Record<string, string> = {
    REDIS_URL: machine.redisUrl,
    RUNNER_URL: `http://127.0.0.1:${env.RUNNER_PORT}`,
    GATEWAY_URL: `http://127.0.0.1:${env.PORT}`,
    HOST: env.HOST,
  };
  const services: ServiceSpec[] = [
    {
      name: 'python-runner',
      entry: ['python3', 'python-runner/server.py'],
      env: {
        RUNNER_PORT: String(env.RUNNER_PORT),
        RUNNER_HOST: '127.0.0.1',
        RUNNER_WORKSPACE: env.RUNNER_WORKSPACE,
      },
    },
  ];
  if (demo) {
    services.push({
      name: 'llm-sim',
      entry: nodeEntry('llm-sim'),
      env: { LLM_SIM_PORT: String(env.LLM_SIM_PORT) },
    });
    Object.assign(shared, {
      LLM_PROVIDER: 'sim',
      LLM_BASE_URL: `http://127.0.0.1:${env.LLM_SIM_PORT}/v1`,
    });
  } else {
    const config = resolveLlmConfig(env);
    if (!(await createLlmClient(config).ping())) {
      say(
        `The model is not reachable (provider ${config.provider} at ${config.baseURL}). Set LLM_PROVIDER and its API key (see README), start your local model, or run \`npm run demo\` to use the simulator.`,
      );
      process.exit(1);
    }
  }
  services.push(
    { name: 'gateway', entry: nodeEntry('gateway') },
    { name: 'planner', entry: nodeEntry('planner') },
    { name: 'tool-manager', entry: nodeEntry('tool-manager') },
    { name: 'app-generator', entry: nodeEntry('app-generator') },
  );
  services.forEach((spec, i) =>
    start({ ...spec, env: { ...shared, ...metricsEnvFor(spec.name, env), ...spec.env } }, i),
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopping = true;
      for (const child of children.values()) child.kill('SIGTERM');
      setTimeout(() => process.exit(0), 3000).unref();
      // The services first, then the private Redis they were using.
      const check = setInterval(() => {
        if (children.size > 0) return;
        clearInterval(check);
        void (privateRedis?.stop() ?? Promise.resolve()).then(() => process.exit(0));
      }, 50);
      check.unref();
    });
  }
  if (await waitForHttp(`http://127.0.0.1:${env.PORT}/health`, 30_000)) {
    say(`ready at http://localhost:${env.PORT}${demo ? ' (demo mode: simulated model)' : ''}`);
  }
}

main().catch((err: unknown) => {
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
