import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';
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
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/iframe-escape/${name}`, import.meta.url), 'utf8');

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
  // Stand-ins for a TURN/STUN server: anything WebRTC sends lands here.
  const rtcTcp = createTcpServer((socket) => {
    hits.push('WEBRTC TCP');
    socket.destroy();
  });
  let rtcUdp: Socket;

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
    await new Promise<void>((resolve) => rtcTcp.listen(0, '127.0.0.1', resolve));
    rtcUdp = createSocket('udp4').on('message', () => hits.push('WEBRTC UDP'));
    await new Promise<void>((resolve) => rtcUdp.bind(0, '127.0.0.1', resolve));

    const scenarios = mkdtempSync(path.join(tmpdir(), 'hd-iframe-scenarios-'));
    const write = (name: string, html: string) =>
      writeFileSync(
        path.join(scenarios, name),
        html
          .replaceAll('__TRAP__', trapUrl)
          .replaceAll('__RTC_TCP__', String((rtcTcp.address() as AddressInfo).port))
          .replaceAll('__RTC_UDP__', String(rtcUdp.address().port))
          .replace('__FILLER__', 'More words, written slowly. '.repeat(80)),
      );
    for (const name of ['probe-app.html', 'leave-app.html', 'stream-app.html']) {
      write(name, fixture(name));
    }
    const app = (match: string, title: string, file: string, tokensPerS?: number) => [
      {
        name: `${match}: the app may use probe_echo only`,
        stage: 'classify',
        match,
        responses: [
          {
            content: JSON.stringify({
              intent: 'new_app',
              title,
              tools: ['probe_echo'],
              needsNewTools: false,
            }),
          },
        ],
      },
      {
        name: `${match}: the app`,
        stage: 'app_generate',
        match,
        responses: [{ contentFile: file, ...(tokensPerS ? { tokensPerS } : {}) }],
      },
    ];
    writeFileSync(
      path.join(scenarios, 'iframe-escape.json'),
      JSON.stringify([
        ...app('iframe:escape', 'Escape probe', 'probe-app.html'),
        ...app('iframe:leave', 'Leave probe', 'leave-app.html'),
        ...app('iframe:stream', 'Stream probe', 'stream-app.html', 50),
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
      ['vault_secret', 'import json\nprint(json.dumps({"secret": "s3cret"}))'],
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
    rtcTcp.close();
    rtcUdp?.close();
  });

  /** A logged-in desktop in a context of its own, with no window open. */
  async function desktop(): Promise<{ context: BrowserContext; page: Page }> {
    const admin = await Session.login(stack.baseUrl, 'admin', PASSWORD);
    const cleared = await admin.call('/api/desktop', { method: 'PUT', body: { windows: [] } });
    expect(cleared.status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(stack.baseUrl);
    const form = page.getByTestId('login');
    await form.getByLabel('User name').fill('admin');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Ask Hyperdesk').waitFor();
    return { context, page };
  }

  /** Asks for an app and waits until its window holds the stored document. */
  async function openApp(page: Page, prompt: string): Promise<FrameLocator> {
    await page.getByLabel('Ask Hyperdesk').fill(prompt);
    await page.getByLabel('Ask Hyperdesk').press('Enter');
    const win = page.getByTestId('window').first();
    await expect.poll(() => win.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    await page.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    return page.frameLocator('[data-testid="app-frame"]').first();
  }

  /** The URL of the document the (one) app frame holds. */
  function frameUrl(page: Page): string | undefined {
    return page
      .frames()
      .find((f) => f.parentFrame() === page.mainFrame())
      ?.url();
  }

  it('contains storage, cookies, navigation, network, forms, workers and the bridge', async () => {
    const { context, page } = await desktop();
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

  it('sends a strict CSP with the desktop page', async () => {
    const csp = (await fetch(`${stack.baseUrl}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("default-src 'self'");
  });

  it('keeps an app in its document: no navigation of its own frame reaches anywhere', async () => {
    const { context, page } = await desktop();
    const frame = await openApp(page, 'iframe:leave probe');
    // The window is saved with the layout, so a reload brings the app back for each try.
    await expect
      .poll(async () =>
        JSON.stringify(await page.evaluate("fetch('/api/desktop').then((r) => r.json())")),
      )
      .toContain('Leave probe');
    for (const way of [
      'location-href',
      'location-replace',
      'meta-refresh',
      'link-click',
      'open-self',
      'data-url',
    ]) {
      await page.reload();
      await page.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
      await frame.locator(`#leave-${way}`).click();
      // The frame tried to go: it now holds an error page (refused), never another document.
      await expect.poll(() => frameUrl(page), { timeout: 30_000 }).not.toBe('about:srcdoc');
      expect(frameUrl(page), way).toBe('chrome-error://chromewebdata/');
      expect(hits.filter((hit) => hit.includes(way))).toEqual([]);
      expect(page.url()).toBe(`${stack.baseUrl}/`);
    }
    await context.close();
  }, 240_000);

  it("runs an app's form handlers and never lets a submit navigate its frame", async () => {
    const { context, page } = await desktop();
    const frame = await openApp(page, 'iframe:leave probe');
    // The app's handler forgets preventDefault(): the submit still stays in the page.
    await frame.locator('#form-button').click();
    await frame.locator('body[data-submitted="1"]').waitFor({ timeout: 30_000 });
    // form.submit() fires no submit event in a browser; here it goes through the handler too.
    await frame.locator('#form-call').click();
    await frame.locator('body[data-submitted="2"]').waitFor({ timeout: 30_000 });
    expect(frameUrl(page)).toBe('about:srcdoc');
    expect(hits.filter((hit) => hit.includes('form-submit'))).toEqual([]);
    await context.close();
  }, 240_000);

  it('answers only the channel the loaded document opened, once', async () => {
    const { context, page } = await desktop();
    const frame = await openApp(page, 'iframe:leave probe');
    await frame.locator('#bridge').click();
    await frame.locator('body[data-bridge="done"]').waitFor({ timeout: 30_000 });
    const results = JSON.parse((await frame.locator('#out').textContent()) ?? '{}') as Record<
      string,
      string
    >;
    expect(results).toEqual({
      'window message': 'blocked',
      'second channel with the key': 'blocked',
      'granted call': JSON.stringify({ echo: 'hi' }),
    });
    await context.close();
  }, 240_000);

  it('gives apps no WebRTC, not even in frames they make', async () => {
    const { context, page } = await desktop();
    const frame = await openApp(page, 'iframe:leave probe');
    await frame.locator('#webrtc').click();
    // Each attempt ends when ICE gathering is over (every server tried) or when it fails.
    await frame.locator('body[data-webrtc="done"]').waitFor({ timeout: 60_000 });
    const results = JSON.parse((await frame.locator('#out').textContent()) ?? '{}') as Record<
      string,
      string
    >;
    expect(Object.keys(results)).toHaveLength(7);
    for (const [name, outcome] of Object.entries(results)) {
      expect.soft(`${name}: ${outcome}`).toBe(`${name}: blocked`);
    }
    expect(hits.filter((hit) => hit.startsWith('WEBRTC'))).toEqual([]);
    await context.close();
  }, 240_000);

  it('fetches nothing an app names while it is being written', async () => {
    const { context, page } = await desktop();
    await page.getByLabel('Ask Hyperdesk').fill('iframe:stream probe');
    await page.getByLabel('Ask Hyperdesk').press('Enter');
    const appFrame = page.locator('[data-testid="app-frame"]').first();
    const frame = page.frameLocator('[data-testid="app-frame"]').first();
    // Every probe is in the shell, which keeps it for the many seconds the rest takes.
    await frame.locator('#stream-end').waitFor({ timeout: 60_000 });
    expect(await appFrame.getAttribute('data-mode')).toBe('streaming');
    await page.locator('[data-testid="app-frame"][data-mode="final"]').waitFor({ timeout: 60_000 });
    expect(hits.filter((hit) => hit.includes('/stream/'))).toEqual([]);
    await context.close();
  }, 240_000);

  it('keeps the keyboard in the desktop when an app keeps taking the focus', async () => {
    const { context, page } = await desktop();
    const frame = await openApp(page, 'iframe:leave probe');
    // The person gave the app the keyboard once, then went back to the desktop.
    await frame.locator('#steal').click();
    await frame.locator('body[data-stealing="yes"]').waitFor();
    const ask = page.getByLabel('Ask Hyperdesk');
    await ask.click();
    await page.keyboard.type('my bank password', { delay: 20 });
    expect(await frame.locator('body').getAttribute('data-got')).toBeNull();
    expect(await frame.locator('#field').inputValue()).toBe('');
    await context.close();
  }, 240_000);
});
