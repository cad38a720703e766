/**
 * The bridge between an app (in a sandboxed iframe with an opaque origin) and the window
 * that hosts it. Every message carries `hyperdesk: 1`. The SDK's first message, posted to
 * the parent window before any of the app's code runs, is `connect` with the key the host
 * put into that document and a MessagePort; the host takes the first such port from its
 * frame's window (`isConnect`) and from then on listens to that port only. A document the
 * frame navigates to (same window, new document) never has the port, so it is no app.
 */

export type NoticeLevelName = 'info' | 'success' | 'warning' | 'error';

/** App → host. */
export type AppMessage =
  | { hyperdesk: 1; type: 'tool'; id: number; name: string; args: Record<string, unknown> }
  | {
      hyperdesk: 1;
      type: 'error';
      kind: 'error' | 'unhandledrejection' | 'tool' | 'console';
      message: string;
      stack?: string;
    }
  | { hyperdesk: 1; type: 'ready' }
  | {
      hyperdesk: 1;
      type: 'ask';
      id: number;
      prompt: string;
      schema?: Record<string, unknown>;
      system?: string;
    }
  | { hyperdesk: 1; type: 'ask-cancel'; id: number }
  | { hyperdesk: 1; type: 'context-get'; id: number; key: string }
  | { hyperdesk: 1; type: 'context-set'; id: number; key: string; value: unknown }
  | { hyperdesk: 1; type: 'context-subscribe'; key: string }
  | { hyperdesk: 1; type: 'notify'; level: NoticeLevelName; text: string }
  /**
   * Changes to the app's Web Storage since the last write (`clear` first, then each key set
   * or removed); with an id, the host replies once they are saved.
   */
  | {
      hyperdesk: 1;
      type: 'storage-write';
      id?: number;
      area: StorageAreaName;
      clear: boolean;
      changes: [string, string | null][];
    }
  /** The frame took the keyboard without the person: the host gives it back. */
  | { hyperdesk: 1; type: 'unfocus' }
  /** A desktop shortcut pressed while the app had the keyboard (the frame keeps its keys). */
  | { hyperdesk: 1; type: 'shortcut'; name: ShortcutName; back: boolean };

/** A failed request as the app sees it: the message, a stable code, and for a limit which one and when it resets. */
export interface BridgeFailure {
  ok: false;
  error: string;
  code?: string;
  limit?: string;
  resetsAt?: string | null;
}

export type StorageAreaName = 'local' | 'session';

/** Host → app. */
export type HostMessage =
  | { hyperdesk: 1; type: 'tool-result'; id: number; ok: true; result: unknown }
  | { hyperdesk: 1; type: 'tool-result'; id: number; ok: false; error: string }
  | { hyperdesk: 1; type: 'visibility'; hidden: boolean }
  /** The desktop's theme changed: the rule for the design system (`themeCss`). */
  | { hyperdesk: 1; type: 'theme'; css: string }
  | { hyperdesk: 1; type: 'ask-token'; id: number; text: string }
  | { hyperdesk: 1; type: 'ask-retry'; id: number; problem: string }
  /** The answer to an ask or a context request. */
  | { hyperdesk: 1; type: 'reply'; id: number; ok: true; result: unknown }
  | ({ hyperdesk: 1; type: 'reply'; id: number } & BridgeFailure)
  /** A subscribed context key's value (now, and on every change); present false once removed. */
  | { hyperdesk: 1; type: 'context'; key: string; present: boolean; value: unknown }
  /** Another window of the app changed its data (key null: cleared); a `storage` event. */
  | {
      hyperdesk: 1;
      type: 'storage-change';
      area: 'local';
      key: string | null;
      newValue: string | null;
    }
  /** A write was refused: the data as saved, which the app's storage goes back to. */
  | {
      hyperdesk: 1;
      type: 'storage-reset';
      area: StorageAreaName;
      entries: [string, string][];
      limit?: number;
      error?: string;
    };

/** Ctrl/Cmd+K opens the command bar; Alt+` (Shift: backwards) switches windows. */
export type ShortcutName = 'command-bar' | 'switch-windows';
const SHORTCUTS: readonly ShortcutName[] = ['command-bar', 'switch-windows'];

const NAME = /^[a-z][a-z0-9_]{1,47}$/;
const LEVELS: readonly NoticeLevelName[] = ['info', 'success', 'warning', 'error'];

function isObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

/** The SDK's `connect` message carrying this document's key (its port is the event's). */
export function isConnect(data: unknown, key: string): boolean {
  return isObject(data) && data.hyperdesk === 1 && data.type === 'connect' && data.key === key;
}

/** Validates a message from an app; null when it is not a well-formed bridge message. */
export function parseAppMessage(data: unknown): AppMessage | null {
  if (!isObject(data)) return null;
  const m = data;
  if (m.hyperdesk !== 1) return null;
  const id = typeof m.id === 'number' && Number.isSafeInteger(m.id) ? m.id : null;
  const key = typeof m.key === 'string' ? m.key.slice(0, 200) : null;
  switch (m.type) {
    case 'tool':
      if (id === null || typeof m.name !== 'string' || !NAME.test(m.name)) return null;
      if (!isObject(m.args)) return null;
      return { hyperdesk: 1, type: 'tool', id, name: m.name, args: m.args };
    case 'error':
      if (typeof m.message !== 'string') return null;
      return {
        hyperdesk: 1,
        type: 'error',
        kind: ['error', 'unhandledrejection', 'tool', 'console'].includes(String(m.kind))
          ? (m.kind as 'error')
          : 'error',
        message: m.message.slice(0, 2000),
        ...(typeof m.stack === 'string' ? { stack: m.stack.slice(0, 4000) } : {}),
      };
    case 'ready':
      return { hyperdesk: 1, type: 'ready' };
    case 'unfocus':
      return { hyperdesk: 1, type: 'unfocus' };
    case 'ask':
      if (id === null || typeof m.prompt !== 'string') return null;
      if (m.schema !== undefined && !isObject(m.schema)) return null;
      if (m.system !== undefined && typeof m.system !== 'string') return null;
      return {
        hyperdesk: 1,
        type: 'ask',
        id,
        prompt: m.prompt,
        ...(isObject(m.schema) ? { schema: m.schema } : {}),
        ...(typeof m.system === 'string' ? { system: m.system } : {}),
      };
    case 'ask-cancel':
      return id === null ? null : { hyperdesk: 1, type: 'ask-cancel', id };
    case 'context-get':
      return id === null || key === null ? null : { hyperdesk: 1, type: 'context-get', id, key };
    case 'context-set':
      if (id === null || key === null || !('value' in m)) return null;
      return { hyperdesk: 1, type: 'context-set', id, key, value: m.value };
    case 'context-subscribe':
      return key === null ? null : { hyperdesk: 1, type: 'context-subscribe', key };
    case 'notify':
      if (typeof m.text !== 'string') return null;
      return {
        hyperdesk: 1,
        type: 'notify',
        level: LEVELS.includes(m.level as NoticeLevelName) ? (m.level as NoticeLevelName) : 'info',
        text: m.text.slice(0, 2000),
      };
    case 'storage-write':
      return parseStorageWrite(m, id);
    case 'shortcut':
      if (!SHORTCUTS.includes(m.name as ShortcutName)) return null;
      return {
        hyperdesk: 1,
        type: 'shortcut',
        name: m.name as ShortcutName,
        back: m.back === true,
      };
    default:
      return null;
  }
}

function parseStorageWrite(m: Record<string, unknown>, id: number | null): AppMessage | null {
  if (m.area !== 'local' && m.area !== 'session') return null;
  if (!Array.isArray(m.changes) || m.changes.length > 100_000) return null;
  const changes: [string, string | null][] = [];
  for (const change of m.changes as unknown[]) {
    if (!Array.isArray(change) || change.length !== 2) return null;
    const [key, value] = change as unknown[];
    if (typeof key !== 'string' || (value !== null && typeof value !== 'string')) return null;
    changes.push([key, value]);
  }
  return {
    hyperdesk: 1,
    type: 'storage-write',
    ...(id !== null ? { id } : {}),
    area: m.area,
    clear: m.clear === true,
    changes,
  };
}
