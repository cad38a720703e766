import { STORAGE_SOURCE } from './storage-source';
import { CONTAINMENT_SOURCE } from './containment-source';

/**
 * The SDK injected into every app, as source text. It gives `hyperdesk.tool(name, args)`,
 * `hyperdesk.ask(prompt, options)` (the model, streamed, optionally as JSON matching a
 * schema), `hyperdesk.live(fn, ms)` (re-runs while the window is visible),
 * `hyperdesk.context` (state shared between the person's windows) and
 * `hyperdesk.notify(level, text)` and `hyperdesk.storage` (the app's saved data, also its
 * `localStorage` and `sessionStorage`: see storage-source.ts). It shims
 * `fetch('/api/mono/...')` through the bridge, blocks every other network request, and
 * reports errors to the host window. It runs as `(SDK_SOURCE)(key, seed, themeRule)`, with the
 * key the host put into the document, the app's data and the desktop's theme as a CSS rule
 * (`prepareAppDocument`, `themeCss`).
 */
export const SDK_SOURCE = String.raw`(key, seed, themeRule) => {
  // Bound to this document: the SDK opens a channel and hands the host its end with the
  // key the host put into this document, before any of the app's code exists. A document
  // the frame navigates to has no channel, and the key is spent.
  const channel = new MessageChannel();
  const send = channel.port1.postMessage.bind(channel.port1);
  parent.postMessage({ hyperdesk: 1, type: 'connect', key }, '*', [channel.port2]);
  const post = (m) => send(Object.assign({ hyperdesk: 1 }, m));
  // The desktop's theme and accent for the design system, changed when the desktop's change.
  const theme = document.createElement('style');
  theme.textContent = themeRule || '';
  document.head.append(theme);
  (${CONTAINMENT_SOURCE})(post);
  const pending = new Map();
  const asks = new Map();
  const watchers = new Map();
  const loops = new Set();
  let nextId = 1;
  let hostHidden = false;
  const report = (kind, message, stack) =>
    post({ type: 'error', kind, message: String(message).slice(0, 2000), stack: stack ? String(stack).slice(0, 4000) : undefined });
  const failure = (m) => Object.assign(new Error(m.error), { code: m.code, limit: m.limit, resetsAt: m.resetsAt });
  function tool(name, args) {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, name });
      post({ type: 'tool', id, name: String(name), args: args && typeof args === 'object' ? args : {} });
    });
  }
  function request(message) {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, name: null });
      post(Object.assign({ id }, message));
    });
  }
  function ask(prompt, options) {
    const o = options || {};
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (o.signal && o.signal.aborted) { reject(new DOMException('The ask was cancelled.', 'AbortError')); return; }
      const call = { text: '', onToken: o.onToken, onRetry: o.onRetry, schema: o.schema, resolve, reject };
      asks.set(id, call);
      if (o.signal) o.signal.addEventListener('abort', () => {
        if (!asks.delete(id)) return;
        post({ type: 'ask-cancel', id });
        reject(new DOMException('The ask was cancelled.', 'AbortError'));
      }, { once: true });
      post({ type: 'ask', id, prompt: String(prompt), schema: o.schema, system: o.system === undefined ? undefined : String(o.system) });
    });
  }
  // Web Storage over the app's data, which the desktop put into the document (none in a check).
  const store = (${STORAGE_SOURCE})(post, request, seed || {});
  const hidden = () => hostHidden || document.hidden;
  function live(a, b, c, d) {
    const fn = typeof a === 'function' ? a : () => tool(a, b).then(d);
    const every = Math.max(250, Number(typeof a === 'function' ? b : c) || 1000);
    const loop = { timer: null, stopped: false, paused: false };
    const tick = async () => {
      loop.timer = null;
      if (loop.stopped) return;
      if (hidden()) { loop.paused = true; return; }
      try { await fn(); } catch (err) { console.warn('hyperdesk.live:', err); }
      if (!loop.stopped) loop.timer = setTimeout(tick, every);
    };
    loop.resume = () => { if (loop.paused && !loop.stopped) { loop.paused = false; tick(); } };
    loops.add(loop);
    tick();
    return () => { loop.stopped = true; clearTimeout(loop.timer); loops.delete(loop); };
  }
  const resumeLoops = () => { if (!hidden()) for (const loop of loops) loop.resume(); };
  document.addEventListener('visibilitychange', resumeLoops);
  const context = Object.freeze({
    get: (key) => request({ type: 'context-get', key: String(key) }),
    set: (key, value) => request({ type: 'context-set', key: String(key), value: value === undefined ? null : value }),
    subscribe(key, callback) {
      const k = String(key);
      let set = watchers.get(k);
      if (!set) {
        set = new Set();
        watchers.set(k, set);
        post({ type: 'context-subscribe', key: k });
      } else if (set.latest) {
        const latest = set.latest;
        queueMicrotask(() => callback(latest.value, latest.present));
      }
      set.add(callback);
      return () => set.delete(callback);
    },
  });
  function notify(level, text) {
    post({ type: 'notify', level: String(level), text: String(text) });
  }
  channel.port1.onmessage = (event) => {
    const m = event.data;
    if (!m || m.hyperdesk !== 1) return;
    switch (m.type) {
      case 'theme':
        theme.textContent = String(m.css);
        return;
      case 'visibility':
        hostHidden = !!m.hidden;
        resumeLoops();
        return;
      case 'storage-change':
      case 'storage-reset':
        store.receive(m);
        return;
      case 'ask-token': {
        const call = asks.get(m.id);
        if (!call) return;
        call.text += m.text;
        if (call.onToken) call.onToken(m.text, call.text);
        return;
      }
      case 'ask-retry': {
        const call = asks.get(m.id);
        if (!call) return;
        call.text = '';
        if (call.onRetry) call.onRetry(m.problem);
        return;
      }
      case 'context': {
        const set = watchers.get(m.key);
        if (!set) return;
        set.latest = { value: m.present ? m.value : undefined, present: !!m.present };
        for (const callback of set) callback(set.latest.value, set.latest.present);
        return;
      }
      case 'reply': {
        const call = asks.get(m.id);
        if (call) {
          asks.delete(m.id);
          if (!m.ok) call.reject(failure(m));
          else call.resolve(call.schema ? m.result.value : m.result.text);
          return;
        }
        const req = pending.get(m.id);
        if (!req) return;
        pending.delete(m.id);
        if (m.ok) req.resolve(m.result);
        else req.reject(failure(m));
        return;
      }
      case 'tool-result': {
        const call = pending.get(m.id);
        if (!call) return;
        pending.delete(m.id);
        if (m.ok) call.resolve(m.result);
        else {
          report('tool', 'Tool ' + call.name + ' failed: ' + m.error);
          call.reject(new Error(m.error));
        }
      }
    }
  };
  const MONO = /^(?:https?:\/\/[^/]+)?\/api\/mono\/([a-z][a-z0-9_]*)\/?(?:\?([^#]*))?/;
  window.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : (input && input.url) || String(input);
    const match = MONO.exec(url);
    if (!match) throw new TypeError('Hyperdesk apps have no network access: ' + url);
    const args = {};
    new URLSearchParams(match[2] || '').forEach((v, k) => { args[k] = v; });
    if (init && typeof init.body === 'string' && init.body) Object.assign(args, JSON.parse(init.body));
    try {
      const result = await tool(match[1], args);
      return new Response(JSON.stringify(result), { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      return new Response(JSON.stringify({ error: err.message }), { status: 502, headers: { 'content-type': 'application/json' } });
    }
  };
  addEventListener('error', (e) => report('error', e.message || 'Script error', e.error && e.error.stack));
  addEventListener('unhandledrejection', (e) => {
    const r = e.reason;
    report('unhandledrejection', (r && r.message) || String(r), r && r.stack);
  });
  const consoleError = console.error.bind(console);
  console.error = (...parts) => {
    report('console', parts.map((p) => (p && p.message) || String(p)).join(' '));
    consoleError(...parts);
  };
  window.hyperdesk = Object.freeze({
    tool, ask, live, context, notify,
    storage: store.storage,
    /** True while the window is minimized or the page is hidden. */
    get hidden() { return hidden(); },
  });
  // The desktop's shortcuts work while the app has the keyboard: the host acts on them.
  addEventListener('keydown', (e) => {
    const name = (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k'
      ? 'command-bar'
      : e.altKey && e.code === 'Backquote' ? 'switch-windows' : null;
    if (!name) return;
    e.preventDefault();
    post({ type: 'shortcut', name, back: e.shiftKey });
  }, true);
  addEventListener('DOMContentLoaded', () => post({ type: 'ready' }));
}`;
