import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const runnerEntry = fileURLToPath(new URL('../../python-runner/server.py', import.meta.url));

export interface Runner {
  url: string;
  port: number;
  workspace: string;
  /** The runner process, to signal it. */
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export interface Exited {
  code: number | null;
  output: string;
}

/**
 * Starts the real python-runner on a free port (RUNNER_PORT=0; it prints the port it got)
 * with a private workspace root, and waits until /health answers.
 */
export async function startRunner(env: Record<string, string> = {}): Promise<Runner> {
  const workspace = await mkdtemp(join(tmpdir(), 'hyperdesk-runner-test-'));
  const child = spawnRunner('python3', { RUNNER_WORKSPACE: workspace, ...env });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    await stopChild(child);
    await rm(workspace, { recursive: true, force: true });
  };
  try {
    const url = await listeningUrl(child, () => output);
    const res = await fetch(`${url}/health`);
    if (!res.ok) throw new Error(`/health answered ${res.status}`);
    return {
      url,
      port: Number(new URL(url).port),
      workspace,
      process: child,
      output: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts the runner expecting it to refuse to start; resolves with its exit code and output. */
export async function runnerExit(env: Record<string, string>, python: string): Promise<Exited> {
  const workspace = await mkdtemp(join(tmpdir(), 'hyperdesk-runner-test-'));
  const child = spawnRunner(python, { RUNNER_WORKSPACE: workspace, ...env });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  await rm(workspace, { recursive: true, force: true });
  return { code, output };
}

function spawnRunner(python: string, env: Record<string, string>): ChildProcess {
  return spawn(python, [runnerEntry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUNNER_HOST: '127.0.0.1', RUNNER_PORT: '0', ...env },
  });
}

async function listeningUrl(child: ChildProcess, output: () => string): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output());
    if (match?.[1]) return match[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`python-runner did not start:\n${output()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
