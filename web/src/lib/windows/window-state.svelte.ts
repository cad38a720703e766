import type { DesktopWindow } from '@hyperdesk/shared/contracts';
import type { RunModel } from '../run-model.svelte';
import type { Rect } from './geometry';

export type WindowKind = DesktopWindow['kind'];

export interface WindowInit {
  id?: string;
  kind: WindowKind;
  rect: Rect;
  z: number;
  title?: string;
  run?: RunModel | null;
  /** The run a timeline window shows. */
  runId?: string;
  contentId?: string;
  minimized?: boolean;
  maximized?: boolean;
  skin?: string;
}

let counter = 0;

function newWindowId(): string {
  counter += 1;
  return `w${Date.now().toString(36)}${counter.toString(36)}`;
}

/** One window on the desktop: where it is, how it is shown, and what it holds. */
export class WindowState {
  readonly id: string;
  /** The kind it was opened as (set once, in the constructor). */
  #kind: WindowKind = 'app';
  rect = $state<Rect>({ x: 0, y: 0, w: 0, h: 0 });
  z = $state(0);
  minimized = $state(false);
  maximized = $state(false);
  skin = $state<string | undefined>(undefined);
  /** The title of a window without a run (tool library, settings...). */
  label = $state('');
  /** App and run windows: the run the window follows (the latest one for its app). */
  run = $state<RunModel | null>(null);
  readonly runId: string | undefined;
  readonly contentId: string | undefined;

  /** What the window shows; a run window becomes an app window once its app exists. */
  readonly kind: WindowKind = $derived(this.run ? (this.run.appId ? 'app' : 'run') : this.#kind);

  readonly title = $derived(
    this.run ? this.run.title || this.run.prompt || 'Untitled app' : this.label,
  );

  constructor(init: WindowInit) {
    this.id = init.id ?? newWindowId();
    this.#kind = init.kind;
    this.rect = init.rect;
    this.z = init.z;
    this.label = init.title ?? '';
    this.run = init.run ?? null;
    this.runId = init.runId;
    this.contentId = init.contentId;
    this.minimized = init.minimized ?? false;
    this.maximized = init.maximized ?? false;
    this.skin = init.skin;
  }

  /** The window as the layout saves it. */
  toLayout(): DesktopWindow {
    const run = this.run;
    const kind = this.kind;
    const runId = run ? run.runId || undefined : this.runId;
    return {
      id: this.id,
      kind,
      ...(runId ? { runId } : {}),
      ...(run?.appId ? { appId: run.appId } : {}),
      ...(this.contentId ? { contentId: this.contentId } : {}),
      ...(this.title ? { title: this.title.slice(0, 200) } : {}),
      x: this.rect.x,
      y: this.rect.y,
      w: Math.max(120, this.rect.w),
      h: Math.max(80, this.rect.h),
      z: this.z,
      minimized: this.minimized,
      maximized: this.maximized,
      ...(this.skin ? { skin: this.skin } : {}),
    };
  }
}
