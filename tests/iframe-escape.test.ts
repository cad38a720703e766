import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareAppDocument } from '@hyperdesk/shared/sdk';
import { launchBrowser } from './support/browser';
import { freePort } from './support/ports';
import { Session } from './support/session';
import { startStack, type Stack } from './support/stack';

/**
 * A generated app trying to get out of its window in real Chromium: storage, cookies, the
 * desktop's DOM, top navigation, popups, every kind of request (to the gateway and to a trap
 * server the test runs), forms, service workers, forged bridge messages, ungranted tools,
 * wrong args and a flood of calls. Its document also opens with a comment that looks like
 * `<head>`, to check the CSP still comes before any of the app's code.
 */

const PASSWORD = 'member password 1';
const probeHtml = readFileSync(
  new URL('./fixtures/iframe-escape/probe-app.html', import.meta.url),
  'utf8',
);

describe('the CSP and the SDK come before any of the app', () => {
  const documents = [
    '<!DOCTYPE html><html><!-- <head> --><script>run()</script><head></head></html>',
    '<!doctype html><html><script>run()</script><head><title>x</title></head></html>',
    '\uFEFF <!-- note --> <!DOCTYPE html><html><head></head><body><script>run()</script></body></html>',
    '<html><body><script>run()</script><head></head></body></html>',
    '<script>run()</script><p>a fragment</p>',
    '<!-- <html> --><script>run()</script>',
  ];
  for (const html of documents) {
    it(JSON.stringify(html.slice(0, 50)), () => {
      const prepared = prepareAppDocument(html, 'http://127.0.0.1:4000', '0'.repeat(32));
      const csp = prepared.indexOf('http-equiv="Content-Security-Policy"');
      expect(csp).toBeGreaterThan(-1);
      expect(csp).toBeLessThan(prepared.indexOf('run()'));
      // Only the doctype (and comments before it), or the wrapper of a fragment, precede it.
      const before = prepared
        .slice(0, csp)
        .replace(/<!--[\s\S]*?-->|<!doctype[^>]*>|\s|\uFEFF/gi, '');
      expect(['<meta', '<html><head><meta']).toContain(before);
    });
  }
});

describe('an app in its window cannot get out (iframe escape suite)', () => {
  let stack: Stack;
  let browser: Browser;
  let trap: Server;
  const hits: string[] = [];

  beforeAll(async () => {
    // The trap: any request that reaches it is an escape.
    trap = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('trapped');
    });
    trap.on('upgrade', (req, socket) => {
      hits.push(`UPGRADE ${req.url}`);
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;

    const scenarios = mkdtempSync(path.join(tmpdir(), 'hd-iframe-scenarios-'));
    writeFileSync(path.join(scenarios, 'probe-app.html'), probeHtml.replace('__TRAP__', trapUrl));
    writeFileSync(
      path.join(scenarios, 'iframe-escape.json'),
      JSON.stringify([
        {
          name: 'iframe-escape: the probe app may use probe_echo only',
          stage: 'classify',
          match: 'iframe:escape',
          responses: [
            {
              content: JSON.stringify({
                intent: 'new_app',
                title: 'Escape probe',
                tools: ['probe_echo'],
                needsNewTools: false,
              }),
            },
          ],
        },
        {
          name: 'iframe-escape: the probe app',
          stage: 'app_generate',
          match: 'iframe:escape',
          responses: [{ contentFile: 'probe-app.html' }],
        },
      ]),
    );
    [stack, browser] = await Promise.all([
      startStack('iframe-escape', {
        LLM_SIM_SCENARIOS: scenarios,
        RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
        RUNNER_PORT: String(await freePort()),
        AUTH_MODE: 'accounts',
        HYPERDESK_ADMIN_USER: 'admin',
        HYPERDESK_ADMIN_PASSWORD: PASSWORD,
        REQUESTS_PER_MINUTE: '100000',
      }),
      launchBrowser(),
    ]);
    const admin = await Session.login(stack.baseUrl, 'admin', PASSWORD);
    for (const [name, code] of [
      ['probe_secret', 'import json\nprint(json.dumps({"secret": "s3cret"}))'],
      ['probe_echo', 'import json, sys\nprint(json.dumps({"echo": json.load(sys.stdin)["text"]}))'],
    ]) {
      const created = await admin.call('/api/tools', {
        body: {
          name,
          description: `${name} for the escape suite`,
          args: { type: 'object', properties: { text: { type: 'string' } } },
          returns: { type: 'object' },
          examples: [{ args: { text: 'x' } }],
          code,
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await new Promise((resolve) => trap?.close(resolve));
  });

  it('contains storage, cookies, navigation, network, forms, workers and the bridge', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(stack.baseUrl);
    const form = page.getByTestId('login');
    await form.getByLabel('User name').fill('admin');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Ask Hyperdesk').waitFor();
    const session = (await context.cookies()).find((c) => c.name === 'hd_session');
    expect(session?.httpOnly).toBe(true);
    await page.evaluate(
      "document.cookie = 'secret=s3cret'; localStorage.setItem('secret', 's3cret'); sessionStorage.setItem('secret', 's3cret')",
    );

    await page.getByLabel('Ask Hyperdesk').fill('iframe:escape probe');
    await page.getByLabel('Ask Hyperdesk').press('Enter');
    const win = page.getByTestId('window').first();
    await expect.poll(() => win.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    await page.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    const frame = page.frameLocator('[data-testid="app-frame"]').first();
    // The app sent desktop shortcuts while it did not have the keyboard: nothing opened.
    await frame.locator('body[data-forged="yes"]').waitFor();
    await new Promise((r) => setTimeout(r, 200));
    expect(await page.getByTestId('command-list').count()).toBe(0);
    expect(await page.getByTestId('window-switcher').count()).toBe(0);
    await frame.locator('#probe').click();
    await frame.locator('body[data-probed="yes"]').waitFor({ timeout: 30_000 });
    const report = JSON.parse((await frame.locator('#out').textContent()) ?? '{}') as {
      attempts: Record<string, string>;
      granted: string;
      wrongArgs: string;
      flood: { ok: number; refused: number };
      globals: string;
    };

    expect(Object.keys(report.attempts).length).toBeGreaterThanOrEqual(25);
    for (const [name, outcome] of Object.entries(report.attempts)) {
      expect.soft(`${name}: ${outcome}`).toBe(`${name}: blocked`);
    }
    // Nothing reached the trap server: no request, no form post, no navigation, no socket.
    await new Promise((r) => setTimeout(r, 500));
    expect(hits).toEqual([]);
    // The desktop is where it was, alone, with its own title, cookie and storage intact.
    expect(page.url()).toBe(`${stack.baseUrl}/`);
    expect(context.pages()).toHaveLength(1);
    expect(await page.title()).not.toBe('owned');
    expect(await page.evaluate('localStorage.getItem("secret")')).toBe('s3cret');
    // The bridge works for what was granted, and says why when the args are wrong.
    expect(report.granted).toBe(JSON.stringify({ echo: 'hi' }));
    expect(report.wrongArgs).toMatch(/^error: Invalid args for probe_echo/);
    // A flood is answered call by call: granted ones run (or hit a limit), the rest are refused.
    expect(report.flood.ok + report.flood.refused).toBe(200);
    expect(report.flood.ok).toBeGreaterThan(0);
    expect(report.flood.refused).toBeGreaterThanOrEqual(100);
    // The app never holds the person's credentials.
    expect(report.globals).not.toContain(String(session?.value));
    expect(report.globals).not.toMatch(/hd_session|s3cret/);
    // The desktop is still usable, and the gateway healthy.
    expect((await fetch(`${stack.baseUrl}/health`)).status).toBe(200);
    await expect.poll(() => page.getByLabel('Ask Hyperdesk').isVisible()).toBe(true);
    await context.close();
  });
});
