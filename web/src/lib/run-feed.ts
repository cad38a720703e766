import {
  isTerminal,
  type ContextEntry,
  type LlmCallMetrics,
  type Notice,
  type RunEvent,
  type ServerNotice,
} from '@hyperdesk/shared/contracts';
import { errorMessage, getApp, getRun } from './api';
import { getContent } from './library-api';
import type { RunModel } from './run-model.svelte';
import { defaultSocketUrl, RunSocket, type SocketStatus } from './run-socket';

export interface RunFeedHooks {
  /** The models following a run (one per window that shows it). */
  runsOf(runId: string): RunModel[];
  onStatus(status: SocketStatus): void;
  /** A model call of any followed run finished. */
  onCall(call: LlmCallMetrics): void;
  /** A run stored a new app version. */
  onAppSaved(event: Extract<RunEvent, { type: 'run.app' }>): void;
  /** An app version's thumbnail arrived (it follows the run's end). */
  onThumbnail?(appId: string, version: number): void;
  /** A notice raised for the person (by a run or an app). */
  onUserNotice?(notice: Notice): void;
  /** A shared context key changed (null: removed). */
  onContext?(key: string, entry: ContextEntry | null): void;
  /** An app's saved data changed (perhaps in another tab). */
  onAppData?(appId: string): void;
}

/**
 * Feeds the runs the windows follow: their events over the one WebSocket, and the finished
 * app or content fetched over HTTP when the events say it is there.
 */
export class RunFeed {
  readonly #hooks: RunFeedHooks;
  readonly #socket: RunSocket;

  constructor(hooks: RunFeedHooks, socketUrl: string = defaultSocketUrl()) {
    this.#hooks = hooks;
    this.#socket = new RunSocket(socketUrl, {
      onEvent: (event) => this.#onEvent(event),
      onNotice: (notice) => this.#onNotice(notice),
      onStatus: (status) => hooks.onStatus(status),
    });
  }

  /** Opens the socket now (notices and context arrive on it even with no run followed). */
  connect(): void {
    this.#socket.connect();
  }

  /** Starts receiving a run's events, from its first one. */
  follow(runId: string): void {
    this.#socket.subscribe(runId);
  }

  release(runId: string): void {
    this.#socket.unsubscribe(runId);
  }

  /**
   * A window restored with the run it last followed: if that run is still going, follow it
   * (its events replay from the start); otherwise only take its final state.
   */
  async resume(run: RunModel): Promise<void> {
    try {
      const view = await getRun(run.runId);
      if (view.error) run.error = view.error;
      run.state = view.state;
      if (!isTerminal(view.state)) this.follow(run.runId);
    } catch {
      // The run is gone (expired or deleted): the window just shows the app.
    }
  }

  /**
   * Fetches the app's current document into the run's window. Without `force`, a version
   * already asked for is not asked for again.
   */
  async loadApp(run: RunModel, appId: string, version: number, force = false): Promise<void> {
    if (!force && run.requestedAppVersion >= version) return; // already on its way
    run.requestedAppVersion = Math.max(run.requestedAppVersion, version);
    try {
      const app = await getApp(appId);
      run.setAppHtml(app.html, app.version, app.tools);
      if (app.title && (force || !run.title)) run.title = app.title;
      run.notice = null;
    } catch (error) {
      run.notice = `Could not load the app: ${errorMessage(error)}`;
      if (run.requestedAppVersion === version) run.requestedAppVersion = -1; // allow a retry
    }
  }

  #onEvent(event: RunEvent): void {
    if (event.type === 'run.llm') this.#hooks.onCall(event.call);
    if (event.type === 'run.app') this.#hooks.onAppSaved(event);
    if (event.type === 'run.thumbnail') this.#hooks.onThumbnail?.(event.appId, event.version);
    for (const run of this.#hooks.runsOf(event.runId)) {
      run.apply(event);
      if (event.type === 'run.app') {
        run.producedApp = true;
        void this.loadApp(run, event.appId, event.version);
      } else if (event.type === 'run.state' && event.state === 'DONE') {
        void this.#finish(run);
      }
    }
  }

  #onNotice(notice: ServerNotice): void {
    if (notice.type === 'notice') this.#hooks.onUserNotice?.(notice.notice);
    if (notice.type === 'context') this.#hooks.onContext?.(notice.key, notice.entry);
    if (notice.type === 'app-data') this.#hooks.onAppData?.(notice.appId);
    if (notice.type !== 'error') return;
    const runs = notice.runId ? this.#hooks.runsOf(notice.runId) : [];
    for (const run of runs) run.notice = notice.message;
    if (runs.length === 0) console.warn('[ws] server error:', notice.message);
  }

  /** At DONE, make sure the finished app (or content) is shown even if an event was missed. */
  async #finish(run: RunModel): Promise<void> {
    if (
      run.producedApp &&
      run.appHtml !== null &&
      run.appVersion !== null &&
      run.appHtmlVersion >= run.appVersion
    ) {
      return;
    }
    try {
      const view = await getRun(run.runId);
      if (view.title && !run.title) run.title = view.title;
      if (view.contentId) {
        run.contentId = view.contentId;
        const content = await getContent(view.contentId);
        run.content = content.body;
        run.contentType = content.type;
      }
      const appId = view.appId ?? run.appId;
      if (!appId) return; // a tool run or a virtual response: no app
      run.appId = appId;
      await this.loadApp(run, appId, run.appVersion ?? 0, true);
    } catch (error) {
      run.notice = `Could not load the run: ${errorMessage(error)}`;
    }
  }
}
