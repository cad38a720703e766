import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/client';
import { launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));

describe('an app in its window cannot get out', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack('isolation', {
        LLM_SIM_SCENARIOS: scenarios,
        RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('blocks storage, cookies, top navigation, direct network, ungranted tools and forged calls', async () => {
    // A tool the app was not granted: if a grant check were missing, its secret would leak.
    const secretTool = await api(stack.baseUrl, '/api/tools', {
      body: {
        name: 'vault_secret',
        description: 'returns a secret',
        args: { type: 'object' },
        returns: { type: 'object' },
        examples: [{ args: {} }],
        code: 'import json\nprint(json.dumps({"secret": "s3cret"}))',
      },
    });
    expect(secretTool.status).toBe(201);

    const page = await browser.newPage();
    await page.goto(stack.baseUrl);
    await page.evaluate(
      "document.cookie = 'secret=s3cret'; localStorage.setItem('secret', 's3cret')",
    );
    await page.getByLabel('Ask Hyperdesk').fill('apps:isolation probe');
    await page.getByLabel('Ask Hyperdesk').press('Enter');
    const win = page.getByTestId('window').first();
    await expect.poll(() => win.getAttribute('data-state'), { timeout: 30_000 }).toBe('DONE');
    await page.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    const frame = page.frameLocator('[data-testid="app-frame"]').first();
    await frame.locator('#probe').click();
    await frame.locator('body[data-probed="yes"]').waitFor({ timeout: 10_000 });
    const results = JSON.parse((await frame.locator('#out').textContent()) ?? '{}') as Record<
      string,
      string
    >;
    expect(Object.keys(results)).toHaveLength(11);
    for (const [attempt, outcome] of Object.entries(results)) {
      expect(`${attempt}: ${outcome}`).toBe(`${attempt}: blocked`);
    }
    expect(page.url()).toBe(`${stack.baseUrl}/`);
    // The failed attempts were reported to the window as runtime errors.
    await expect.poll(() => page.getByTestId('window-errors').isVisible()).toBe(true);
  });
});
