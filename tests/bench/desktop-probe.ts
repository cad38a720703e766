/**
 * Drives the real desktop in Chromium and timestamps what a person would see.
 *
 * App frames are sandboxed without allow-same-origin, so the page cannot look inside them.
 * Instead an init script, which Playwright runs in every document of the page (the desktop
 * and each document its frames load), reports marks through an exposed binding:
 *
 * - in the desktop: `submit` (Enter pressed in the prompt box, capture phase); from a
 *   wrapper around the page's WebSocket, `ws-token` (first `run.token` of a run), `ws-app`
 *   (`run.app`) and `ws-done` (`run.state` DONE), each when the message arrives;
 *   `frame-mounted` (the app frame element is in the DOM), `shell-ready` (the stream shell's
 *   "ready" message arrived) and `app-fetched` (the response to `GET /api/apps/:id` ended,
 *   from resource timing);
 * - in the stream shell (the frame's document while the app is written): `frame-render`,
 *   the first DOM change after it loaded (the shell applied streamed HTML: styles, body
 *   attributes or body nodes), `frame-debris`, when <body> holds nothing but a fragment of a
 *   tag the chunk ended in, and `frame-body`, the first time <body> holds an element or
 *   non-blank text other than such a fragment;
 * - in the final document (the stored app, its scripts running): `final-start` (the document
 *   was created, or the stream shell was handed the stored app to adopt) and
 *   `frame-final-load` (its `load` event, or the shell's "adopted" message).
 *
 * Every mark is `Date.now()` where it happened: one wall clock for the page, its frames and
 * the services, at 1 ms resolution.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

export type MarkKind =
  | 'submit'
  | 'ws-token'
  | 'ws-app'
  | 'ws-done'
  | 'frame-mounted'
  | 'shell-ready'
  | 'frame-render'
  | 'frame-body'
  | 'frame-debris'
  | 'app-fetched'
  | 'final-start'
  | 'frame-final-load';

export interface Mark {
  kind: MarkKind;
  at: number;
  runId?: string;
  /** The probe started after the moment it marks: `at` is only an upper bound. */
  late?: boolean;
  /** Marks from a frame: its element's data-testid and the run id of the window holding it. */
  frameTestId?: string;
  frameRunId?: string;
  /** `frame-body`: the start of what the body held. */
  detail?: string;
}

const BINDING = '__hyperdeskBenchMark';

/** Plain JavaScript: it runs in the browser, in every document. */
export const PROBE_SCRIPT = `(() => {
  const mark = (kind, extra) => {
    const at = Date.now();
    try { window.${BINDING}(Object.assign({ kind, at }, extra || {})); } catch (e) {}
  };
  if (window === window.top) {
    document.addEventListener('keydown', (event) => {
      const target = event.target;
      if (event.key === 'Enter' && target && target.getAttribute &&
          target.getAttribute('aria-label') === 'Ask Hyperdesk') mark('submit');
    }, true);
    const Native = window.WebSocket;
    const seenToken = new Set();
    const since = (perfTime) => Date.now() - (performance.now() - perfTime);
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.name.includes('/api/apps/')) mark('app-fetched', { at: since(entry.responseEnd) });
      }
    }).observe({ type: 'resource' });
    window.addEventListener('message', (event) => {
      const data = event.data;
      if (data && data.type === 'hyperdesk:shell-ready') mark('shell-ready');
      if (data && data.type === 'hyperdesk:adopted') mark('frame-final-load');
    }, true);
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType !== 1) continue;
          if (node.matches('[data-testid="app-frame"]') || node.querySelector('[data-testid="app-frame"]')) {
            mark('frame-mounted');
          }
        }
      }
    }).observe(document, { subtree: true, childList: true });
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (event) => {
          const data = event.data;
          if (typeof data !== 'string') return;
          const token = data.includes('"run.token"');
          if (!(token || data.includes('"run.app"') || data.includes('"DONE"'))) return;
          let message;
          try { message = JSON.parse(data); } catch (e) { return; }
          const runId = message.runId;
          if (message.type === 'run.token' && message.target === 'app' && !seenToken.has(runId)) {
            seenToken.add(runId);
            mark('ws-token', { runId });
          } else if (message.type === 'run.app') mark('ws-app', { runId });
          else if (message.type === 'run.state' && message.state === 'DONE') mark('ws-done', { runId });
        });
      }
    };
    return;
  }
  const createdAt = document.readyState === 'loading' ? Date.now() : null;
  const watch = () => {
    const shell = document.documentElement.outerHTML.includes('hyperdesk:shell-ready');
    if (!shell) {
      if (createdAt !== null) mark('final-start', { at: createdAt });
      if (document.readyState === 'complete') mark('frame-final-load', { late: true });
      else window.addEventListener('load', () => mark('frame-final-load'));
      return;
    }
    window.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'hyperdesk:adopt') mark('final-start');
    }, true);
    const body = () => document.body;
    // A chunk that ends inside a tag in <head> ("<", "</", "</he") leaves that fragment as
    // body text; it is parser debris, not the app, so it does not count as content.
    const text = () => (body() ? body().textContent.trim() : '');
    const debris = (t) => t !== '' && /^<[/]?[a-zA-Z-]*$/.test(t);
    const hasBody = () => !!body() && (body().children.length > 0 || (text() !== '' && !debris(text())));
    let sawDebris = false;
    const rendered = () => hasBody() || !!document.querySelector('[data-hd-stream]') ||
      document.documentElement.attributes.length > 0 || (body() && body().attributes.length > 0);
    if (rendered()) {
      // Too late to see the first change: say so (the mark is then only an upper bound).
      mark('frame-render', { late: true });
      if (hasBody()) { mark('frame-body', { late: true }); return; }
    }
    let seenRender = rendered();
    const observer = new MutationObserver(() => {
      if (!seenRender) {
        seenRender = true;
        mark('frame-render');
      }
      if (!sawDebris && body() && body().children.length === 0 && debris(text())) {
        sawDebris = true;
        mark('frame-debris', { detail: text() });
      }
      if (hasBody()) {
        mark('frame-body', { detail: body().innerHTML.slice(0, 160) });
        observer.disconnect();
      }
    });
    observer.observe(document.documentElement, {
      subtree: true, childList: true, attributes: true, characterData: true,
    });
  };
  // Playwright may run this only after a new frame's first document has loaded.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
})();`;

export class DesktopProbe {
  private readonly marks: Mark[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
  ) {}

  static async open(browser: Browser, baseUrl: string): Promise<DesktopProbe> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const probe = new DesktopProbe(context, page);
    await context.exposeBinding(BINDING, async (source, mark: Mark) => {
      if (source.frame !== page.mainFrame()) {
        mark.frameTestId = '?';
        try {
          const element = await source.frame.frameElement();
          mark.frameTestId = (await element.getAttribute('data-testid')) ?? '?';
          const win = await element.$('xpath=ancestor::*[@data-run-id][1]');
          mark.frameRunId = (await win?.getAttribute('data-run-id')) ?? undefined;
        } catch {
          // the frame is gone: the mark cannot be tied to a window and is ignored
        }
      }
      probe.record(mark);
    });
    await context.addInitScript({ content: PROBE_SCRIPT });
    await page.goto(baseUrl);
    await page.getByLabel('Ask Hyperdesk').waitFor();
    return probe;
  }

  private record(mark: Mark): void {
    this.marks.push(mark);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${what}; marks: ${JSON.stringify(this.marks)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Types the prompt, presses Enter and waits until the app's final document has loaded and
   * DONE has arrived; checks the window agrees, closes it, and returns the run's marks.
   */
  async runOnce(prompt: string, timeoutMs = 30_000): Promise<{ runId: string; marks: Mark[] }> {
    this.marks.length = 0;
    const input = this.page.getByLabel('Ask Hyperdesk');
    await input.fill(prompt);
    await input.press('Enter');
    const runId = () => this.marks.find((m) => m.runId)?.runId ?? '';
    // Frame marks count only from the app frame of this run's window.
    const mine = () =>
      this.marks.filter(
        (m) =>
          m.frameTestId === undefined ||
          (m.frameTestId === 'app-frame' && m.frameRunId === runId()),
      );
    const has = (kind: MarkKind) => mine().some((m) => m.kind === kind);
    await this.until(
      () => has('submit') && has('ws-done') && has('frame-final-load'),
      timeoutMs,
      'the app to load and the run to end',
    );
    const win = this.page.locator(`[data-testid="window"][data-run-id="${runId()}"]`);
    const state = await win.getAttribute('data-state');
    const mode = await win.getByTestId('app-frame').getAttribute('data-mode');
    if (state !== 'DONE' || mode !== 'final') {
      throw new Error(`run ${runId()}: window state ${state}, frame mode ${mode}`);
    }
    await win.getByRole('button', { name: /^Close/ }).click();
    await win.waitFor({ state: 'detached' });
    return { runId: runId(), marks: mine() };
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
