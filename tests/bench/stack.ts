/**
 * The whole system for one benchmark: the test stack (launcher in demo mode, every service a
 * process, private Redis prefix) with the python-runner on a free port and a private
 * workspace, so the runner can also be called directly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports';
import { startStack, type Stack } from '../support/stack';
import type { BenchContext, RunnerHealth } from './bench';

/**
 * The gateway's per-person limits (requests per minute, runs in progress, daily tokens) are
 * policy, not speed: raised far above what a benchmark sends so no call is refused. Their
 * checks still run on every request.
 */
export const PER_USER_LIMITS_OFF = {
  REQUESTS_PER_MINUTE: '100000000',
  MAX_ACTIVE_RUNS: '100000',
  DAILY_TOKEN_BUDGET: '1000000000000',
};

export interface BenchStack extends Stack {
  runnerUrl: string;
  runner: RunnerHealth;
}

async function runnerHealth(url: string): Promise<RunnerHealth> {
  const deadline = Date.now() + 20_000;
  let problem = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return (await res.json()) as RunnerHealth;
      problem = `HTTP ${res.status}`;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the python-runner at ${url} did not answer /health (${problem})`);
}

export async function startBenchStack(
  ctx: BenchContext,
  name: string,
  env: Record<string, string> = {},
): Promise<BenchStack> {
  const runnerPort = await freePort();
  const workspace = await mkdtemp(join(tmpdir(), 'hyperdesk-bench-'));
  const started = Date.now();
  const stack = await startStack(
    `bench-${name}`,
    {
      RUNNER_PORT: String(runnerPort),
      RUNNER_WORKSPACE: workspace,
      LOG_LEVEL: 'warn',
      ...PER_USER_LIMITS_OFF,
      ...env,
    },
    // As `npm start` runs them: the bundles `npm run bench` builds first.
    { built: true },
  );
  const runnerUrl = `http://127.0.0.1:${runnerPort}`;
  try {
    const runner = await runnerHealth(runnerUrl);
    ctx.noteRunner(runner);
    ctx.log(`stack up in ${Date.now() - started} ms (${stack.baseUrl}, runner ${runnerUrl})`);
    return {
      ...stack,
      runnerUrl,
      runner,
      stop: async () => {
        await stack.stop();
        await rm(workspace, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stack.stop();
    await rm(workspace, { recursive: true, force: true });
    throw err;
  }
}
