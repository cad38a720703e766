import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppView, RunView } from '@hyperdesk/shared/contracts';
import { api, waitForRun } from './support/client';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));

/** `npm start` runs the services' bundles (`npm run build`, which `npm test` runs first). */
describe('the built services, as npm start runs them', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('built', { LLM_SIM_SCENARIOS: scenarios }, { built: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('start from their bundles and take a prompt to a checked app', async () => {
    expect(stack.output()).toMatch(/gateway started/);
    const created = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
      body: { prompt: 'e2e:hello a tiny hello app' },
    });
    expect(created.status).toBe(202);
    const run = await waitForRun(stack.baseUrl, created.body.runId);
    expect(run.state).toBe('DONE');
    const view = await api<RunView>(stack.baseUrl, `/api/runs/${created.body.runId}`);
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${view.body.appId ?? ''}`);
    expect(app.body.html).toContain('Hello from Hyperdesk');
    // The desktop and the vendored libraries are found from the gateway's bundle too.
    const page = await fetch(stack.baseUrl);
    expect(await page.text()).toContain('<div id="app"');
    const library = await fetch(`${stack.baseUrl}/vendor/chart.umd.min.js`);
    expect(library.status).toBe(200);
  });
});
