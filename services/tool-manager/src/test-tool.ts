import {
  callTool,
  checkSchema,
  type CallFailure,
  type CallableTool,
  type RunnerClient,
} from '@hyperdesk/shared';

export type TestFailure = CallFailure;

/**
 * A tool's own tests: every example (plus any extra cases, such as the call that triggered
 * a repair), each output checked against `returns`. Returns the first failure, or null.
 * Examples run in the build workspace; extra cases in `casesWorkspace` (the workspace the
 * failed call ran in) when given.
 */
export async function testTool(
  runner: RunnerClient,
  tool: CallableTool,
  extraCases: Record<string, unknown>[] = [],
  options: { casesWorkspace?: string } = {},
): Promise<TestFailure | null> {
  const cases = [
    ...tool.examples.map((e) => ({ args: e.args, workspace: undefined })),
    ...extraCases.map((args) => ({ args, workspace: options.casesWorkspace })),
  ];
  for (const { args, workspace } of cases) {
    const argErrors = await checkSchema(tool.args, args, `the args schema of ${tool.name}`);
    if (argErrors) {
      return {
        args,
        error: `Example args do not match the args schema: ${argErrors}`,
        stderr: '',
        interfaceFault: true,
      };
    }
    const { failure } = await callTool(runner, tool, args, workspace ? { workspace } : {});
    if (failure) return failure;
  }
  return null;
}
