import { existsSync } from 'node:fs';
import type {
  Browser,
  BrowserContext,
  CDPSession,
  ConsoleMessage,
  Frame,
  Page,
  Route,
} from 'playwright-core';
import {
  DESIGN_SYSTEM_CSS,
  DESIGN_SYSTEM_FILE,
  bridgeKey,
  HyperdeskError,
  prepareAppDocument,
  type ToolInterface,
} from '@hyperdesk/shared';
import { harnessDocument, toolAnswers } from './harness';
import { START_PROBE } from './settle';

export interface BrowserCheckResult {
  errors: string[];
  /**
   * A JPEG of the rendered app, taken after the verdict (null when none could be taken): the
   * run need not wait for it.
   */
  thumbnail: Promise<Buffer | null>;
}

export interface BrowserCheckOptions {
  chromiumPath: string;
  /** Origin of the gateway, where apps load /vendor/ libraries from. */
  gatewayUrl: string;
  settleMs: number;
  /** Apps rendered at once; further checks wait for a turn. */
  concurrency: number;
  /** How long an app may take to load before that is its finding. */
  loadTimeoutMs?: number;
}

/**
 * A warm tab: a browser context and its page with the harness loaded, kept between checks.
 * Each check puts its app in a new sandboxed frame of that page (an opaque origin with no
 * storage of its own), and removes it afterwards.
 */
interface Tab {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  /** Where the app being checked tried to take its frame. */
  navigations: string[];
  /** The page crashed, hung or failed: closed instead of kept. */
  broken: boolean;
}

/**
 * What the harness page holds (see harness.ts) and the app frame's start probe (settle.ts).
 * Functions given to `evaluate` run in the page, so each names `globalThis` itself.
 */
interface HarnessWindow {
  __check(appDocument: string, answers: Record<string, unknown>, key: string): void;
  __loaded: Promise<boolean>;
  __clear(): void;
  __report: { errors: string[]; calls: string[] };
  __hdStarted(): Promise<boolean>;
}

/** The value of `work`, or `null` when it takes longer than `ms` or fails. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([work.catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The thumbnail: the app's frame at half size, encoded for speed. */
const THUMBNAIL = {
  format: 'jpeg',
  quality: 60,
  clip: { x: 0, y: 0, width: 800, height: 560, scale: 0.5 },
  optimizeForSpeed: true,
} as const;

/**
 * The checker's Chromium reaches nothing by itself: its proxy is an address where nothing
 * listens, loopback included, and WebRTC may only go through that proxy. The few requests a
 * check needs (the gateway's /vendor/ libraries) are fetched by Playwright outside the
 * browser (`route.fetch`); every other request is refused before it leaves.
 */
const NO_NETWORK = [
  // Sandboxed frames stay in the page's process, where Playwright sees (and routes) their
  // requests; in a process of their own they would go straight to the dead proxy.
  '--disable-features=IsolateSandboxedIframes',
  '--proxy-server=http://127.0.0.1:1',
  '--proxy-bypass-list=<-loopback>',
  '--force-webrtc-ip-handling-policy',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
];

/** What a check says when the app tries to take its frame somewhere else. */
function navigationFinding(url: string): string {
  return `The app navigates its window away (to ${url.slice(0, 200)}); an app must stay in its document: links and location changes cannot leave it, use the page itself or the bridge.`;
}

/**
 * Renders apps in headless Chromium exactly as a window does (a sandboxed iframe with the
 * SDK and CSP), with tool calls answered from the tools' examples, and collects what went
 * wrong: uncaught exceptions, rejected promises, console errors, CSP refusals, failed tool
 * calls, a blank page, a navigation.
 *
 * One browser per process, and warm tabs in it: a check puts its app in a new frame of a
 * page that is already open, waits for its load, then for its start (the work it scheduled
 * at load has run: see settle.ts, at most `settleMs`), and reads the verdict. Only the
 * verdict is on the run's path to DONE: the thumbnail is taken from the same render
 * afterwards, then the app is removed and the tab kept for the next check.
 *
 * At most `concurrency` apps render at once: on a busy machine a burst of checks waits its
 * turn rather than slowing every render in the one browser until loads time out.
 */
export class BrowserChecker {
  private browser: Promise<Browser> | null = null;
  /** Tabs ready for the next check. */
  private idle: Tab[] = [];
  /** Thumbnails still being taken: close() waits for them. */
  private readonly pending = new Set<Promise<void>>();
  /** Vendored files, fetched from the gateway once per checker. */
  private readonly vendored = new Map<
    string,
    Promise<{ headers: Record<string, string>; body: Buffer }>
  >();
  /** Checks rendering now, and the checks waiting for a turn. */
  private rendering = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: BrowserCheckOptions) {}

  /** Checks rendering an app at this moment (never more than `concurrency`). */
  get inProgress(): number {
    return this.rendering;
  }

  /** Checks waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  private async turn(): Promise<() => void> {
    while (this.rendering >= this.options.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.rendering += 1;
    return () => {
      this.rendering -= 1;
      this.waiting.shift()?.();
    };
  }

  private launch(): Promise<Browser> {
    if (!existsSync(this.options.chromiumPath)) {
      throw new HyperdeskError(
        'CHECKS_UNAVAILABLE',
        `Chromium was not found at ${this.options.chromiumPath}; install it (apt-get install chromium) or set CHROMIUM_PATH.`,
        503,
      );
    }
    // playwright-core is loaded with the browser, not at start-up: it is most of an idle
    // app-generator's memory (about 65 MiB) and the first check launches Chromium anyway.
    this.browser ??= import('playwright-core')
      .then(async ({ chromium }) => {
        const browser = await chromium.launch({
          executablePath: this.options.chromiumPath,
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--no-first-run',
            ...NO_NETWORK,
          ],
        });
        // A browser that crashed or was killed is launched again by the next check.
        browser.on('disconnected', () => {
          this.browser = null;
          this.idle = [];
        });
        return browser;
      })
      .catch((err: unknown) => {
        this.browser = null;
        throw err;
      });
    return this.browser;
  }

  /**
   * A vendored file as the gateway serves it (a failed fetch is not kept); the design system
   * every app links is this code's own, so it is served from here.
   */
  private vendor(route: Route): Promise<{ headers: Record<string, string>; body: Buffer }> {
    const url = route.request().url();
    let file = this.vendored.get(url);
    if (!file && url === `${this.options.gatewayUrl}/vendor/${DESIGN_SYSTEM_FILE}`) {
      file = Promise.resolve({
        headers: { 'content-type': 'text/css; charset=utf-8' },
        body: Buffer.from(DESIGN_SYSTEM_CSS),
      });
      this.vendored.set(url, file);
    }
    if (!file) {
      file = route.fetch().then(async (response) => {
        if (!response.ok()) throw new Error(`${url}: HTTP ${response.status()}`);
        return { headers: response.headers(), body: await response.body() };
      });
      file.catch(() => this.vendored.delete(url));
      this.vendored.set(url, file);
    }
    return file;
  }

  private async open(browser: Browser): Promise<Tab> {
    const context = await browser.newContext({ viewport: { width: 800, height: 560 } });
    const vendor = `${this.options.gatewayUrl}/vendor/`;
    try {
      const navigations: string[] = [];
      await context.addInitScript({ content: START_PROBE });
      await context.route('**/*', async (route) => {
        const request = route.request();
        if (request.isNavigationRequest()) navigations.push(request.url());
        else if (request.url().startsWith(vendor)) {
          await this.vendor(route)
            .then((file) => route.fulfill({ status: 200, ...file }))
            .catch(() => route.abort());
          return;
        }
        await route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      await page.setContent(harnessDocument(this.options.gatewayUrl));
      const cdp = await context.newCDPSession(page);
      const tab: Tab = { context, page, cdp, navigations, broken: false };
      page.on('crash', () => (tab.broken = true));
      return tab;
    } catch (err) {
      await context.close().catch(() => undefined);
      throw err;
    }
  }

  private usable(tab: Tab): boolean {
    return !tab.broken && !tab.page.isClosed() && tab.context.browser()?.isConnected() === true;
  }

  /** A warm tab if one is ready, else a new one. */
  private async take(browser: Browser): Promise<Tab> {
    for (let tab = this.idle.pop(); tab; tab = this.idle.pop()) {
      if (this.usable(tab)) return tab;
      await tab.context.close().catch(() => undefined);
    }
    return this.open(browser);
  }

  /** Removes the app from the tab and keeps the tab warm (or closes it). */
  private async giveBack(tab: Tab): Promise<void> {
    if (this.usable(tab)) {
      const cleared = await within(
        tab.page
          .evaluate(() => (globalThis as unknown as HarnessWindow).__clear())
          .then(() => true),
        5000,
      );
      if (cleared && this.idle.length < this.options.concurrency) {
        tab.navigations.length = 0;
        this.idle.push(tab);
        return;
      }
    }
    await tab.context.close().catch(() => undefined);
  }

  /** Checks an app; its thumbnail follows the verdict. */
  async check(html: string, tools: ToolInterface[]): Promise<BrowserCheckResult> {
    const release = await this.turn();
    try {
      return await this.render(html, tools);
    } finally {
      release();
    }
  }

  private async render(html: string, tools: ToolInterface[]): Promise<BrowserCheckResult> {
    const browser = await this.launch();
    const tab = await this.take(browser);
    const { page } = tab;
    const errors = new Set<string>();
    const onError = (err: Error) => errors.add(`Uncaught: ${err.message}`);
    const onConsole = (msg: ConsoleMessage) => {
      if (msg.type() !== 'error') return;
      const framing = /^Framing '([^']*)' violates/.exec(msg.text());
      errors.add(framing ? navigationFinding(framing[1] ?? '') : `Console error: ${msg.text()}`);
    };
    page.on('pageerror', onError);
    page.on('console', onConsole);
    let handedOver = false;
    try {
      const key = bridgeKey();
      const appDocument = prepareAppDocument(html, this.options.gatewayUrl, key);
      await page.evaluate(
        ({ appDocument, answers, key }) =>
          (globalThis as unknown as HarnessWindow).__check(appDocument, answers, key),
        { appDocument, answers: toolAnswers(tools), key },
      );
      const loadTimeoutMs = this.options.loadTimeoutMs ?? 15_000;
      const loaded = await within(
        page.evaluate(() => (globalThis as unknown as HarnessWindow).__loaded),
        loadTimeoutMs,
      );
      if (!loaded) {
        // Its own turn, so not a crowded browser: the app keeps its page from loading (a
        // script that never returns). That is for the repair to fix, as any other finding.
        tab.broken = true;
        return {
          errors: [
            `The app did not finish loading within ${loadTimeoutMs / 1000} s: a script at load may never return.`,
            ...[...errors].map((e) => e.slice(0, 600)),
          ],
          thumbnail: Promise.resolve(null),
        };
      }
      const frame = await (await page.$('#app'))?.contentFrame();
      await this.started(page, frame ?? null);
      const report = await page.evaluate(() => (globalThis as unknown as HarnessWindow).__report);
      for (const error of report.errors) errors.add(error);
      for (const url of tab.navigations) errors.add(navigationFinding(url));
      // A frame that tried to navigate may hold an error page, or be between documents.
      const visible = await frame
        ?.evaluate(
          `!!document.body && (document.body.innerText.trim().length > 0 || !!document.querySelector('canvas,svg,img,video,input,button,textarea,select'))`,
        )
        .catch(() => null);
      if ((visible ?? null) === null && tab.navigations.length === 0) {
        errors.add(navigationFinding('another document'));
      } else if (!visible) {
        errors.add('The app rendered a blank page: nothing visible in <body>.');
      }
      const thumbnail = tab.cdp
        .send('Page.captureScreenshot', THUMBNAIL)
        .then(({ data }) => Buffer.from(data, 'base64'))
        .catch(() => null);
      const done = thumbnail.then(() => this.giveBack(tab));
      this.pending.add(done);
      void done.finally(() => this.pending.delete(done));
      handedOver = true;
      return { errors: [...errors].map((e) => e.slice(0, 600)), thumbnail };
    } finally {
      page.off('pageerror', onError);
      page.off('console', onConsole);
      if (!handedOver) await this.giveBack(tab);
    }
  }

  /**
   * Waits until the app has started (settle.ts), for at most `settleMs`. A tool call answered
   * meanwhile can start more work, so the wait is repeated until no new call came in.
   */
  private async started(page: Page, frame: Frame | null): Promise<void> {
    if (!frame) return;
    const deadline = performance.now() + this.options.settleMs;
    const calls = () =>
      page.evaluate(() => (globalThis as unknown as HarnessWindow).__report.calls.length);
    let before = await calls();
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      const started = await within(
        frame.evaluate(() => (globalThis as unknown as HarnessWindow).__hdStarted()),
        left,
      );
      if (!started) return;
      const after = await calls();
      if (after === before) return;
      before = after;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    const browser = await this.browser?.catch(() => null);
    await browser?.close();
  }
}
