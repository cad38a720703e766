import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startStack, type Stack } from '../tests/support/stack';

export type EvalStack = Stack;

export interface StackOptions {
  /** Start the simulator as the model (`--demo`). */
  sim: boolean;
  /** LLM_* settings for the services (provider, model, key variables). */
  llmEnv: Record<string, string>;
  /** Files for the tools' workspace, path → content. */
  workspace: Record<string, string>;
  /** Extra scenario folder for the simulator. */
  scenarios?: string;
}

/** Writes the suite's files into both workspaces tools see: tests (`default`) and calls (`local`). */
function prepareWorkspace(dir: string, files: Record<string, string>): void {
  for (const name of ['default', 'local']) {
    for (const [path, content] of Object.entries(files)) {
      const target = join(dir, name, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
}

/**
 * Starts every service through the launcher (as `npm start` / `npm run demo` do) on free
 * ports, a private Redis prefix and a scratch workspace holding the suite's files.
 */
export async function startEvalStack(options: StackOptions): Promise<EvalStack> {
  // The tools' workspace root (the runner makes it searchable for the uid tools run as).
  const scratch = mkdtempSync(join(tmpdir(), 'hyperdesk-eval-'));
  const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
  prepareWorkspace(scratch, options.workspace);
  try {
    const stack = await startStack(
      'eval',
      {
        ...options.llmEnv,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        AUTH_MODE: 'local',
        RUNNER_WORKSPACE: scratch,
        METRICS_PORT: '0',
        // One person sends the whole suite: the per-person limits must not decide the outcome.
        REQUESTS_PER_MINUTE: '100000',
        DAILY_TOKEN_BUDGET: '1000000000',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        ...(options.scenarios ? { LLM_SIM_SCENARIOS: options.scenarios } : {}),
      },
      { demo: options.sim },
    );
    return {
      ...stack,
      stop: async () => {
        await stack.stop();
        removeScratch();
      },
    };
  } catch (err) {
    removeScratch();
    throw err;
  }
}
