import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, freePorts } from './ports';
import { dropPrefix, redisUrl, testPrefix } from './redis';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Stack {
  baseUrl: string;
  wsUrl: string;
  /** The simulator's origin (it answers only in demo mode). */
  simUrl: string;
  /** The workers' /metrics origins: planner, tool-manager, app-generator. */
  workerMetricsUrls: string[];
  prefix: string;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the whole system the way a person does (`npm run demo`: the launcher, every
 * service as its own process, the simulator as the model; with `demo: false`, `npm start`
 * and the model `extraEnv` names) on free ports and a private Redis prefix, and waits until
 * the gateway is healthy. The services run from source through tsx, or with `built: true`
 * from their bundles (`npm run build`), as `npm start` runs them.
 */
export async function startStack(
  name: string,
  extraEnv: Record<string, string> = {},
  options: { demo?: boolean; built?: boolean } = {},
): Promise<Stack> {
  try {
    return await startOnce(name, extraEnv, options);
  } catch (err) {
    // A port found free can still be taken by a process outside the suite before a service
    // binds it; that says nothing about Hyperdesk, so the stack starts once more on others.
    if (!(err instanceof Error && err.message.includes('EADDRINUSE'))) throw err;
    return startOnce(name, extraEnv, options);
  }
}

async function startOnce(
  name: string,
  extraEnv: Record<string, string>,
  { demo = true, built = false }: { demo?: boolean; built?: boolean },
): Promise<Stack> {
  // Every port private to this stack: test files run in parallel, each with its own stack.
  const [port, simPort, runnerPort] = [await freePort(), await freePort(), await freePort()];
  const metricsBase = await freePorts(3);
  const prefix = testPrefix(name);
  const url = extraEnv.REDIS_URL ?? (await redisUrl());
  let log = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/start.ts',
      ...(demo ? ['--demo'] : []),
      ...(built ? ['--built'] : []),
    ],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LLM_SIM_PORT: String(simPort),
        RUNNER_PORT: String(runnerPort),
        METRICS_PORT: String(metricsBase),
        REDIS_URL: url,
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        ...extraEnv,
      },
    },
  );
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcessGroup(child);
    const redis = new Redis(url);
    await dropPrefix(redis, prefix);
    redis.disconnect();
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || log.includes('EADDRINUSE')) break;
    try {
      const res = await fetch(`${baseUrl}/health`);
      // Jobs wait in Redis until a worker takes them, so workers still starting only
      // delay the first run.
      if (res.ok) {
        return {
          baseUrl,
          wsUrl: `ws://127.0.0.1:${port}/ws`,
          simUrl: `http://127.0.0.1:${simPort}`,
          workerMetricsUrls: [0, 1, 2].map((i) => `http://127.0.0.1:${metricsBase + i}/metrics`),
          prefix,
          output: () => log,
          stop,
        };
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`stack did not become healthy:\n${log}`);
}

/** SIGTERM to a detached child's process group, SIGKILL if it is still there after 5 s. */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.pid) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
}
