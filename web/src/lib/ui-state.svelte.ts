import type { Desktop } from './desktop.svelte';

/**
 * Desktop-wide overlays: the command bar's list and the window switcher. Keyboard shortcuts
 * (handled once, in App.svelte) and buttons (in the bars) both drive them through here.
 */
class Overlays {
  /** Bumped to ask the command bar to take focus and open its list. */
  commandRequest = $state(0);
  /** The window switcher: the windows in the order shown, and the one picked. */
  switcher = $state<{ ids: string[]; index: number; sticky: boolean } | null>(null);

  openCommandBar(): void {
    this.commandRequest += 1;
  }

  /**
   * Opens the switcher on the window behind the front one (Alt+` once switches between the
   * last two), or moves the pick along when it is open already.
   */
  cycleSwitcher(desktop: Desktop, step: 1 | -1, sticky = false): void {
    if (this.switcher) {
      const { ids, index } = this.switcher;
      this.switcher = { ...this.switcher, index: (index + step + ids.length) % ids.length };
      return;
    }
    const ids = desktop.stack.map((w) => w.id);
    if (ids.length === 0) return;
    const start = ids.length > 1 ? (step === 1 ? 1 : ids.length - 1) : 0;
    this.switcher = { ids, index: start, sticky };
  }

  /** Brings the picked window forward, restores it if minimized and moves focus into it. */
  commitSwitcher(desktop: Desktop): void {
    const picked = this.switcher ? this.switcher.ids[this.switcher.index] : undefined;
    this.switcher = null;
    if (picked) focusWindow(desktop, picked);
  }

  cancelSwitcher(): void {
    this.switcher = null;
  }
}

/** Brings a window forward and puts keyboard focus on it. */
export function focusWindow(desktop: Desktop, id: string): void {
  desktop.focus(id);
  requestAnimationFrame(() => {
    document.querySelector<HTMLElement>(`[data-window-id="${CSS.escape(id)}"]`)?.focus();
  });
}

export const overlays = new Overlays();
