import {
  callTool,
  checkSchema,
  type CallFailure,
  type CallableTool,
  type RunnerClient,
} from '@hyperdesk/shared';

export type TestFailure = CallFailure;

export interface TestOptions {
  /** The workspace the extra cases run in (the workspace of the failed call they repeat). */
  casesWorkspace?: string;
  /**
   * Whether outputs identical across examples with different args are a finding. A build
   * sends a tool back with it once; a rewrite that still answers the same is taken to depend
   * on host state that is the same for those args in the sandbox.
   */
  requireArgsEffect?: boolean;
}

/**
 * Whether `actual` gives what `expected` states, as JSON values: key order aside, numbers
 * within a relative 1e-6; an object may carry keys the expected result does not name (the
 * returns schema governs those, e.g. a version string an example cannot know).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => sameJson(x, b[i]))
    );
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    return Object.keys(b).every(
      (k) =>
        Object.hasOwn(a, k) &&
        sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return a === b;
}

const show = (value: unknown) => JSON.stringify(value);

/** How the finding that a tool ignores its args begins. */
export const ARGS_IGNORED = 'The tool ignores its args';

/**
 * A tool's own tests: every example (plus any extra cases, such as the call that triggered
 * a repair), each output checked against `returns`, against the example's `result` when it
 * gives one, and, when examples with different args all answer the same, the finding that
 * the tool ignores its args. Returns the first failure, or null. Examples run in the build
 * workspace; extra cases in `casesWorkspace` when given.
 */
export async function testTool(
  runner: RunnerClient,
  tool: CallableTool,
  extraCases: Record<string, unknown>[] = [],
  options: TestOptions = {},
): Promise<TestFailure | null> {
  const cases = [
    ...tool.examples.map((e) => ({ args: e.args, workspace: undefined, example: e })),
    ...extraCases.map((args) => ({ args, workspace: options.casesWorkspace, example: undefined })),
  ];
  const outputs: { args: Record<string, unknown>; output: unknown; stderr: string }[] = [];
  for (const { args, workspace, example } of cases) {
    const argErrors = await checkSchema(tool.args, args, `the args schema of ${tool.name}`);
    if (argErrors) {
      return {
        args,
        error: `Example args do not match the args schema: ${argErrors}`,
        stderr: '',
        interfaceFault: true,
      };
    }
    const { execution, failure } = await callTool(
      runner,
      tool,
      args,
      workspace ? { workspace } : {},
    );
    if (failure) return failure;
    if (example && example.result !== undefined && !sameJson(execution.result, example.result)) {
      return {
        args,
        error: `Wrong result: for these args the tool must return ${show(example.result)} (the example's expected result), but it returned ${show(execution.result)}.`,
        stderr: execution.stderr,
        output: execution.result,
      };
    }
    if (example) outputs.push({ args, output: execution.result, stderr: execution.stderr });
  }
  return options.requireArgsEffect === false ? null : argsIgnored(tool, outputs);
}

/** The args with the schema's defaults filled in and keys sorted: the call the tool sees. */
function withDefaults(tool: CallableTool, args: Record<string, unknown>): Record<string, unknown> {
  const properties = (tool.args.properties ?? {}) as Record<string, { default?: unknown }>;
  const full: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(properties)) {
    if (prop && typeof prop === 'object' && prop.default !== undefined) full[key] = prop.default;
  }
  Object.assign(full, args);
  return Object.fromEntries(Object.entries(full).sort(([a], [b]) => a.localeCompare(b)));
}

/** Examples with different args (whose results are not all given) that all answer the same. */
function argsIgnored(
  tool: CallableTool,
  outputs: { args: Record<string, unknown>; output: unknown; stderr: string }[],
): TestFailure | null {
  if (tool.examples.every((e) => e.result !== undefined)) return null;
  const call = (args: Record<string, unknown>) => show(withDefaults(tool, args));
  const distinctArgs = new Set(outputs.map((o) => call(o.args)));
  const [first, second] = outputs;
  if (distinctArgs.size < 2 || !first || !second) return null;
  if (!outputs.every((o) => sameJson(o.output, first.output) && sameJson(first.output, o.output)))
    return null;
  const other = outputs.find((o) => call(o.args) !== call(first.args)) ?? second;
  return {
    args: other.args,
    error: `${ARGS_IGNORED}: it returned the same output ${show(first.output)} for ${show(first.args)} and for ${show(other.args)}. The output must be computed from the args read from stdin (json.load(sys.stdin)), not from fixed values (for example in the if __name__ == "__main__": block).`,
    stderr: other.stderr,
    output: other.output,
  };
}
