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

function scriptSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The page a check loads: the app in a sandboxed iframe as on the desktop (under the same
 * `frame-src 'none'`, and answering only the channel that comes with the document's `key`),
 * and a host that answers the bridge from the tools' examples and records errors in
 * `window.__report`.
 */
export function harnessDocument(
  appDocument: string,
  tools: ToolInterface[],
  baseUrl: string,
  key: string,
): string {
  const answers = Object.fromEntries(
    tools.map((t) => [
      t.name,
      t.examples.find((e) => e.result !== undefined)?.result ?? sampleFor(t.returns),
    ]),
  );
  // The base makes the app's /vendor/ URLs resolve to the gateway, as on the desktop.
  return `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="frame-src 'none'"><base href="${baseUrl}/"></head><body style="margin:0">
<iframe id="app" sandbox="allow-scripts allow-forms" style="width:800px;height:560px;border:0;display:block"></iframe>
<script>
  window.__report = { errors: [], calls: [] };
  const answers = ${scriptSafe(answers)};
  const frame = document.getElementById('app');
  let port = null;
  addEventListener('message', (event) => {
    const m = event.data;
    if (port || event.source !== frame.contentWindow || !event.ports[0]) return;
    if (m && m.hyperdesk === 1 && m.type === 'connect' && m.key === ${scriptSafe(key)}) {
      port = event.ports[0];
      port.onmessage = (e) => answer(e.data);
    }
  });
  function answer(m) {
    if (!m || m.hyperdesk !== 1) return;
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
    const ok = Object.prototype.hasOwnProperty.call(answers, m.name);
    if (!ok) window.__report.errors.push('The app called the tool ' + m.name + ', which it was not granted.');
    port.postMessage(ok
      ? { hyperdesk: 1, type: 'tool-result', id: m.id, ok: true, result: answers[m.name] }
      : { hyperdesk: 1, type: 'tool-result', id: m.id, ok: false, error: 'not granted' });
  }
  frame.srcdoc = ${scriptSafe(appDocument)};
</script></body></html>`;
}
