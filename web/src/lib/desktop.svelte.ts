import type { DesktopLayout, DesktopWindow, LlmCallMetrics } from '@hyperdesk/shared/contracts';
import { createRun, errorMessage } from './api';
import { appData } from './app-data';
import { getDesktop, revertApp, saveAppVersion } from './library-api';
import { notices } from './notices.svelte';
import { sharedContext } from './shared-context';
import { RunFeed } from './run-feed';
import { RunModel } from './run-model.svelte';
import { type SocketStatus } from './run-socket';
import { cascadeRect, fitRect, type Rect, type Size } from './windows/geometry';
import { WindowState, type WindowInit, type WindowKind } from './windows/window-state.svelte';

export type Theme = DesktopLayout['theme'];

/** Windows of these kinds exist at most once. */
export type PanelKind = Extract<WindowKind, 'launcher' | 'tools' | 'settings'>;

const PANEL_TITLES: Record<PanelKind, string> = {
  launcher: 'App library',
  tools: 'Tool library',
  settings: 'Settings',
};

const PREFERRED_SIZE: Record<WindowKind, Size> = {
  app: { w: 760, h: 540 },
  run: { w: 760, h: 540 },
  content: { w: 640, h: 480 },
  launcher: { w: 720, h: 520 },
  tools: { w: 860, h: 560 },
  settings: { w: 560, h: 560 },
  timeline: { w: 880, h: 520 },
};

/** Below this width every window fills the screen. */
export const COMPACT_WIDTH = 700;
export const FIX_PROMPT = 'Fix the errors in this app';
const MAX_LAYOUT_WINDOWS = 60;
/** The layout contract caps z; renumber long before. */
const RENUMBER_ABOVE = 100_000;

/** The window manager: the open windows, what each shows, and the saved layout. */
export class Desktop {
  windows = $state<WindowState[]>([]);
  socketStatus = $state<SocketStatus>('idle');
  theme = $state<Theme>('dark');
  /** The size of the area windows live in. */
  bounds = $state<Size>({ w: 1024, h: 640 });
  /** A drag or resize in progress: app frames are covered so they cannot swallow the pointer. */
  interaction = $state<string | null>(null);
  /** True once the saved layout has been applied; nothing is saved before that. */
  ready = $state(false);
  /** Recent model calls of every followed run (the measured speed in Settings). */
  recentCalls = $state<LlmCallMetrics[]>([]);
  /** Bumped whenever the app library changes (a new version, a delete). */
  libraryVersion = $state(0);

  readonly compact = $derived(this.bounds.w < COMPACT_WIDTH);
  /** Front to back. */
  readonly stack = $derived([...this.windows].sort((a, b) => b.z - a.z));
  readonly active = $derived(this.stack.find((w) => !w.minimized) ?? null);
  readonly activeRuns = $derived(
    this.windows.filter((w) => w.run !== null && w.run.runId !== '' && !w.run.terminal),
  );

  #topZ = 0;
  #restoring = false;
  readonly #feed: RunFeed;

  constructor(socketUrl?: string) {
    this.#feed = new RunFeed(
      {
        runsOf: (runId) => this.windows.flatMap((w) => (w.run?.runId === runId ? [w.run] : [])),
        onStatus: (status) => {
          this.socketStatus = status;
          // (Re)connected: catch up on notices and context changes sent while away.
          if (status === 'open') void Promise.all([notices.load(), sharedContext.load()]);
        },
        onUserNotice: (notice) => notices.add(notice),
        onContext: (key, entry) => sharedContext.apply(key, entry),
        onAppData: (appId) => void appData.changedElsewhere(appId),
        onCall: (call) => (this.recentCalls = [...this.recentCalls.slice(-49), call]),
        // The app library shows the thumbnail once it is there.
        onThumbnail: () => (this.libraryVersion += 1),
        onAppSaved: (event) => {
          this.libraryVersion += 1;
          // A prompt that named an open window ("my notes window") refines that window's
          // app from a new run: the window showing the app loads the new version too.
          for (const win of this.windows) {
            if (win.run && win.run.runId !== event.runId && win.run.appId === event.appId) {
              void this.#feed.loadApp(win.run, event.appId, event.version);
            }
          }
        },
      },
      socketUrl,
    );
  }

  /** Opens the live connection (after login): notices and shared context arrive on it. */
  connect(): void {
    this.#feed.connect();
    void sharedContext.whenLoaded();
  }

  // ---- windows ----

  find(id: string): WindowState | undefined {
    return this.windows.find((w) => w.id === id);
  }

  focus(id: string): void {
    const win = this.find(id);
    if (!win) return;
    win.minimized = false;
    if (win.z !== this.#topZ) win.z = ++this.#topZ;
    if (this.#topZ > RENUMBER_ABOVE) this.#renumber();
  }

  /** Stacking numbers from 1 again, same order (they only grow otherwise). */
  #renumber(): void {
    [...this.stack].reverse().forEach((w, index) => (w.z = index + 1));
    this.#topZ = this.windows.length;
  }

  minimize(id: string): void {
    const win = this.find(id);
    if (win) win.minimized = true;
  }

  toggleMaximize(id: string): void {
    const win = this.find(id);
    if (!win) return;
    win.maximized = !win.maximized;
    this.focus(id);
  }

  close(id: string): void {
    const win = this.find(id);
    if (!win) return;
    this.windows = this.windows.filter((w) => w !== win);
    if (win.run?.runId) this.#release(win.run.runId);
  }

  /** The surface was measured or resized: every window is kept on the screen. */
  setBounds(bounds: Size): void {
    if (bounds.w === this.bounds.w && bounds.h === this.bounds.h) return;
    this.bounds = bounds;
    if (this.compact) return; // compact windows fill the screen; keep their desktop geometry
    for (const win of this.windows) {
      const fitted = fitRect(win.rect, bounds);
      if (!sameRect(fitted, win.rect)) win.rect = fitted;
    }
  }

  /** Opens (or brings forward) a tool library, app library or settings window. */
  openPanel(kind: PanelKind): WindowState {
    const existing = this.windows.find((w) => w.kind === kind);
    if (existing) {
      this.focus(existing.id);
      return existing;
    }
    return this.#add({ kind, title: PANEL_TITLES[kind] });
  }

  /** Opens (or brings forward) the timeline of a run. */
  openTimeline(runId: string, title: string): WindowState {
    const existing = this.windows.find((w) => w.kind === 'timeline' && w.runId === runId);
    if (existing) {
      this.focus(existing.id);
      return existing;
    }
    return this.#add({ kind: 'timeline', runId, title: `Timeline — ${title}` });
  }

  #add(init: Omit<WindowInit, 'rect' | 'z'> & { rect?: Rect; z?: number }): WindowState {
    const rect =
      init.rect ?? cascadeRect(this.windows.length, this.bounds, PREFERRED_SIZE[init.kind]);
    const z = init.z ?? this.#topZ + 1;
    this.#topZ = Math.max(this.#topZ, z);
    const win = new WindowState({ ...init, rect, z });
    this.windows.push(win);
    return win;
  }

  // ---- runs and apps ----

  /** Starts a run and opens its window; throws an ApiError with a readable message. */
  async submit(prompt: string): Promise<RunModel> {
    const { runId } = await createRun({ prompt });
    return this.openRun(runId, prompt.trim());
  }

  /** Opens (or brings forward) the window of a run and follows its events. */
  openRun(runId: string, prompt: string): RunModel {
    const existing = this.windows.find((w) => w.run?.runId === runId);
    if (existing?.run) {
      this.focus(existing.id);
      return existing.run;
    }
    const run = new RunModel(runId, prompt);
    this.#add({ kind: 'run', run });
    this.#feed.follow(runId);
    return run;
  }

  /** Opens an app from the library in a window, or brings its window forward. */
  async openApp(appId: string, title = ''): Promise<WindowState> {
    const existing = this.windows.find((w) => w.run?.appId === appId);
    if (existing) {
      this.focus(existing.id);
      return existing;
    }
    const run = RunModel.forApp(appId, title);
    const win = this.#add({ kind: 'app', run });
    await this.#feed.loadApp(run, appId, 0, true);
    return win;
  }

  /** The window follows a new run of its app; the app stays in view until the new one streams. */
  follow(win: WindowState, runId: string, prompt: string): RunModel {
    const previous = win.run;
    const run = previous ? RunModel.after(previous, runId, prompt) : new RunModel(runId, prompt);
    win.run = run;
    if (previous?.runId) this.#release(previous.runId);
    this.#feed.follow(runId);
    this.focus(win.id);
    return run;
  }

  /** Asks for a change to the window's app; the window streams the new version. */
  async refine(win: WindowState, prompt: string): Promise<void> {
    const appId = requireApp(win);
    const { runId } = await createRun({ prompt, appId });
    this.follow(win, runId, prompt.trim());
  }

  /** Sends the errors the window's app reported to be diagnosed and repaired in place. */
  async fix(win: WindowState): Promise<void> {
    const appId = requireApp(win);
    const reported = win.run?.appErrors ?? [];
    const errors = reported
      .filter((error, index) => reported.indexOf(error) === index)
      .slice(-20)
      .map((error) => error.slice(0, 4000));
    const { runId } = await createRun({ prompt: FIX_PROMPT, appId, errors });
    this.follow(win, runId, FIX_PROMPT);
  }

  /** Makes an old version current again and shows it. */
  async revert(win: WindowState, version: number): Promise<number> {
    const appId = requireApp(win);
    const restored = await revertApp(appId, version);
    this.libraryVersion += 1;
    if (win.run) await this.#feed.loadApp(win.run, appId, restored, true);
    return restored;
  }

  /** Saves hand-edited HTML as a new version; the window follows the run that checks it. */
  async saveCode(win: WindowState, html: string): Promise<void> {
    const appId = requireApp(win);
    const { runId, version } = await saveAppVersion(appId, html);
    const run = this.follow(win, runId, `Edited by hand: ${win.title}`);
    this.libraryVersion += 1;
    await this.#feed.loadApp(run, appId, version ?? 0, true);
  }

  #release(runId: string): void {
    if (!this.windows.some((w) => w.run?.runId === runId)) this.#feed.release(runId);
  }

  // ---- the saved layout ----

  /** The layout as `PUT /api/desktop` stores it. */
  layout(): DesktopLayout {
    return {
      // In opening order (the taskbar's); past the limit the windows furthest back are left out.
      windows: this.windows
        .filter((w) => this.stack.indexOf(w) < MAX_LAYOUT_WINDOWS)
        .map((w) => w.toLayout()),
      theme: this.theme,
    };
  }

  /** Applies the saved layout (once, at start-up, after the surface has been measured). */
  async restore(): Promise<void> {
    if (this.#restoring) return;
    this.#restoring = true;
    try {
      const layout = await getDesktop();
      this.theme = layout.theme;
      // Stacking order as saved, renumbered from 1.
      const byZ = [...layout.windows].sort((a, b) => a.z - b.z);
      for (const win of layout.windows) this.#restoreWindow(win, byZ.indexOf(win) + 1);
    } catch (error) {
      console.warn('[desktop] the saved layout could not be loaded:', errorMessage(error));
    } finally {
      this.ready = true;
    }
  }

  #restoreWindow(saved: DesktopWindow, z: number): void {
    const base = {
      id: saved.id,
      z,
      rect: this.compact
        ? { x: saved.x, y: saved.y, w: saved.w, h: saved.h }
        : fitRect(saved, this.bounds),
      minimized: saved.minimized,
      maximized: saved.maximized,
      ...(saved.skin ? { skin: saved.skin } : {}),
      ...(saved.title ? { title: saved.title } : {}),
    };
    if (this.find(saved.id)) return;
    switch (saved.kind) {
      case 'app':
      case 'run': {
        if (saved.appId) {
          const run = RunModel.forApp(saved.appId, saved.title ?? '', saved.runId);
          this.#add({ ...base, kind: 'app', run });
          void this.#feed.loadApp(run, saved.appId, 0, true);
          if (saved.runId) void this.#feed.resume(run);
        } else if (saved.runId) {
          const run = new RunModel(saved.runId, saved.title ?? '');
          this.#add({ ...base, kind: 'run', run });
          this.#feed.follow(saved.runId); // replays the run from its first event
        }
        return;
      }
      case 'timeline':
        if (saved.runId) this.#add({ ...base, kind: 'timeline', runId: saved.runId });
        return;
      case 'content':
        if (saved.contentId) this.#add({ ...base, kind: 'content', contentId: saved.contentId });
        return;
      case 'launcher':
      case 'tools':
      case 'settings':
        this.#add({ ...base, kind: saved.kind, title: PANEL_TITLES[saved.kind] });
        return;
    }
  }
}

function requireApp(win: WindowState): string {
  const appId = win.run?.appId;
  if (!appId) throw new Error('This window has no app yet.');
  return appId;
}

function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

export const desktop = new Desktop();
