import type { HealthReply } from '@hyperdesk/shared/contracts';
import { errorMessage, getHealth } from './api';

const REFRESH_MS = 30_000;

/** The gateway's health, refreshed in the background while the desktop is open. */
class Health {
  reply = $state<HealthReply | null>(null);
  error = $state<string | null>(null);
  #timer: ReturnType<typeof setInterval> | undefined;

  /** True when the model is the simulator (`npm run demo`). */
  readonly simulated = $derived(this.reply?.simulated ?? false);

  start(): () => void {
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS);
    return () => clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    try {
      this.reply = await getHealth();
      this.error = null;
    } catch (error) {
      this.error = errorMessage(error);
    }
  }
}

export const health = new Health();
