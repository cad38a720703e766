import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts', import.meta.url));
const PASSWORD = 'correct horse battery';

describe('the desktop on a team server', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [stack, browser] = await Promise.all([
      startStack('desktop-login', {
        LLM_SIM_SCENARIOS: scenarios,
        RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
        AUTH_MODE: 'accounts',
        HYPERDESK_ADMIN_USER: 'admin',
        HYPERDESK_ADMIN_PASSWORD: PASSWORD,
      }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('asks for a login, then works over the session cookie, and logs out', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(stack.baseUrl);
    const form = page.getByTestId('login');
    await form.waitFor();
    expect(await page.getByLabel('Ask Hyperdesk').count()).toBe(0);

    await form.getByLabel('User name').fill('admin');
    await form.getByLabel('Password').fill('not the password');
    await form.getByRole('button', { name: 'Log in' }).click();
    await form.getByRole('alert').waitFor();
    expect(await form.getByRole('alert').textContent()).toContain('Wrong user name or password');
    await page.screenshot({ path: `${artifacts}/desktop-login.png` });

    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    const input = page.getByLabel('Ask Hyperdesk');
    await input.waitFor();

    // Runs, events over the WebSocket and the saved layout all go through the session.
    await input.fill('e2e:hello a tiny hello app');
    await input.press('Enter');
    const win = page.getByTestId('window').first();
    await expect.poll(() => win.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    await win.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    await page.reload();
    await page.getByTestId('window').first().waitFor();

    await page.getByTestId('open-settings').click();
    const settings = page.getByTestId('settings-window');
    expect(await settings.textContent()).toContain('Logged in as admin');
    await settings.getByRole('button', { name: 'Log out' }).click();
    await page.getByTestId('login').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('lets an admin manage users, read the audit log and handle API tokens in Settings', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(stack.baseUrl);
    const form = page.getByTestId('login');
    await form.getByLabel('User name').fill('admin');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('open-settings').click();
    const settings = page.getByTestId('settings-window');

    const users = settings.getByTestId('team-users');
    await users.getByLabel('User name').fill('zoe');
    await users.getByLabel('Password').fill('zoe password 123');
    await users.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => users.textContent()).toContain('zoe');
    const audit = settings.getByTestId('team-audit');
    await expect.poll(() => audit.textContent()).toMatch(/admin\s+user\.create\s+zoe/);
    const login = await fetch(`${stack.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'zoe', password: 'zoe password 123' }),
    });
    expect(login.status).toBe(200);

    const tokens = settings.getByTestId('team-tokens');
    await tokens.getByLabel('Token name').fill('ci script');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    const secret = (await settings.getByTestId('new-token').locator('code').textContent()) ?? '';
    const me = await fetch(`${stack.baseUrl}/api/auth/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(me.status).toBe(200);
    await tokens.getByRole('button', { name: 'Revoke ci script' }).click();
    await expect.poll(() => tokens.textContent()).toContain('No tokens.');
    const after = await fetch(`${stack.baseUrl}/api/auth/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(after.status).toBe(401);

    await users.getByRole('button', { name: 'Remove zoe' }).click();
    await expect.poll(() => users.textContent()).not.toContain('zoe');
    await page.screenshot({ path: `${artifacts}/desktop-team-settings.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
