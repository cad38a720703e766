import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts', import.meta.url));

describe('the desktop in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [stack, browser] = await Promise.all([
      startStack('browser', { LLM_SIM_SCENARIOS: scenarios, LLM_SIM_TOKENS_PER_S: '400' }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('types a prompt and watches the app stream into a sandboxed window', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(stack.baseUrl);
    await expect.poll(() => page.getByTestId('demo-label').isVisible()).toBe(true);

    await page.getByLabel('Ask Hyperdesk').fill('e2e:hello a tiny hello app');
    await page.getByLabel('Ask Hyperdesk').press('Enter');

    const win = page.getByTestId('window').first();
    await win.waitFor();
    const frame = page.frameLocator('[data-testid="app-frame"]').first();
    // The heading shows while the run is still generating: the window fills in progressively.
    await frame.locator('#hello').waitFor({ timeout: 20_000 });
    const stateWhenFirstVisible = await win.getAttribute('data-state');
    expect(stateWhenFirstVisible).not.toBe('DONE');
    await page.screenshot({ path: `${artifacts}/step1-streaming.png` });

    await expect.poll(() => win.getAttribute('data-state'), { timeout: 20_000 }).toBe('DONE');
    // The final document's scripts run: the button works.
    await frame.locator('body[data-ready="yes"]').waitFor();
    await frame.locator('#click').click();
    await expect.poll(() => frame.locator('#count').textContent()).toBe('1');
    await page.screenshot({ path: `${artifacts}/step1-done.png` });

    const sandbox = await page.getByTestId('app-frame').first().getAttribute('sandbox');
    expect(sandbox).toContain('allow-scripts');
    expect(sandbox).not.toContain('allow-same-origin');
    expect(pageErrors).toEqual([]);
  });
});
