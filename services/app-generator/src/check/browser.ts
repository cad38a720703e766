import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  bridgeKey,
  HyperdeskError,
  prepareAppDocument,
  type ToolInterface,
} from '@hyperdesk/shared';
import { harnessDocument } from './harness';

export interface BrowserCheckResult {
  errors: string[];
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

/** One browser context and its page, and where its app tried to take its frame. */
interface Tab {
  context: BrowserContext;
  page: Page;
  navigations: string[];
}

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
 * calls, a blank page. One browser per process; one context per check.
 *
 * Only the verdict is on the run's path to DONE: the context a check uses is opened ahead,
 * while the previous app settles, and the thumbnail is taken after the verdict.
 *
 * At most `concurrency` apps render at once: on a busy machine a burst of checks waits its
 * turn rather than slowing every render in the one browser until loads time out.
 */
export class BrowserChecker {
  private browser: Promise<Browser> | null = null;
  /** A context and page opened ahead of the next check (opening one takes ~150 ms). */
  private spare: Promise<Tab> | null = null;
  /** Thumbnails still being taken or kept: close() waits for them. */
  private readonly pending = new Set<Promise<void>>();
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
          this.spare = null;
        });
        return browser;
      })
      .catch((err: unknown) => {
        this.browser = null;
        throw err;
      });
    return this.browser;
  }

  private async open(browser: Browser): Promise<Tab> {
    const context = await browser.newContext({ viewport: { width: 800, height: 560 } });
    const navigations: string[] = [];
    const vendor = `${this.options.gatewayUrl}/vendor/`;
    try {
      await context.route('**/*', async (route) => {
        const request = route.request();
        if (request.isNavigationRequest()) navigations.push(request.url());
        else if (request.url().startsWith(vendor)) {
          await route.fulfill({ response: await route.fetch() }).catch(() => route.abort());
          return;
        }
        await route.abort('blockedbyclient');
      });
      return { context, page: await context.newPage(), navigations };
    } catch (err) {
      await context.close().catch(() => undefined);
      throw err;
    }
  }

  /** The tab opened ahead if it is ready and alive, else a new one. */
  private async take(browser: Browser): Promise<Tab> {
    const spare = this.spare;
    this.spare = null;
    const tab = await spare?.catch(() => null);
    if (tab && browser.isConnected() && !tab.page.isClosed()) return tab;
    return this.open(browser);
  }

  private openAhead(browser: Browser): void {
    if (this.spare || !browser.isConnected()) return;
    const spare = this.open(browser);
    spare.catch(() => undefined); // a failed spare is replaced when taken
    this.spare = spare;
  }

  /**
   * Checks an app. `keepThumbnail` receives a JPEG of the rendered app once it is taken,
   * after this returns; a thumbnail that cannot be taken is skipped.
   */
  async check(
    html: string,
    tools: ToolInterface[],
    keepThumbnail: (jpeg: Buffer) => Promise<void>,
  ): Promise<BrowserCheckResult> {
    const release = await this.turn();
    try {
      return await this.render(html, tools, keepThumbnail);
    } finally {
      release();
    }
  }

  private async render(
    html: string,
    tools: ToolInterface[],
    keepThumbnail: (jpeg: Buffer) => Promise<void>,
  ): Promise<BrowserCheckResult> {
    const browser = await this.launch();
    const { context, page, navigations } = await this.take(browser);
    let handedOver = false;
    try {
      const errors = new Set<string>();
      page.on('pageerror', (err) => errors.add(`Uncaught: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const framing = /^Framing '([^']*)' violates/.exec(msg.text());
        errors.add(framing ? navigationFinding(framing[1] ?? '') : `Console error: ${msg.text()}`);
      });
      const key = bridgeKey();
      const appDocument = prepareAppDocument(html, this.options.gatewayUrl, key);
      const loadTimeoutMs = this.options.loadTimeoutMs ?? 15_000;
      try {
        await page.setContent(harnessDocument(appDocument, tools, this.options.gatewayUrl, key), {
          waitUntil: 'load',
          timeout: loadTimeoutMs,
        });
      } catch (err) {
        if (!(err instanceof Error && err.name === 'TimeoutError')) throw err;
        // Its own turn, so not a crowded browser: the app keeps its page from loading (a
        // script that never returns). That is for the repair to fix, as any other finding.
        return {
          errors: [
            `The app did not finish loading within ${loadTimeoutMs / 1000} s: a script at load may never return.`,
            ...[...errors].map((e) => e.slice(0, 600)),
          ],
        };
      }
      this.openAhead(browser); // while this app settles
      await page.waitForTimeout(this.options.settleMs);
      const report = (await page.evaluate('window.__report')) as { errors: string[] };
      for (const error of report.errors) errors.add(error);
      for (const url of navigations) errors.add(navigationFinding(url));
      // A frame that tried to navigate may hold an error page, or be between documents.
      const visible = await page
        .frames()[1]
        ?.evaluate(
          `!!document.body && (document.body.innerText.trim().length > 0 || !!document.querySelector('canvas,svg,img,video,input,button,textarea,select'))`,
        )
        .catch(() => null);
      if (visible === null && navigations.length === 0) {
        errors.add(navigationFinding('another document'));
      } else if (!visible) {
        errors.add('The app rendered a blank page: nothing visible in <body>.');
      }
      const thumbnail = page
        .locator('#app')
        .screenshot({ type: 'jpeg', quality: 55 })
        .then(keepThumbnail, () => undefined)
        .finally(() => context.close().catch(() => undefined));
      this.pending.add(thumbnail);
      void thumbnail.finally(() => this.pending.delete(thumbnail));
      handedOver = true;
      return { errors: [...errors].map((e) => e.slice(0, 600)) };
    } finally {
      if (!handedOver) await context.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    const browser = await this.browser?.catch(() => null);
    await browser?.close();
  }
}
