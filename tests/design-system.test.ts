import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '@hyperdesk/shared/contracts';
import { launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));

/** What the tests read from the app frame's window (functions below run in the frame). */
interface InFrame {
  getComputedStyle(el: unknown): { getPropertyValue(name: string): string };
  hyperdesk?: unknown;
  shellMark?: string;
}

/** Style of an element in the app frame. */
function styleOf(page: Page, selector: string, property: string): Promise<string> {
  return page
    .frameLocator('[data-testid="app-frame"]')
    .first()
    .locator(selector)
    .evaluate(
      (el, name) =>
        (el as unknown as { ownerDocument: { defaultView: InFrame } }).ownerDocument.defaultView
          .getComputedStyle(el)
          .getPropertyValue(name),
      property,
    );
}

describe('the design system and the stream path, in the desktop', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      // A slow first token, so the window is seen waiting for it.
      startStack('design-system', {
        LLM_SIM_SCENARIOS: scenarios,
        LLM_SIM_TTFT_MS: '2000',
        LLM_SIM_TOKENS_PER_S: '400',
      }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('streams an app into a shell ready before its first token, adopts it without a second load, and styles and themes it', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(stack.baseUrl);
    await page.getByLabel('Ask Hyperdesk').fill('design:plain an app with no CSS');
    await page.getByLabel('Ask Hyperdesk').press('Enter');

    const win = page.getByTestId('window').first();
    await win.waitFor();
    const frame = page.frameLocator('[data-testid="app-frame"]').first();
    // The shell is loaded (its SDK is there) while the window still waits for the first token.
    await frame.locator('body').waitFor({ state: 'attached' });
    await expect
      .poll(() =>
        frame
          .locator('html')
          .evaluate(
            (el) =>
              typeof (el as unknown as { ownerDocument: { defaultView: InFrame } }).ownerDocument
                .defaultView.hyperdesk,
          ),
      )
      .toBe('object');
    expect(await win.locator('.waiting').isVisible()).toBe(true);
    expect(await page.getByTestId('app-frame').getAttribute('data-mode')).toBe('streaming');
    // A mark in the shell's document: it is still there at the end only if no other loaded.
    await frame.locator('html').evaluate((el) => {
      (
        el as unknown as { ownerDocument: { defaultView: InFrame } }
      ).ownerDocument.defaultView.shellMark = 'kept';
    });

    // The app paints while it is still being written.
    await frame.locator('#heading').waitFor({ timeout: 30_000 });
    expect(await win.getAttribute('data-state')).toBe('GENERATING_APP');

    // The stored app is adopted by the shell: its script runs, its load handlers too.
    await expect
      .poll(() => page.getByTestId('app-frame').getAttribute('data-mode'), { timeout: 30_000 })
      .toBe('final');
    await frame.locator('body[data-ready="yes"][data-loaded="yes"]').waitFor();
    await frame.locator('#plain').click();
    await expect.poll(() => frame.locator('#count').textContent()).toBe('1');
    await expect.poll(() => win.getAttribute('data-state'), { timeout: 30_000 }).toBe('DONE');
    const mark = () =>
      frame
        .locator('html')
        .evaluate(
          (el) =>
            (el as unknown as { ownerDocument: { defaultView: InFrame } }).ownerDocument.defaultView
              .shellMark,
        );
    expect(await mark()).toBe('kept');

    // Styled with no CSS of its own, in the desktop's (dark) theme.
    expect(await styleOf(page, '#plain', 'border-radius')).toBe('8px');
    expect(await styleOf(page, '#plain', 'cursor')).toBe('pointer');
    expect(await styleOf(page, 'html', 'background-color')).toBe('rgb(22, 27, 34)');
    expect(await styleOf(page, 'th >> nth=0', 'text-align')).toBe('left');

    // A theme change in the desktop restyles the open app.
    await page.getByTestId('open-settings').click();
    await page.getByTestId('theme-light').check();
    await expect.poll(() => styleOf(page, 'html', 'background-color')).toBe('rgb(255, 255, 255)');
    expect(await styleOf(page, 'html', 'color')).toBe('rgb(31, 35, 40)');
    expect(await mark()).toBe('kept');

    // The run records what was written before the app showed anything.
    const runId = (await win.getAttribute('data-run-id')) ?? '';
    const view = (await page.evaluate(
      async (id) => (await fetch(`/api/runs/${id}`)).json(),
      runId,
    )) as RunView;
    const call = view.llm.detail.find((c) => c.stage === 'app_generate');
    expect(call?.tokensBeforeVisible).toBeGreaterThan(0);
    expect(call?.tokensBeforeVisible).toBeLessThan((call?.completionTokens ?? 0) / 4);
    expect(pageErrors).toEqual([]);
  });
});
