import type { Notice } from '@hyperdesk/shared/contracts';
import { errorMessage } from './api';
import { clearNotices, listNotices } from './desktop-api';

/** How long a notice stays at the top of the desktop before it moves to the list only. */
const TOAST_MS = 6000;
const MOST_TOASTS = 3;

/** The person's notices: the list (newest first) and the few shown at the top right now. */
export class Notices {
  list = $state<Notice[]>([]);
  toasts = $state<Notice[]>([]);
  /** Notices that arrived since the list was last opened. */
  unread = $state(0);
  readonly #timers: Record<string, ReturnType<typeof setTimeout>> = {};

  async load(): Promise<void> {
    try {
      const loaded = await listNotices();
      const known = this.list.map((n) => n.id);
      this.list = loaded;
      if (known.length > 0) this.unread += loaded.filter((n) => !known.includes(n.id)).length;
    } catch (error) {
      console.warn('[notices] could not be loaded:', errorMessage(error));
    }
  }

  /** A new notice pushed over the WebSocket. */
  add(notice: Notice): void {
    if (this.list.some((n) => n.id === notice.id)) return;
    this.list = [notice, ...this.list].slice(0, 50);
    this.unread += 1;
    this.toasts = [notice, ...this.toasts].slice(0, MOST_TOASTS);
    this.#timers[notice.id] = setTimeout(() => this.dismiss(notice.id), TOAST_MS);
  }

  dismiss(id: string): void {
    clearTimeout(this.#timers[id]);
    delete this.#timers[id];
    this.toasts = this.toasts.filter((n) => n.id !== id);
  }

  markRead(): void {
    this.unread = 0;
  }

  async clear(): Promise<void> {
    await clearNotices();
    this.list = [];
    this.unread = 0;
  }
}

export const notices = new Notices();
