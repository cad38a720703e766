import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '@hyperdesk/shared/contracts';
import { api, runToEnd, waitForRun } from './support/client';
import { startStack, type Stack } from './support/stack';

/**
 * A model server with a 4,096-token context that cuts longer prompts from the top (as Ollama
 * and llama.cpp do by default), and Hyperdesk told its size (LLM_CONTEXT_TOKENS): a prompt
 * that would not fit is shortened where the task allows it, or refused with what to change,
 * never sent to be cut.
 */
describe('a 4k context window', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('context', {
      LLM_SIM_CONTEXT_TOKENS: '4096',
      LLM_CONTEXT_TOKENS: '4096',
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  interface Logged {
    stage: string | null;
    user: string;
    promptTokens: number;
    truncatedTokens: number;
  }
  const simRequests = async () =>
    (await api<Logged[]>(stack.simUrl, '/sim/requests')).body.filter((r) => r.stage !== null);

  async function importApp(title: string, html: string, tools: string[]): Promise<string> {
    const imported = await api<{ runId: string; appId: string }>(stack.baseUrl, '/api/apps', {
      body: { title, html, tools },
    });
    expect(imported.status).toBe(202);
    const checked = await waitForRun(stack.baseUrl, imported.body.runId, 90_000);
    expect(checked.state).toBe('DONE');
    return imported.body.appId;
  }

  const run = (prompt: string, extra: Record<string, unknown>): Promise<RunView> =>
    runToEnd(stack.baseUrl, { prompt, ...extra }, 90_000);

  it('diagnoses an app whose tool code alone is larger than the window: the code is shortened, the run repairs the app', async () => {
    // A tool carrying a large table: its code is about 6,000 tokens.
    const rows = Array.from(
      { length: 300 },
      (_, i) => `    "city${i}": "a description of city number ${i}, its weather and its people",`,
    );
    const code = [
      'import json, sys',
      'TABLE = {',
      ...rows,
      '}',
      'args = json.load(sys.stdin)',
      'print(json.dumps({"text": TABLE.get(args.get("city", "city0"), "")}))',
    ].join('\n');
    expect(code.length / 4).toBeGreaterThan(4096);
    const tool = await api(stack.baseUrl, '/api/tools', {
      body: {
        name: 'city_info',
        description: 'Describes a city.',
        args: { type: 'object', properties: { city: { type: 'string' } } },
        returns: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        examples: [{ args: { city: 'city1' } }, { args: { city: 'city2' } }],
        code,
      },
    });
    expect(tool.status).toBe(201);
    const appId = await importApp(
      'City',
      '<!DOCTYPE html><html><body><h1 id="out">...</h1><script>hyperdesk.tool("city_info", {city: "city3"}).then((r) => { document.getElementById("out").textContent = r.text; });</script></body></html>',
      ['city_info'],
    );

    const fixed = await run('the city window shows nothing', {
      appId,
      errors: ["TypeError: Cannot read properties of null (reading 'textContent')"],
    });
    expect(fixed.error).toBeUndefined();
    expect(fixed.history.map((h) => h.state)).toEqual([
      'RECEIVED',
      'CLASSIFYING',
      'DIAGNOSING',
      'REPAIRING_APP',
      'CHECKING_APP',
      'DONE',
    ]);
    const requests = await simRequests();
    expect(requests.map((r) => r.stage)).toEqual(['classify', 'diagnose', 'app_repair']);
    // Every prompt reached the model whole: nothing was cut from its top.
    expect(requests.map((r) => r.truncatedTokens)).toEqual([0, 0, 0]);
    const diagnosis = requests[1] as Logged;
    expect(diagnosis.promptTokens).toBeLessThan(4096);
    expect(diagnosis.user).toContain('## Request\nthe city window shows nothing');
  });

  it('refuses to refine an app too large for the window, saying how to give the model room', async () => {
    await api(stack.simUrl, '/sim/reset', { method: 'POST' });
    const items = Array.from(
      { length: 400 },
      (_, i) => `<li class="entry">Entry ${i}: something worth keeping in the list</li>`,
    ).join('\n');
    const appId = await importApp(
      'Long list',
      `<!DOCTYPE html><html><body><h1>Long list</h1><ul>\n${items}\n</ul></body></html>`,
      [],
    );
    const refused = await run('make the heading blue', { appId });
    expect(refused.state).toBe('FAILED');
    expect(refused.error).toMatch(
      /app_generate prompt needs about [\d,]+ tokens plus [\d,]+ for the answer, but hyperdesk-sim on sim has a context window of 4,096 tokens: the app is too large for it/,
    );
    // Nothing was sent to be cut: the model saw only the classification.
    const requests = await simRequests();
    expect(requests.map((r) => [r.stage, r.truncatedTokens])).toEqual([['classify', 0]]);
  });
});
