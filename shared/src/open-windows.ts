import type { Redis } from 'ioredis';
import { DesktopLayout } from './contracts/desktop';
import { AppStore } from './apps';
import { ContextStore } from './desktop-context';
import type { RedisKeys } from './keys';

/** An open app window as the classifier and the generator are told about it. */
export interface OpenWindow {
  appId: string;
  title: string;
  /** The request the app was first made from. */
  prompt: string;
  /** Shared context keys this app published. */
  contextKeys: string[];
  minimized: boolean;
}

const MAX_WINDOWS = 12;
const MAX_PROMPT_CHARS = 160;

/**
 * The app windows open on a person's desktop (from the saved layout), front-most first,
 * with what each app is and which shared context keys it published.
 */
export async function openWindows(
  redis: Redis,
  keys: RedisKeys,
  owner: string,
): Promise<OpenWindow[]> {
  const apps = new AppStore(redis, keys);
  const [rawLayout, context] = await Promise.all([
    redis.get(keys.desktop(owner)),
    new ContextStore(redis, keys).all(owner),
  ]);
  const layout = rawLayout ? DesktopLayout.safeParse(JSON.parse(rawLayout)) : null;
  if (!layout?.success) return [];
  const published = new Map<string, string[]>();
  for (const entry of context) {
    if (entry.appId) published.set(entry.appId, [...(published.get(entry.appId) ?? []), entry.key]);
  }
  // Front-most first; an app open in two windows counts once, as its front-most window.
  const minimized = new Map<string, boolean>();
  for (const w of [...layout.data.windows].sort((a, b) => b.z - a.z)) {
    if (w.appId && (w.kind === 'app' || w.kind === 'run') && !minimized.has(w.appId)) {
      minimized.set(w.appId, w.minimized);
    }
  }
  const appIds = [...minimized.keys()].slice(0, MAX_WINDOWS);
  const found = await Promise.all(
    appIds.map(async (appId): Promise<OpenWindow | null> => {
      const meta = await apps.meta(appId);
      if (meta?.owner !== owner) return null;
      return {
        appId,
        title: meta.title,
        prompt: meta.prompt.slice(0, MAX_PROMPT_CHARS),
        contextKeys: (published.get(appId) ?? []).sort(),
        minimized: minimized.get(appId) ?? false,
      };
    }),
  );
  return found.filter((w) => w !== null);
}

/** One line per window: `- app_x "Notes" (made from: "…"; publishes: notes)`. */
export function describeOpenWindows(windows: OpenWindow[]): string {
  return windows
    .map((w) => {
      const parts = [`made from: ${JSON.stringify(w.prompt)}`];
      if (w.contextKeys.length) parts.push(`publishes context: ${w.contextKeys.join(', ')}`);
      if (w.minimized) parts.push('minimized');
      return `- ${w.appId} ${JSON.stringify(w.title)} (${parts.join('; ')})`;
    })
    .join('\n');
}
