import { DEFAULT_APP_THEME, DESIGN_SYSTEM_FILE, themeCss, type AppTheme } from './design-system';
import { SDK_SOURCE } from './sdk-source';

/** Libraries the gateway serves locally under /vendor/ (named in the generation prompt). */
export const VENDOR_LIBRARIES = {
  'three.js': '/vendor/three.module.js',
  'Chart.js': '/vendor/chart.umd.min.js',
  d3: '/vendor/d3.min.js',
} as const;

/**
 * The CSP every app runs under (and the stream shell before it): inline code and styles,
 * and the gateway's /vendor/ scripts and stylesheets (the libraries and the design system)
 * only; no network at all (connect-src 'none'): tool calls go through the bridge. No frames
 * or workers: the SDK removes the frames a CSP lets through. Without an origin, no /vendor/.
 */
export function appCsp(origin: string | null): string {
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline' 'unsafe-eval'${origin === null ? '' : ` ${origin}/vendor/`}`,
    `style-src 'unsafe-inline'${origin === null ? '' : ` ${origin}/vendor/`}`,
    'img-src data: blob:',
    'font-src data:',
    'media-src data: blob:',
    "connect-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "object-src 'none'",
    "manifest-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The data a window's app starts with: its saved `localStorage`, the window's `sessionStorage`. */
export interface StorageSeed {
  local: [string, string][];
  session: [string, string][];
  /** Bytes the app may keep (the SDK throws QuotaExceededError beyond). */
  limit: number;
}

/** JSON that is safe inside a `<script>`: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A fresh key that binds a host to the document it loads (see `SDK_SOURCE`). */
export function bridgeKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/** The design system's stylesheet, as a document served from `origin` links it. */
export function designSystemHref(origin: string): string {
  return `${origin}/vendor/${DESIGN_SYSTEM_FILE}`;
}

/**
 * The document an app window (or the check) loads: the CSP, the SDK and the design system
 * (with the desktop's `theme`) go first, before any of the app's own code. They are not put after the app's `<head>` tag: a `<head>` found by
 * searching can sit inside a comment or after a script, and the app would then run without
 * its CSP. Right after a leading doctype, the parser puts them into the head it implies.
 * `key` (from `bridgeKey()`) is what the SDK shows the host when it connects: the host
 * answers only the channel that comes with it, once. `seed` is the app's data, which the
 * SDK installs Web Storage over (none: an empty store). Declarative shadow roots are not
 * parsed (their attribute is renamed): a frame inside one could not be seen and removed.
 */
export function prepareAppDocument(
  html: string,
  origin: string,
  key: string,
  seed?: StorageSeed,
  theme: AppTheme = DEFAULT_APP_THEME,
): string {
  if (!/^[0-9a-f]{32}$/.test(key)) throw new Error('A bridge key is 32 hex digits.');
  html = html.replace(/shadowrootmode/gi, 'data-shadowrootmode');
  const data = seed ? scriptJson(seed) : 'undefined';
  const first =
    `<meta http-equiv="Content-Security-Policy" content="${appCsp(origin)}">` +
    `<script>(${SDK_SOURCE})("${key}", ${data}, ${scriptJson(themeCss(theme))})</script>` +
    `<link rel="stylesheet" href="${designSystemHref(origin)}">`;
  const doctype = /^\uFEFF?(?:\s|<!--[\s\S]*?-->)*<!doctype[^>]*>/i.exec(html);
  if (doctype) return doctype[0] + first + html.slice(doctype[0].length);
  if (/<html[\s>]/i.test(html)) return first + html;
  return `<!DOCTYPE html><html><head>${first}</head><body>${html}</body></html>`;
}
