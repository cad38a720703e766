import type { ToolInterface } from '@hyperdesk/shared';

/** A value that fits a JSON Schema, for tools whose examples give no result. */
export function sampleFor(schema: Record<string, unknown>): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sampleFor(v)]));
    }
    case 'array':
      return schema.items ? [sampleFor(schema.items as Record<string, unknown>)] : [];
    case 'string':
      return 'sample';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

/** What the check answers each granted tool with: its example's result, else a sample. */
export function toolAnswers(tools: ToolInterface[]): Record<string, unknown> {
  return Object.fromEntries(
    tools.map((t) => [
      t.name,
      t.examples.find((e) => e.result !== undefined)?.result ?? sampleFor(t.returns),
    ]),
  );
}

/**
 * The page a checker tab keeps loaded: a host for one app at a time, in a sandboxed iframe as
 * on the desktop (under the same `frame-src 'none'`). `__check(appDocument, answers, key)`
 * puts the app in a new frame and resolves once the frame has loaded; the host answers only
 * the channel that comes with that document's `key`, answers tool calls from the tools'
 * examples, and records errors and calls in `window.__report`. `__clear()` removes the app
 * (its timers and animation end with its document).
 */
export function harnessDocument(baseUrl: string): string {
  // The base makes the app's /vendor/ URLs resolve to the gateway, as on the desktop.
  return `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="frame-src 'none'"><base href="${baseUrl}/"></head><body style="margin:0">
<script>
  let current = null;
  window.__report = { errors: [], calls: [] };
  addEventListener('message', (event) => {
    const m = event.data;
    const app = current;
    if (!app || app.port || event.source !== app.frame.contentWindow || !event.ports[0]) return;
    if (m && m.hyperdesk === 1 && m.type === 'connect' && m.key === app.key) {
      app.port = event.ports[0];
      app.port.onmessage = (e) => answer(app, e.data);
    }
  });
  function answer(app, m) {
    if (app !== current || !m || m.hyperdesk !== 1) return;
    const port = app.port;
    if (m.type === 'error') window.__report.errors.push(m.kind + ': ' + m.message);
    // Shared context in the check: nothing published yet, and publishing works. (Model
    // asks stay unanswered: a made-up answer could have the wrong shape.)
    if (m.type === 'context-get' || m.type === 'context-set') {
      port.postMessage({ hyperdesk: 1, type: 'reply', id: m.id, ok: true, result: m.type === 'context-set' ? m.value : undefined });
      return;
    }
    // Web Storage in the check: the app starts with an empty store of its own, and its
    // writes are acknowledged and kept nowhere (a person's data is never read or written).
    if (m.type === 'storage-write') {
      if (typeof m.id === 'number') port.postMessage({ hyperdesk: 1, type: 'reply', id: m.id, ok: true, result: null });
      return;
    }
    if (m.type !== 'tool') return;
    window.__report.calls.push(m.name);
    const ok = Object.prototype.hasOwnProperty.call(app.answers, m.name);
    if (!ok) window.__report.errors.push('The app called the tool ' + m.name + ', which it was not granted.');
    port.postMessage(ok
      ? { hyperdesk: 1, type: 'tool-result', id: m.id, ok: true, result: app.answers[m.name] }
      : { hyperdesk: 1, type: 'tool-result', id: m.id, ok: false, error: 'not granted' });
  }
  window.__clear = () => {
    if (current) current.frame.remove();
    current = null;
    window.__report = { errors: [], calls: [] };
  };
  window.__check = (appDocument, answers, key) => {
    window.__clear();
    const frame = document.createElement('iframe');
    frame.id = 'app';
    frame.setAttribute('sandbox', 'allow-scripts allow-forms');
    frame.style.cssText = 'width:800px;height:560px;border:0;display:block';
    current = { frame, key, answers, port: null };
    window.__loaded = new Promise((resolve) => frame.addEventListener('load', () => resolve(true), { once: true }));
    frame.srcdoc = appDocument;
    document.body.append(frame);
  };
</script></body></html>`;
}
