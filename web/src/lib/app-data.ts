import { parseAppMessage, type AppMessage, type HostMessage } from '@hyperdesk/shared/sdk';
import { ApiError, errorMessage } from './api';
import { DEFAULT_APP_DATA_BYTES, readAppData, writeAppData } from './app-data-api';

type StorageWrite = Extract<AppMessage, { type: 'storage-write' }>;
type Send = (message: HostMessage) => void;

/** How long changes gather before they are saved (a hidden or closed window saves at once). */
const SAVE_AFTER_MS = 400;

interface Batch {
  clear: boolean;
  changes: Map<string, string | null>;
}

/** A frame showing the app: how to reach it, and what to do when its data was replaced. */
export interface DataFrame {
  send: Send;
  onReplaced: () => void;
}

/** One app's data as this page holds it: the saved map plus the changes not saved yet. */
class AppData {
  entries = new Map<string, string>();
  limit = DEFAULT_APP_DATA_BYTES;
  loaded: Promise<void> | null = null;
  /** The saved data has been read. Until then nothing is saved: a frame seeded with nothing
   * (the read failed) must not write over data it never saw. */
  read = false;
  readonly frames = new Set<DataFrame>();
  #batch: Batch | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #saving: Promise<void> = Promise.resolve();
  /** Saves started and not yet answered. */
  #inFlight = 0;

  constructor(readonly appId: string) {}

  get busy(): boolean {
    return this.#batch !== null || this.#timer !== null;
  }

  /** Resolves once no save is running. */
  settled(): Promise<void> {
    return this.#saving.catch(() => undefined);
  }

  async load(): Promise<void> {
    const view = await readAppData(this.appId);
    this.entries = new Map(view.entries);
    this.limit = view.limit;
    this.read = true;
  }

  /** Reads the saved data, trying again twice after a failure. */
  async loadPatiently(): Promise<void> {
    for (const wait of [300, 1000]) {
      try {
        return await this.load();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    return this.load();
  }

  /** A frame's changes: kept here, shown to the app's other frames, saved soon. */
  apply(write: StorageWrite, from: DataFrame): void {
    const batch = (this.#batch ??= { clear: false, changes: new Map() });
    if (write.clear) {
      this.entries.clear();
      batch.clear = true;
      batch.changes.clear();
      this.#tell(from, null, null);
    }
    for (const [key, value] of write.changes) {
      if (value === null) this.entries.delete(key);
      else this.entries.set(key, value);
      batch.changes.delete(key);
      batch.changes.set(key, value);
      this.#tell(from, key, value);
    }
    this.#timer ??= setTimeout(() => void this.save(), SAVE_AFTER_MS);
  }

  #tell(from: DataFrame | null, key: string | null, newValue: string | null): void {
    for (const frame of this.frames) {
      if (frame !== from)
        frame.send({ hyperdesk: 1, type: 'storage-change', area: 'local', key, newValue });
    }
  }

  /**
   * Saves the changes gathered so far, after any save still running; resolves once they
   * (and every earlier change) are saved, rejects when the gateway refused them.
   */
  save(keepalive = false): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#batch;
    this.#batch = null;
    const previous = this.#saving.catch(() => undefined);
    this.#inFlight += 1;
    const saving = previous.then(async () => {
      if (!batch) return;
      try {
        if (!this.read)
          throw new Error("The app's saved data could not be read, so changes are not saved.");
        const size = await writeAppData(
          this.appId,
          { clear: batch.clear, changes: [...batch.changes] },
          keepalive,
        );
        this.limit = size.limit;
      } catch (error) {
        await this.#refused(error);
        throw error;
      }
    });
    void saving.catch(() => undefined).finally(() => (this.#inFlight -= 1));
    this.#saving = saving;
    return saving;
  }

  /** A refused write changed nothing on the gateway: every frame goes back to what is saved. */
  async #refused(error: unknown): Promise<void> {
    console.warn(`[app-data] a write of ${this.appId} was refused:`, errorMessage(error));
    await this.load().catch(() => undefined);
    for (const frame of this.frames) {
      frame.send({
        hyperdesk: 1,
        type: 'storage-reset',
        area: 'local',
        entries: [...this.entries],
        limit: this.limit,
        error: errorMessage(error),
      });
    }
  }

  /**
   * The saved data changed, perhaps in another tab: read it again and tell the open frames
   * what differs, as `storage` events. This page's own saves find nothing new. While changes
   * of this page wait or are being saved, the read could be older than them: skipped.
   */
  async changedElsewhere(): Promise<void> {
    if (this.frames.size === 0) {
      this.loaded = null;
      return;
    }
    if (this.busy || this.#inFlight > 0) return;
    const view = await readAppData(this.appId).catch(() => null);
    if (!view || this.busy || this.#inFlight > 0) return;
    const before = this.entries;
    this.entries = new Map(view.entries);
    this.limit = view.limit;
    for (const key of new Set([...before.keys(), ...this.entries.keys()])) {
      const value = this.entries.get(key) ?? null;
      if ((before.get(key) ?? null) !== value) this.#tell(null, key, value);
    }
  }

  /**
   * Replaces the data from outside the app (an import, a clear) once the changes waiting
   * are saved; the app's frames then start again with the new data.
   */
  async replace(change: () => Promise<void>): Promise<void> {
    await this.save().catch(() => undefined);
    try {
      await change();
    } finally {
      await this.load().catch(() => undefined);
    }
    for (const frame of this.frames) frame.onReplaced();
  }
}

/**
 * The data of the apps open on this desktop, by app id. The desktop decides which app a
 * frame's data belongs to from the window that holds the frame; a frame's messages never
 * name an app. Windows of the same app share one entry, so each sees the other's changes.
 */
class AppDataHub {
  readonly #apps = new Map<string, AppData>();

  #of(appId: string): AppData {
    let data = this.#apps.get(appId);
    if (!data) {
      data = new AppData(appId);
      this.#apps.set(appId, data);
    }
    return data;
  }

  /**
   * The data a new document of the app starts with. Read again from the gateway unless a
   * window of the app is open or changes are waiting (then this page's copy is the newest).
   */
  async seed(appId: string): Promise<{ entries: [string, string][]; limit: number }> {
    const data = this.#of(appId);
    if ((data.frames.size === 0 && !data.busy) || !data.loaded) {
      data.loaded = data
        .settled()
        .then(() => data.loadPatiently())
        .catch((error: unknown) => {
          data.loaded = null;
          console.warn(`[app-data] ${appId} could not be read:`, errorMessage(error));
        });
    }
    await data.loaded;
    return { entries: [...data.entries], limit: data.limit };
  }

  attach(appId: string, frame: DataFrame): () => void {
    const data = this.#of(appId);
    data.frames.add(frame);
    return () => data.frames.delete(frame);
  }

  /** A frame's write; with an id, answered once it is saved. */
  write(appId: string, frame: DataFrame, write: StorageWrite): void {
    const data = this.#of(appId);
    data.apply(write, frame);
    if (write.id === undefined) return;
    const id = write.id;
    data.save().then(
      () => frame.send({ hyperdesk: 1, type: 'reply', id, ok: true, result: null }),
      (error: unknown) =>
        frame.send({
          hyperdesk: 1,
          type: 'reply',
          id,
          ok: false,
          error: errorMessage(error),
          code: error instanceof ApiError ? error.code : 'error',
        }),
    );
  }

  /** Saves the app's waiting changes now (its window hid or closed). */
  save(appId: string, keepalive = false): void {
    this.#apps
      .get(appId)
      ?.save(keepalive)
      .catch(() => undefined);
  }

  /** Saves the app's waiting changes; resolves once saved (rejects when refused). */
  flush(appId: string): Promise<void> {
    return this.#apps.get(appId)?.save() ?? Promise.resolve();
  }

  /** Saves every app's waiting changes (the desktop page is going away). */
  saveAll(): void {
    for (const appId of this.#apps.keys()) this.save(appId, true);
  }

  changedElsewhere(appId: string): Promise<void> {
    return this.#apps.get(appId)?.changedElsewhere() ?? Promise.resolve();
  }

  replace(appId: string, change: () => Promise<void>): Promise<void> {
    return this.#of(appId).replace(change);
  }
}

export const appData = new AppDataHub();

/**
 * The port of a document that went (its window closed, or a new version replaced it): a
 * write the app posted just before can still be on its way, so for a few seconds the port
 * takes storage writes, and nothing else, for the app, and they are saved.
 */
export function lingerPort(port: MessagePort, appId: string): void {
  const frame: DataFrame = { send: () => undefined, onReplaced: () => undefined };
  port.onmessage = (event) => {
    const message = parseAppMessage(event.data);
    if (message?.type !== 'storage-write' || message.area !== 'local') return;
    const { id: _answered, ...write } = message;
    appData.write(appId, frame, write);
    appData.save(appId);
  };
  setTimeout(() => port.close(), 5000);
}

addEventListener('pagehide', () => appData.saveAll());
addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') appData.saveAll();
});
