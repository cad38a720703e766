import type { ExecutionResult } from './contracts/tool';
import { renderArgv, type RunnerClient } from './runner';
import { checkSchema } from './schema-check';
import type { ToolInterface } from './contracts/tool';

export interface CallFailure {
  args: Record<string, unknown>;
  error: string;
  stderr: string;
  output?: unknown;
  /** The interface itself is wrong (an example contradicts the args schema): code cannot fix it. */
  interfaceFault?: boolean;
  /** The workspace is over its disk quota: deleting files, not new code, fixes it. */
  workspaceFull?: boolean;
}

export interface CallableTool extends ToolInterface {
  code: string;
  capabilities?: string[];
}

/** Runs a tool once in the sandbox and checks its output against `returns`. */
export async function callTool(
  runner: RunnerClient,
  tool: CallableTool,
  args: Record<string, unknown>,
  options: { workspace?: string } = {},
): Promise<{ execution: ExecutionResult; failure: CallFailure | null }> {
  const execution = await runner.execute({
    code: tool.code,
    args,
    ...(tool.argv ? { argv: renderArgv(args) } : {}),
    ...(tool.capabilities?.includes('network') ? { network: true } : {}),
    ...options,
  });
  if (!execution.ok) {
    const error = execution.error ?? `the tool exited with code ${execution.exitCode}`;
    const full = execution.workspaceFull ? { workspaceFull: true } : {};
    return { execution, failure: { args, error, stderr: execution.stderr, ...full } };
  }
  const mismatch = await checkSchema(
    tool.returns,
    execution.result,
    `the returns schema of ${tool.name}`,
  );
  if (mismatch) {
    return {
      execution,
      failure: {
        args,
        error: `The output does not match the returns schema: ${mismatch}`,
        stderr: execution.stderr,
        output: execution.result,
      },
    };
  }
  return { execution, failure: null };
}
