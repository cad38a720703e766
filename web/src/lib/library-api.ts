/**
 * The gateway's app library, tool library, raw content and desktop layout routes.
 *
 * Replies that have a contract in `@hyperdesk/shared/contracts` are parsed with it; the
 * envelopes around them (`{apps: [...]}`) and the few replies without one are checked by
 * the small readers below.
 */
import {
  AppMeta,
  DesktopLayout,
  ToolSummary,
  ToolVersion,
  type AppView,
} from '@hyperdesk/shared/contracts';
import { ApiError, getApp, request, type Schema } from './api';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Schema from a reader that throws when the reply has the wrong shape. */
function reader<T>(read: (input: Json) => T): Schema<T> {
  return {
    safeParse(input) {
      try {
        if (!isRecord(input)) throw new Error('the reply is not a JSON object');
        return { success: true, data: read(input) };
      } catch (error) {
        return { success: false, error: error as Error };
      }
    },
  };
}

function parse<T>(schema: Schema<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw result.error;
  return result.data;
}

function listOf<T>(value: unknown, item: Schema<T>): T[] {
  if (!Array.isArray(value)) throw new Error('expected a list');
  return value.map((entry) => parse(item, entry));
}

function num(value: unknown): number {
  if (typeof value !== 'number') throw new Error('expected a number');
  return value;
}

function str(value: unknown): string {
  if (typeof value !== 'string') throw new Error('expected a string');
  return value;
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const id = encodeURIComponent;

// ---- apps ----

export function listApps(): Promise<AppMeta[]> {
  return request(
    '/api/apps',
    reader((r) => listOf(r.apps, AppMeta)),
  );
}

export async function deleteApp(appId: string): Promise<void> {
  await request(
    `/api/apps/${id(appId)}`,
    reader(() => null),
    { method: 'DELETE' },
  );
}

export function thumbnailUrl(appId: string, version: number): string {
  return `/api/apps/${id(appId)}/versions/${version}/thumbnail`;
}

export interface AppVersionEntry {
  version: number;
  title: string;
  createdAt: number;
}

const AppVersionEntry = reader<AppVersionEntry>((r) => ({
  version: num(r.version),
  title: typeof r.title === 'string' ? r.title : '',
  createdAt: num(r.createdAt),
}));

export function appVersions(appId: string): Promise<AppVersionEntry[]> {
  return request(
    `/api/apps/${id(appId)}/versions`,
    reader((r) => listOf(r.versions, AppVersionEntry)),
  );
}

/** Makes an old version the current one (as a new version); returns that version. */
export function revertApp(appId: string, version: number): Promise<number> {
  return request(
    `/api/apps/${id(appId)}/revert`,
    reader((r) => num(r.version)),
    json({ version }),
  );
}

/**
 * Saves hand-edited HTML as a new version of the app (`POST /api/apps/:id/versions`); the
 * gateway checks it like a generated one in a run, whose id is returned.
 */
export function saveAppVersion(
  appId: string,
  html: string,
): Promise<{ runId: string; version: number | null }> {
  return request(
    `/api/apps/${id(appId)}/versions`,
    reader((r) => ({
      runId: str(r.runId),
      version: typeof r.version === 'number' ? r.version : null,
    })),
    json({ html }),
  );
}

export { getApp, type AppView };

// ---- tools ----

export function listTools(): Promise<ToolSummary[]> {
  return request(
    '/api/tools',
    reader((r) => listOf(r.tools, ToolSummary)),
  );
}

/** A recent execution or repair of a tool, as the library records it. */
export interface ToolActivity {
  at: number;
  kind: string;
  ok: boolean | null;
  version: number | null;
  durationMs: number | null;
  error: string | null;
  runId: string | null;
}

function readActivity(entry: unknown): ToolActivity {
  const r = isRecord(entry) ? entry : {};
  const version = r.version ?? r.fromVersion;
  return {
    at: typeof r.at === 'number' ? r.at : 0,
    kind: typeof r.kind === 'string' ? r.kind : 'event',
    ok: typeof r.ok === 'boolean' ? r.ok : null,
    version: typeof version === 'number' ? version : null,
    durationMs: typeof r.durationMs === 'number' ? r.durationMs : null,
    error:
      typeof r.stillFailing === 'string'
        ? r.stillFailing
        : typeof r.error === 'string'
          ? r.error
          : null,
    runId: typeof r.runId === 'string' ? r.runId : null,
  };
}

export interface ToolDetail {
  /** The newest version. */
  tool: ToolVersion;
  /** The version the person runs; null before their first use (which runs the newest). */
  using: number | null;
  activity: ToolActivity[];
}

export function getTool(name: string): Promise<ToolDetail> {
  return request(
    `/api/tools/${id(name)}`,
    reader((r) => ({
      tool: parse(ToolVersion, r),
      using: typeof r.using === 'number' ? r.using : null,
      activity: Array.isArray(r.activity) ? r.activity.map(readActivity) : [],
    })),
  );
}

/** The person runs this version of the tool (the newest by default) from now on. */
export function acceptTool(name: string, version?: number): Promise<number> {
  return request(
    `/api/tools/${id(name)}/accept`,
    reader((r) => num(r.using)),
    json(version === undefined ? {} : { version }),
  );
}

export function toolVersions(name: string): Promise<ToolVersion[]> {
  return request(
    `/api/tools/${id(name)}/versions`,
    reader((r) => listOf(r.versions, ToolVersion)),
  );
}

export function revertTool(name: string, version: number): Promise<number> {
  return request(
    `/api/tools/${id(name)}/revert`,
    reader((r) => num(r.version)),
    json({ version }),
  );
}

// ---- raw content ----

export interface RawContent {
  type: string;
  body: string;
}

export function contentUrl(contentId: string, download = false): string {
  return `/api/content/${id(contentId)}${download ? '?download' : ''}`;
}

/** The raw body of a virtual response or a tool result, with its MIME type. */
export async function getContent(contentId: string): Promise<RawContent> {
  let response: Response;
  try {
    response = await fetch(contentUrl(contentId));
  } catch {
    throw new ApiError('Cannot reach the Hyperdesk gateway. Is it running?', 0, 'network');
  }
  if (!response.ok) {
    throw new ApiError(
      `The content could not be loaded (${response.status}).`,
      response.status,
      'http_error',
    );
  }
  const type = (response.headers.get('content-type') ?? 'text/plain').split(';')[0] ?? 'text/plain';
  return { type: type.trim(), body: await response.text() };
}

// ---- the desktop layout ----

export function getDesktop(): Promise<DesktopLayout> {
  return request('/api/desktop', DesktopLayout);
}

export async function putDesktop(layout: DesktopLayout, keepalive = false): Promise<void> {
  await request('/api/desktop', DesktopLayout, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(layout),
    keepalive,
  });
}
