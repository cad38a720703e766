import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerClient, callTool, type CallableTool } from '@hyperdesk/shared';
import { freePort } from './support/ports';
import { startRunner, type Runner } from './support/runner';
import { Session } from './support/session';
import { startStack, type Stack } from './support/stack';

/**
 * Tools whose output is not one readable JSON value: non-JSON text, binary, enormous, nested
 * too deeply, several values, NaN. Each gets a clear error from the real python-runner, from
 * `callTool` (which the tool-manager and the gateway use), and from /api/mono on a stack.
 */

const scenarios = fileURLToPath(new URL('./fixtures/messy/scenarios', import.meta.url));

/** One tool, many outputs: the `mode` arg picks what it prints. */
const MESSY_TOOL = `
import json, sys
mode = json.load(sys.stdin).get("mode", "ok")
out = sys.stdout
if mode == "ok":
    print(json.dumps({"value": 1}))
elif mode == "text":
    print("Temperature: 42 C")
elif mode == "binary":
    sys.stdout.buffer.write(bytes(range(256)) * 4)
elif mode == "enormous":
    while True:
        out.write("[" + "1," * 100000 + "1]")
elif mode == "deep":
    out.write("[" * 100000 + "]" * 100000)
elif mode == "nested_ok":
    out.write(json.dumps({"value": 1, "tree": json.loads("[" * 200 + "]" * 200)}))
elif mode == "big_ok":
    out.write(json.dumps({"value": 1, "rows": ["x" * 100] * 8000}))
elif mode == "two":
    print(json.dumps({"value": 1}))
    print(json.dumps({"value": 2}))
elif mode == "log_then_json":
    print("loading...")
    print(json.dumps({"value": 1}))
elif mode == "nan":
    print('{"value": NaN}')
elif mode == "empty":
    pass
elif mode == "wrong_shape":
    print(json.dumps({"value": "not a number"}))
elif mode == "nul":
    out.write('{"value": 1}\\x00')
`;

const tool: CallableTool = {
  name: 'messy_output',
  description: 'Prints one of several messy outputs, chosen by mode.',
  args: { type: 'object', properties: { mode: { type: 'string' } }, required: ['mode'] },
  returns: { type: 'object', properties: { value: { type: 'number' } }, required: ['value'] },
  examples: [{ args: { mode: 'ok' } }],
  code: MESSY_TOOL,
};

/** What each mode must end in: the result's value, or an error matching the pattern. */
const expected: Record<string, { value?: number; error?: RegExp }> = {
  ok: { value: 1 },
  nested_ok: { value: 1 },
  big_ok: { value: 1 },
  text: { error: /non-JSON output: Temperature: 42 C/ },
  binary: { error: /binary output \(not UTF-8 text/ },
  enormous: { error: /more than \d+ bytes to stdout \(outputBytes\)/ },
  deep: { error: /nested too deeply/ },
  two: { error: /more than one JSON value/ },
  log_then_json: { error: /non-JSON output: loading\.\.\./ },
  nan: { error: /non-JSON output: \{"value": NaN\}/ },
  empty: { error: /printed nothing on stdout/ },
  wrong_shape: { error: /does not match the returns schema: \/value must be number/ },
  nul: { error: /more than one JSON value \(more output at character 12\)/ },
};

describe('tool output that is not one readable JSON value', () => {
  let runner: Runner;
  let client: RunnerClient;
  beforeAll(async () => {
    runner = await startRunner();
    client = new RunnerClient(runner.url);
  });
  afterAll(async () => {
    await runner?.stop();
  });

  for (const [mode, outcome] of Object.entries(expected)) {
    it(`${mode}: ${outcome.error ? 'a clear error' : 'the result'} from the runner and callTool`, async () => {
      const { execution, failure } = await callTool(client, tool, { mode });
      if (outcome.error) {
        expect(failure?.error, JSON.stringify(execution).slice(0, 500)).toMatch(outcome.error);
        // Never a raw exception from the reader: the error says what the tool did.
        expect(failure?.error).not.toMatch(/Traceback|TypeError|RecursionError|undefined/);
      } else {
        expect(failure, failure?.error).toBeNull();
        expect((execution.result as { value: number }).value).toBe(outcome.value);
      }
      expect((await fetch(`${runner.url}/health`)).ok).toBe(true);
    });
  }
});

describe('messy tool output through /api/mono', () => {
  let stack: Stack;
  let session: Session;
  beforeAll(async () => {
    stack = await startStack('tool-output', {
      LLM_SIM_SCENARIOS: scenarios,
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      RUNNER_PORT: String(await freePort()),
      REQUESTS_PER_MINUTE: '100000',
      TOOL_WAIT_MS: '30000',
    });
    session = new Session(stack.baseUrl, {});
    const { code, ...iface } = tool;
    const created = await session.call('/api/tools', { body: { ...iface, code } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers each messy output with the reason, and the next call still works', async () => {
    for (const [mode, outcome] of Object.entries(expected)) {
      const reply = await session.call<{ error?: string; code?: string; value?: number }>(
        `/api/mono/messy_output?mode=${mode}`,
      );
      if (outcome.error) {
        // The tool failed (not the request): 502 with the tool's own error, after one repair try.
        expect(reply.status, `${mode}: ${JSON.stringify(reply.body)}`).toBe(502);
        expect(reply.body.code).toBe('TOOL_FAILED');
        expect(reply.body.error, mode).toMatch(outcome.error);
      } else {
        expect(reply.status, `${mode}: ${JSON.stringify(reply.body)}`).toBe(200);
        expect(reply.body.value).toBe(outcome.value);
      }
      expect((await session.call('/api/mono/messy_output?mode=ok')).body).toEqual({ value: 1 });
    }
    expect((await fetch(`${stack.baseUrl}/health`)).status).toBe(200);
  });
});
