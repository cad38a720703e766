import { isTerminal, type RunEvent, type RunView } from '@hyperdesk/shared/contracts';
import { errorMessage, getRun } from '../api';
import { defaultSocketUrl, RunSocket } from '../run-socket';

const TICK_MS = 250;
const REFRESH_DELAY_MS = 150;

/**
 * What a timeline window knows about one run: the run's record (history, model calls) and
 * its events, replayed from the first one over a socket of its own and followed live.
 */
export class RunTimeline {
  readonly runId: string;
  view = $state<RunView | null>(null);
  /** Every event except streamed text (which the timeline does not draw). */
  events = $state.raw<RunEvent[]>([]);
  error = $state<string | null>(null);
  now = $state(Date.now());

  #refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(runId: string) {
    this.runId = runId;
  }

  /** Starts following; returns the function that stops. */
  start(): () => void {
    const socket = new RunSocket(defaultSocketUrl(), {
      onEvent: (event) => this.#onEvent(event),
    });
    socket.subscribe(this.runId, 0);
    void this.refresh();
    const ticker = setInterval(() => {
      if (this.view && !isTerminal(this.view.state)) this.now = Date.now();
    }, TICK_MS);
    return () => {
      socket.close();
      clearInterval(ticker);
      clearTimeout(this.#refreshTimer);
    };
  }

  async refresh(): Promise<void> {
    try {
      this.view = await getRun(this.runId);
      this.now = Date.now();
      this.error = null;
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  #onEvent(event: RunEvent): void {
    if (event.type === 'run.token') return;
    this.events = [...this.events, event];
    if (event.type === 'run.state' || event.type === 'run.llm') {
      // The record holds the history and call details: fetch it once the burst settles.
      clearTimeout(this.#refreshTimer);
      this.#refreshTimer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
    }
  }
}
