import type { Browser, Frame, Page } from 'playwright-core';
import { bridgeKey, prepareAppDocument, schemaErrors } from '@hyperdesk/shared';
import type { ToolVersion } from '@hyperdesk/shared/contracts';
import { launchBrowser } from '../tests/support/browser';
import { call } from './api';
import type { AppChecks, ContentChecks, Expect, Step, ToolChecks } from './types';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

function scriptSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The page an app is opened in: served at the gateway's origin, it frames the app in a
 * sandboxed iframe with the SDK and CSP exactly as a desktop window does, and answers the
 * bridge by calling the real tools over /api/mono, as the desktop does.
 */
function hostDocument(appDocument: string, appId: string, key: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="app" sandbox="allow-scripts allow-forms allow-modals" style="width:1000px;height:700px;border:0;display:block"></iframe>
<script>
  window.__report = { errors: [], calls: [], answered: 0 };
  const appId = ${scriptSafe(appId)};
  const context = new Map();
  const frame = document.getElementById('app');
  let port = null;
  const reply = (m) => port.postMessage(Object.assign({ hyperdesk: 1 }, m));
  // As the desktop: only the channel the app's own document opened with its key.
  addEventListener('message', (event) => {
    const m = event.data;
    if (port || event.source !== frame.contentWindow || !event.ports[0]) return;
    if (m && m.hyperdesk === 1 && m.type === 'connect' && m.key === ${scriptSafe(key)}) {
      port = event.ports[0];
      port.onmessage = (e) => answer(e.data);
    }
  });
  async function answer(m) {
    if (!m || m.hyperdesk !== 1) return;
    if (m.type === 'error') window.__report.errors.push(m.kind + ': ' + m.message);
    if (m.type === 'tool') {
      window.__report.calls.push(m.name);
      try {
        const res = await fetch('/api/mono/' + encodeURIComponent(m.name), {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(m.args || {}),
        });
        const text = await res.text();
        let body = text;
        try { body = JSON.parse(text); } catch {}
        if (res.ok) {
          window.__report.answered += 1;
          reply({ type: 'tool-result', id: m.id, ok: true, result: body });
        } else {
          const error = (body && body.error) || ('HTTP ' + res.status);
          window.__report.errors.push('tool ' + m.name + ': ' + error);
          reply({ type: 'tool-result', id: m.id, ok: false, error });
        }
      } catch (err) {
        reply({ type: 'tool-result', id: m.id, ok: false, error: String(err) });
      }
    }
    if (m.type === 'ask') {
      // The model, through the gateway, as the desktop asks it (answered once complete).
      let result = null;
      let error = 'The answer ended early.';
      try {
        const res = await fetch('/api/apps/' + encodeURIComponent(appId) + '/ask', {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: m.prompt, schema: m.schema, system: m.system }),
        });
        for (const text of (await res.text()).split('\\n')) {
          if (!text.trim()) continue;
          let line = null;
          try { line = JSON.parse(text); } catch {}
          if (!line) continue;
          if (line.type === 'token') reply({ type: 'ask-token', id: m.id, text: line.text });
          if (line.type === 'done') result = { text: line.text, value: line.value };
          if (line.type === 'error') error = line.error;
          if (!res.ok && line.error) error = line.error;
        }
      } catch (err) {
        error = String(err);
      }
      if (!result) window.__report.errors.push('ask: ' + error);
      reply(result ? { type: 'reply', id: m.id, ok: true, result } : { type: 'reply', id: m.id, ok: false, error });
    }
    // Shared context, kept in this page (one window, nobody else writes).
    if (m.type === 'context-get') {
      reply({ type: 'reply', id: m.id, ok: true, result: context.has(m.key) ? context.get(m.key) : null });
    }
    if (m.type === 'context-set') {
      context.set(m.key, m.value);
      reply({ type: 'reply', id: m.id, ok: true, result: m.value });
      reply({ type: 'context', key: m.key, present: true, value: m.value });
    }
    if (m.type === 'context-subscribe') {
      reply({ type: 'context', key: m.key, present: context.has(m.key), value: context.has(m.key) ? context.get(m.key) : null });
    }
    // Web Storage: the app keeps its data in its own document; a saved write is acknowledged.
    if (m.type === 'storage-write' && typeof m.id === 'number') {
      reply({ type: 'reply', id: m.id, ok: true, result: null });
    }
  }
  frame.srcdoc = ${scriptSafe(appDocument)};
</script></body></html>`;
}

const SNAPSHOT = `(() => {
  const hash = (s) => { let h = 0; for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return h; };
  const body = document.body;
  const canvases = [...document.querySelectorAll('canvas')].map((c) => { try { return hash(c.toDataURL()); } catch { return 0; } });
  return (body ? body.innerText : '') + '\\u0000' + (body ? hash(body.innerHTML) : 0) + '\\u0000' + canvases.join(',');
})()`;

const TEXT_FIELD =
  'textarea, input:not([type]), input[type=text], input[type=search], input[type=number], input[type=email], [contenteditable=""], [contenteditable=true]';

async function visibleText(frame: Frame): Promise<string> {
  return (await frame.evaluate('document.body ? document.body.innerText : ""')) as string;
}

/** Polls `condition` until it holds or `ms` have passed; says whether it held. */
async function until(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits up to 5 s for the expectation to hold (a tool call or an ask may be behind it). */
async function expectAfter(frame: Frame, before: string, expect: Expect): Promise<string | null> {
  const deadline = Date.now() + 5000;
  let problem: string | null = null;
  do {
    await new Promise((r) => setTimeout(r, 150));
    problem = null;
    if (expect.text) {
      const text = await visibleText(frame);
      if (!new RegExp(expect.text, 'i').test(text)) {
        problem = `expected /${expect.text}/i in the visible text, got ${JSON.stringify(text.slice(0, 200))}`;
      }
    }
    if (!problem && expect.changes && (await frame.evaluate(SNAPSHOT)) === before) {
      problem = 'nothing on the page changed';
    }
  } while (problem && Date.now() < deadline);
  return problem;
}

async function findButton(frame: Frame, name: string) {
  const pattern = new RegExp(name, 'i');
  const byRole = frame.getByRole('button', { name: pattern });
  if ((await byRole.count()) > 0) return byRole.first();
  const byText = frame.locator('button, [role=button], a, input[type=button], input[type=submit]');
  const matching = byText.filter({ hasText: pattern, visible: true });
  if ((await matching.count()) > 0) return matching.first();
  return null;
}

async function runStep(page: Page, frame: Frame, step: Step): Promise<string | null> {
  const before = (await frame.evaluate(SNAPSHOT)) as string;
  switch (step.do) {
    case 'click': {
      const button = await findButton(frame, step.button);
      if (!button) return `no button named /${step.button}/i`;
      await button.click({ timeout: 3000 });
      break;
    }
    case 'type': {
      const field = frame.locator(TEXT_FIELD).filter({ visible: true }).first();
      if ((await field.count()) === 0) return 'no text field to type into';
      await field.click({ timeout: 3000 });
      await field.fill(step.text, { timeout: 3000 });
      if (step.submit === 'enter') await field.press('Enter');
      else if (step.submit) {
        // A live app needs no button; a form app gets Enter when it has none by that name.
        const button = await findButton(frame, step.submit.button);
        if (button) await button.click({ timeout: 3000 });
        else await field.press('Enter');
      }
      break;
    }
    case 'key': {
      const canvas = frame.locator('canvas').first();
      if ((await canvas.count()) > 0) await canvas.click({ timeout: 3000, force: true });
      else await frame.locator('body').click({ position: { x: 2, y: 2 }, timeout: 3000 });
      for (let i = 0; i < (step.times ?? 1); i++) {
        await page.keyboard.press(step.key);
        await new Promise((r) => setTimeout(r, 120));
      }
      break;
    }
  }
  return expectAfter(frame, before, step.expect);
}

function describeStep(step: Step): string {
  switch (step.do) {
    case 'click':
      return `click /${step.button}/`;
    case 'type':
      return `type ${JSON.stringify(step.text)}`;
    case 'key':
      return `press ${step.key}${step.times ? ` ×${step.times}` : ''}`;
  }
}

/** One headless Chromium for the whole suite; a fresh context per app. */
export class AppChecker {
  private browser: Promise<Browser> | null = null;

  constructor(private readonly baseUrl: string) {}

  private launch(): Promise<Browser> {
    // The runner handles Ctrl-C itself: it stops the services, then closes the browser.
    this.browser ??= launchBrowser({
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    return this.browser;
  }

  /** Opens an app (its stored id lets it ask the model) and runs the checks. */
  async check(html: string, checks: AppChecks, appId = ''): Promise<CheckResult[]> {
    const browser = await this.launch();
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const results: CheckResult[] = [];
    try {
      const page = await context.newPage();
      const uncaught: string[] = [];
      page.on('pageerror', (err) => uncaught.push(`Uncaught: ${err.message}`));
      const hostUrl = `${this.baseUrl}/__eval__/window`;
      const key = bridgeKey();
      await page.route(hostUrl, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: hostDocument(prepareAppDocument(html, this.baseUrl, key), appId, key),
        }),
      );
      await page.goto(hostUrl, { waitUntil: 'load', timeout: 15_000 });
      await page.waitForTimeout(1200);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      if (!frame) return [{ name: 'renders', ok: false, detail: 'the app frame did not load' }];
      const visible = (await frame.evaluate(
        `!!document.body && (document.body.innerText.trim().length > 0 || !!document.querySelector('canvas,svg,img,video,input,button,textarea,select'))`,
      )) as boolean;
      const loadErrors = async () => [
        ...uncaught,
        ...((await page.evaluate(
          "window.__report ? window.__report.errors : ['The window page did not start.']",
        )) as string[]),
      ];
      const atLoad = await loadErrors();
      results.push({
        name: 'renders without errors',
        ok: visible && atLoad.length === 0,
        ...(visible ? {} : { detail: 'blank page' }),
        ...(atLoad.length ? { detail: atLoad.slice(0, 3).join(' | ') } : {}),
      });
      if (checks.element) {
        const count = await frame.locator(checks.element).count();
        results.push({
          name: `has ${checks.element}`,
          ok: count > 0,
          ...(count ? {} : { detail: 'no such element' }),
        });
      }
      if (checks.callsTool) {
        // A tool's first call may start a cold sandbox (or a repair): give it time.
        const report = () =>
          page.evaluate('window.__report') as Promise<{ calls: string[]; answered: number }>;
        await until(async () => (await report()).answered > 0, 10_000);
        const { calls, answered } = await report();
        results.push({
          name: 'calls a tool',
          ok: answered > 0,
          detail: calls.length ? `called ${[...new Set(calls)].join(', ')}` : 'no call',
        });
      }
      for (const pattern of checks.text ?? []) {
        const shows = async () => new RegExp(pattern, 'i').test(await visibleText(frame));
        const ok = await until(shows, 5000);
        const text = await visibleText(frame);
        results.push({
          name: `shows /${pattern}/`,
          ok,
          ...(ok ? {} : { detail: JSON.stringify(text.slice(0, 200)) }),
        });
      }
      for (const step of checks.steps ?? []) {
        const seen = (await loadErrors()).length;
        let problem: string | null;
        try {
          problem = await runStep(page, frame, step);
        } catch (err) {
          problem =
            err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
        }
        const after = (await loadErrors()).slice(seen);
        if (!problem && after.length) problem = after.slice(0, 2).join(' | ');
        results.push({
          name: describeStep(step),
          ok: !problem,
          ...(problem ? { detail: problem } : {}),
        });
        if (problem) break;
      }
      return results;
    } finally {
      await context.close();
    }
  }

  async close(): Promise<void> {
    if (this.browser) await (await this.browser).close();
  }
}

/** Fills args whose names match a hint; the rest come from the tool's first example. */
function argsFor(tool: ToolVersion, checks: ToolChecks): Record<string, unknown> {
  const args: Record<string, unknown> = { ...(tool.examples[0]?.args ?? {}) };
  const properties = Object.keys((tool.args.properties ?? {}) as Record<string, unknown>);
  for (const hint of checks.hints ?? []) {
    const pattern = new RegExp(hint.arg, 'i');
    const name = properties.find((p) => pattern.test(p));
    if (name) args[name] = hint.value;
  }
  return args;
}

function numbersIn(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()))
    out.push(Number(value));
  else if (Array.isArray(value)) for (const v of value) numbersIn(v, out);
  else if (value && typeof value === 'object')
    for (const v of Object.values(value)) numbersIn(v, out);
  return out;
}

/** Facts about the prepared workspace, checked over every output together. */
export function factChecks(outputs: unknown[], checks: ToolChecks): CheckResult[] {
  const text = JSON.stringify(outputs).toLowerCase();
  const numbers = numbersIn(outputs);
  const results: CheckResult[] = [];
  for (const word of checks.mentions ?? []) {
    const ok = text.includes(word.toLowerCase());
    results.push({ name: `output mentions ${JSON.stringify(word)}`, ok });
  }
  for (const n of checks.numbers ?? []) {
    const ok = numbers.some((x) => Math.abs(x - n) <= Math.abs(n) * 0.01);
    results.push({
      name: `output has the number ${n}`,
      ok,
      ...(ok ? {} : { detail: `numbers seen: ${numbers.slice(0, 10).join(', ') || 'none'}` }),
    });
  }
  return results;
}

/**
 * Calls each tool once through /api/mono (with its example args, hints applied), checks
 * the answer against its `returns` schema, and the facts against all answers together.
 */
export async function checkTools(
  baseUrl: string,
  names: string[],
  checks: ToolChecks,
): Promise<CheckResult[]> {
  if (names.length === 0) return [{ name: 'built or used a tool', ok: false, detail: 'no tool' }];
  const results: CheckResult[] = [];
  const outputs: unknown[] = [];
  for (const name of names) {
    const found = await call<ToolVersion>(baseUrl, `/api/tools/${name}`);
    if (found.status !== 200) {
      results.push({ name: `tool ${name} exists`, ok: false, detail: `HTTP ${found.status}` });
      continue;
    }
    const args = argsFor(found.body, checks);
    const reply = await call<unknown>(baseUrl, `/api/mono/${name}`, { body: args });
    if (reply.status !== 200) {
      const error = (reply.body as { error?: string } | null)?.error ?? `HTTP ${reply.status}`;
      results.push({
        name: `tool ${name} answers`,
        ok: false,
        detail: `${JSON.stringify(args)}: ${error}`,
      });
      continue;
    }
    outputs.push(reply.body);
    const mismatch = schemaErrors(found.body.returns, reply.body, `The returns schema of ${name}`);
    results.push({
      name: `tool ${name} matches its schema`,
      ok: !mismatch,
      ...(mismatch ? { detail: mismatch } : {}),
    });
  }
  return [...results, ...factChecks(outputs, checks)];
}

function csvRows(text: string): string[][] {
  return text
    .trim()
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .map((line) =>
      line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((c) => c.trim().replace(/^"|"$/g, '')),
    );
}

/** The content has the requested type and shape. */
export function checkContent(type: string, body: string, checks: ContentChecks): CheckResult[] {
  const results: CheckResult[] = [];
  const mime = type.split(';')[0]?.trim() ?? '';
  results.push({
    name: `is ${checks.type}`,
    ok: mime === checks.type,
    ...(mime === checks.type ? {} : { detail: `got ${mime || 'no type'}` }),
  });
  const mentions = (words: string[] | undefined, text: string) => {
    for (const word of words ?? []) {
      results.push({
        name: `mentions ${JSON.stringify(word)}`,
        ok: text.toLowerCase().includes(word.toLowerCase()),
      });
    }
  };
  switch (checks.type) {
    case 'text/csv': {
      const rows = csvRows(body);
      const width = rows[0]?.length ?? 0;
      const even = rows.every((r) => r.length === width);
      results.push({
        name: 'CSV rows have the same number of cells',
        ok: width > 1 && even,
        ...(even
          ? {}
          : { detail: `row widths ${[...new Set(rows.map((r) => r.length))].join(', ')}` }),
      });
      if (checks.minRows !== undefined) {
        const n = Math.max(0, rows.length - 1);
        results.push({
          name: `at least ${checks.minRows} data rows`,
          ok: n >= checks.minRows,
          detail: `${n} rows`,
        });
      }
      for (const column of checks.columns ?? []) {
        const ok = (rows[0] ?? []).some((cell) => new RegExp(column, 'i').test(cell));
        results.push({
          name: `has a /${column}/ column`,
          ok,
          ...(ok ? {} : { detail: `header: ${rows[0]?.join(',')}` }),
        });
      }
      break;
    }
    case 'application/json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
        results.push({ name: 'parses as JSON', ok: true });
      } catch (err) {
        results.push({ name: 'parses as JSON', ok: false, detail: (err as Error).message });
        break;
      }
      if (checks.minItems !== undefined) {
        const list = Array.isArray(parsed)
          ? parsed
          : Object.values((parsed ?? {}) as Record<string, unknown>).find(Array.isArray);
        const n = Array.isArray(list) ? list.length : 0;
        results.push({
          name: `at least ${checks.minItems} items`,
          ok: n >= checks.minItems,
          detail: `${n} items`,
        });
      }
      mentions(checks.mentions, body);
      break;
    }
    case 'text/markdown': {
      results.push({ name: 'has a heading', ok: /^#{1,6} \S/m.test(body) });
      if (checks.table)
        results.push({
          name: 'has a table',
          ok: /^\s*\|.*\|\s*$\n^\s*\|[\s:|-]+\|\s*$/m.test(body),
        });
      mentions(checks.mentions, body);
      break;
    }
    case 'text/html': {
      results.push({
        name: 'is an HTML document',
        ok: /<html[\s>]/i.test(body) && /<\/html>/i.test(body),
      });
      mentions(checks.mentions, body.replace(/<[^>]*>/g, ' '));
      break;
    }
  }
  return results;
}
