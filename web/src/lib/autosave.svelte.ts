import type { DesktopLayout } from '@hyperdesk/shared/contracts';
import { errorMessage } from './api';
import type { Desktop } from './desktop.svelte';
import { putDesktop } from './library-api';

const SAVE_DELAY_MS = 400;

/**
 * Saves the layout with `PUT /api/desktop` a moment after it stops changing (a drag changes
 * it on every frame), and once more, without waiting, when the page goes away.
 * Call during a component's initialisation.
 */
export function autosaveLayout(desktop: Desktop): void {
  let saved = '';
  let pending: DesktopLayout | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = (keepalive: boolean): void => {
    clearTimeout(timer);
    const layout = pending;
    pending = null;
    if (!layout) return;
    const json = JSON.stringify(layout);
    if (json === saved) return;
    saved = json;
    putDesktop(layout, keepalive).catch((error: unknown) => {
      saved = ''; // try again with the next change
      console.warn('[desktop] the layout could not be saved:', errorMessage(error));
    });
  };

  $effect(() => {
    if (!desktop.ready) return;
    const layout = desktop.layout();
    if (JSON.stringify(layout) === saved) return;
    pending = layout;
    clearTimeout(timer);
    timer = setTimeout(() => flush(false), SAVE_DELAY_MS);
  });

  $effect(() => {
    const onHide = () => flush(true);
    addEventListener('pagehide', onHide);
    return () => {
      removeEventListener('pagehide', onHide);
      clearTimeout(timer);
    };
  });
}
