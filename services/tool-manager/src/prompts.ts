import { formatSections, type ChatMessage, type ToolInterface } from '@hyperdesk/shared';
import type { TestFailure } from './test-tool';

const TOOL_RULES = `You write Python 3 tools for Hyperdesk. A tool is one complete Python file that:
- reads its arguments as one JSON object from stdin (json.load(sys.stdin)), unless it is
  CLI-style, then it parses --flags with argparse;
- prints exactly one JSON value to stdout matching the "returns" schema, and nothing else;
- computes that value from those args: the examples are its tests (an example's "result" is
  the exact expected output; examples with different args must give different outputs), and
  the if __name__ == "__main__": block only calls main(), never fixed sample args;
- uses only the standard library plus psutil when it must (no installs at run time);
- works inside a sandbox: no network, writes only under the current directory (the
  workspace) or /tmp, must finish within seconds;
- reports bad input by raising an exception with a clear message.
Reply with only the code, in one \`\`\`python fence.`;

function interfaceText(tool: ToolInterface): string {
  return JSON.stringify(
    {
      name: tool.name,
      description: tool.description,
      args: tool.args,
      returns: tool.returns,
      examples: tool.examples,
      ...(tool.argv ? { argv: true } : {}),
    },
    null,
    2,
  );
}

export function writeMessages(tool: ToolInterface, reason?: string, code?: string): ChatMessage[] {
  return [
    { role: 'system', content: TOOL_RULES },
    {
      role: 'user',
      content: formatSections({
        Tool: interfaceText(tool),
        'Change requested': reason,
        'Current code': code ? '```python\n' + code + '\n```' : undefined,
      }),
    },
  ];
}

export function repairMessages(
  tool: ToolInterface,
  code: string,
  failure: TestFailure,
): ChatMessage[] {
  return [
    { role: 'system', content: TOOL_RULES },
    {
      role: 'user',
      content: formatSections({
        Task: 'This tool failed. Fix it and reply with the whole corrected file.',
        Tool: interfaceText(tool),
        Code: '```python\n' + code + '\n```',
        'Failing args': JSON.stringify(failure.args),
        Error: failure.error,
        Stderr: failure.stderr || '(empty)',
        Output: failure.output === undefined ? undefined : JSON.stringify(failure.output),
      }),
    },
  ];
}
