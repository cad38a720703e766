/**
 * Web Storage for apps, as source text the SDK calls before any app script runs:
 * `(post, request, seed) => ({ storage, receive })`.
 *
 * An app frame has an opaque origin, so the browser's own `localStorage` throws. This
 * installs `localStorage` and `sessionStorage` that behave like the browser's (synchronous,
 * strings, property access, `Object.keys`, `for…in`, `QuotaExceededError`), backed by the
 * seed the desktop put into the document (the app's saved data). Every change goes to the
 * host at the end of the task that made it, as one `storage-write`; the host saves it. The
 * host sends `storage-change` when another window of the app changed the data (dispatched
 * as a `storage` event) and `storage-reset` when a write was refused.
 *
 * `storage` is `hyperdesk.storage`: `get`, `set`, `delete`, `keys` over the same data, with
 * JSON values, resolving once the write is saved.
 */
export const STORAGE_SOURCE = String.raw`((post, request, seed) => {
  const encoder = new TextEncoder();
  const bytes = (s) => encoder.encode(s).length;
  const quota = (key) => new DOMException("Failed to execute 'setItem' on 'Storage': Setting the value of '" + key + "' exceeded the quota.", 'QuotaExceededError');
  const need = (args, n, name) => {
    if (args.length < n) throw new TypeError("Failed to execute '" + name + "' on 'Storage': " + n + ' argument' + (n > 1 ? 's' : '') + ' required, but only ' + args.length + ' present.');
  };
  let limit = Number(seed.limit) || 5242880;
  function area(name, entries) {
    const map = new Map(Array.isArray(entries) ? entries.map(([k, v]) => [String(k), String(v)]) : []);
    let used = 0;
    for (const [k, v] of map) used += bytes(k) + bytes(v);
    let batch = null;
    const record = (key, value) => {
      if (!batch) {
        batch = { clear: false, changes: new Map() };
        queueMicrotask(send);
      }
      batch.changes.delete(key);
      batch.changes.set(key, value);
    };
    function send() {
      if (!batch) return;
      post({ type: 'storage-write', area: name, clear: batch.clear, changes: [...batch.changes] });
      batch = null;
    }
    const proto = Object.create(Object.prototype);
    const methods = {
      getItem(key) {
        need(arguments, 1, 'getItem');
        const v = map.get(String(key));
        return v === undefined ? null : v;
      },
      setItem(key, value) {
        need(arguments, 2, 'setItem');
        const k = String(key);
        const v = String(value);
        const old = map.get(k);
        if (old === v) return;
        const next = used - (old === undefined ? 0 : bytes(k) + bytes(old)) + bytes(k) + bytes(v);
        if (next > used && next > limit) throw quota(k);
        map.set(k, v);
        used = next;
        record(k, v);
      },
      removeItem(key) {
        need(arguments, 1, 'removeItem');
        const k = String(key);
        const old = map.get(k);
        if (old === undefined) return;
        map.delete(k);
        used -= bytes(k) + bytes(old);
        record(k, null);
      },
      clear() {
        if (map.size === 0) return;
        map.clear();
        used = 0;
        if (!batch) queueMicrotask(send);
        batch = { clear: true, changes: new Map() };
      },
      key(index) {
        need(arguments, 1, 'key');
        const i = Number(index) >>> 0;
        return i < map.size ? [...map.keys()][i] : null;
      },
    };
    for (const [k, fn] of Object.entries(methods)) {
      Object.defineProperty(proto, k, { value: fn, writable: true, configurable: true });
    }
    Object.defineProperty(proto, 'length', { get: () => map.size, configurable: true });
    Object.defineProperty(proto, Symbol.toStringTag, { value: 'Storage', configurable: true });
    const named = (p) => typeof p === 'string' && map.has(p);
    const storage = new Proxy(Object.create(proto), {
      get: (t, p) => (named(p) && !(p in proto) ? map.get(p) : proto[p]),
      set(t, p, v) {
        if (typeof p !== 'string') return Reflect.set(t, p, v);
        methods.setItem(p, v);
        return true;
      },
      has: (t, p) => named(p) || p in proto,
      deleteProperty(t, p) {
        if (typeof p === 'string') methods.removeItem(p);
        return true;
      },
      ownKeys: () => [...map.keys()],
      getOwnPropertyDescriptor: (t, p) =>
        named(p) ? { value: map.get(p), writable: true, enumerable: true, configurable: true } : undefined,
      defineProperty(t, p, d) {
        if (typeof p !== 'string' || !('value' in d)) return false;
        methods.setItem(p, d.value);
        return true;
      },
    });
    // Another window's change (key null: cleared), applied without sending it back.
    function apply(key, newValue) {
      if (key === null) {
        map.clear();
        used = 0;
        return;
      }
      const old = map.get(key);
      if (old !== undefined) used -= bytes(key) + bytes(old);
      if (newValue === null) map.delete(key);
      else {
        map.set(key, newValue);
        used += bytes(key) + bytes(newValue);
      }
    }
    function reset(list) {
      map.clear();
      used = 0;
      for (const [k, v] of list) apply(String(k), String(v));
    }
    return { storage, methods, map, send, apply, reset };
  }
  const local = area('local', seed.local);
  const session = area('session', seed.session);
  for (const [name, a] of [['localStorage', local], ['sessionStorage', session]]) {
    Object.defineProperty(window, name, { get: () => a.storage, configurable: true, enumerable: true });
  }
  const parse = (v) => {
    if (v === null) return undefined;
    try { return JSON.parse(v); } catch { return v; }
  };
  // Sends the writes not yet sent and resolves once the host has saved them.
  const saved = async () => {
    local.send();
    try {
      await request({ type: 'storage-write', area: 'local', clear: false, changes: [] });
    } catch (err) {
      throw err.code === 'QUOTA_EXCEEDED' ? new DOMException(err.message, 'QuotaExceededError') : err;
    }
  };
  const storage = Object.freeze({
    get: async (key) => parse(local.methods.getItem(String(key))),
    async set(key, value) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new TypeError('hyperdesk.storage.set takes a JSON value.');
      local.methods.setItem(String(key), json);
      await saved();
    },
    async delete(key) {
      local.methods.removeItem(String(key));
      await saved();
    },
    keys: async () => [...local.map.keys()],
  });
  function receive(m) {
    const a = m.area === 'session' ? session : local;
    if (m.type === 'storage-reset') {
      if (typeof m.limit === 'number') limit = m.limit;
      a.reset(Array.isArray(m.entries) ? m.entries : []);
      if (m.error) console.warn('Hyperdesk: the app data could not be saved: ' + m.error);
      return;
    }
    const key = typeof m.key === 'string' ? m.key : null;
    const oldValue = key === null ? null : a.methods.getItem(key);
    const newValue = typeof m.newValue === 'string' ? m.newValue : null;
    a.apply(key, newValue);
    const event = new StorageEvent('storage', { key, oldValue, newValue, url: location.href });
    Object.defineProperty(event, 'storageArea', { value: a.storage });
    dispatchEvent(event);
  }
  return { storage, receive };
})`;
