/** The gateway routes behind an app's data (its `localStorage`), made with the desktop's session. */
import {
  AppDataSize,
  AppDataView,
  DEFAULT_APP_DATA_BYTES,
  type AppDataWrite,
} from '@hyperdesk/shared/contracts';
import { ApiError, request } from './api';

export { DEFAULT_APP_DATA_BYTES };

const path = (appId: string) => `/api/apps/${encodeURIComponent(appId)}/data`;

export function readAppData(appId: string): Promise<AppDataView> {
  return request(path(appId), AppDataView);
}

/**
 * Saves changes. `keepalive` lets the request outlive the page (a write made as the desktop
 * closes); browsers send such a request only while its body is small (64 KiB).
 */
export function writeAppData(
  appId: string,
  write: AppDataWrite,
  keepalive = false,
): Promise<AppDataSize> {
  const body = JSON.stringify(write);
  return request(path(appId), AppDataSize, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body,
    keepalive: keepalive && body.length < 60_000,
  });
}

export async function clearAppData(appId: string): Promise<void> {
  const response = await fetch(path(appId), { method: 'DELETE' });
  if (!response.ok)
    throw new ApiError("The app's data could not be cleared.", response.status, 'http_error');
}

/** The app as a file (document, tools and data), as `POST /api/apps` takes it back. */
export async function exportApp(appId: string): Promise<unknown> {
  const response = await fetch(`/api/apps/${encodeURIComponent(appId)}/export`);
  if (!response.ok)
    throw new ApiError('The app could not be exported.', response.status, 'http_error');
  return response.json() as Promise<unknown>;
}
