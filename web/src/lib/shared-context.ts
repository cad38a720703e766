import type { ContextEntry } from '@hyperdesk/shared/contracts';
import { errorMessage } from './api';
import { listContext } from './desktop-api';

type Watcher = (entry: ContextEntry | null) => void;

/**
 * The desktop context the person's apps share, as this page knows it: loaded once, then
 * kept current by the `context` messages on the WebSocket (which also carry the changes
 * other tabs make). App frames subscribe to keys here.
 */
export class SharedContext {
  entries = new Map<string, ContextEntry>();
  readonly #watchers = new Map<string, Set<Watcher>>();
  #firstLoad: Promise<void> | null = null;

  /** Resolves once the stored context has been loaded (loading it if nobody has yet). */
  whenLoaded(): Promise<void> {
    this.#firstLoad ??= this.load();
    return this.#firstLoad;
  }

  async load(): Promise<void> {
    try {
      const list = await listContext();
      const previous = this.entries;
      this.entries = new Map(list.map((entry) => [entry.key, entry]));
      for (const key of new Set([...previous.keys(), ...this.entries.keys()])) {
        if (previous.get(key)?.at !== this.entries.get(key)?.at) this.#notify(key);
      }
    } catch (error) {
      console.warn('[context] could not be loaded:', errorMessage(error));
    }
  }

  get(key: string): ContextEntry | null {
    return this.entries.get(key) ?? null;
  }

  /** A change from the gateway (entry null: the key was removed). */
  apply(key: string, entry: ContextEntry | null): void {
    const current = this.entries.get(key);
    if (entry && current && current.at > entry.at) return; // an older change arrived late
    const next = new Map(this.entries);
    if (entry) next.set(key, entry);
    else next.delete(key);
    this.entries = next;
    this.#notify(key);
  }

  /** Calls `watcher` with the key's entry now and on every change; returns the unsubscribe. */
  subscribe(key: string, watcher: Watcher): () => void {
    let set = this.#watchers.get(key);
    if (!set) {
      set = new Set();
      this.#watchers.set(key, set);
    }
    set.add(watcher);
    watcher(this.get(key));
    return () => set.delete(watcher);
  }

  #notify(key: string): void {
    const entry = this.get(key);
    for (const watcher of this.#watchers.get(key) ?? []) watcher(entry);
  }
}

export const sharedContext = new SharedContext();
