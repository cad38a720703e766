import type { AskUsage } from '@hyperdesk/shared/contracts';
import { allowAsks, askUsage } from './desktop-api';

/**
 * What each app's `hyperdesk.ask` calls spent today, for the window to show, and which apps
 * wait for the person's consent to spend more. Only the desktop's own controls (a click in
 * the window's bar) raise an allowance; nothing an app sends can.
 */
class AskSpending {
  usage = $state<Record<string, AskUsage>>({});
  waiting = $state<Record<string, boolean>>({});

  async refresh(appId: string): Promise<void> {
    try {
      this.usage[appId] = await askUsage(appId);
    } catch {
      // The figure is informative; the next ask refreshes it.
    }
  }

  /** An ask was refused for want of consent: the window asks the person. */
  needConsent(appId: string): void {
    this.waiting[appId] = true;
    void this.refresh(appId);
  }

  /** The person allowed as much again as the app may spend now. */
  async allow(appId: string): Promise<void> {
    const step = Math.max(this.usage[appId]?.allowance ?? 0, 1000);
    this.usage[appId] = await allowAsks(appId, step);
    this.waiting[appId] = false;
  }

  dismiss(appId: string): void {
    this.waiting[appId] = false;
  }
}

export const askSpending = new AskSpending();
