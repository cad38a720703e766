import { SDK_SOURCE } from './sdk-source';

/** Libraries the gateway serves locally under /vendor/ (named in the generation prompt). */
export const VENDOR_LIBRARIES = {
  'three.js': '/vendor/three.module.js',
  'Chart.js': '/vendor/chart.umd.min.js',
  d3: '/vendor/d3.min.js',
} as const;

/**
 * The CSP every app runs under: inline code and the gateway's /vendor/ scripts only; no
 * network at all (connect-src 'none'): tool calls go through the bridge.
 */
export function appCsp(origin: string): string {
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline' 'unsafe-eval' ${origin}/vendor/`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    'font-src data:',
    'media-src data: blob:',
    "connect-src 'none'",
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

/**
 * The document an app window (or the check) loads: the CSP and the SDK go first, before any
 * of the app's own code. They are not put after the app's `<head>` tag: a `<head>` found by
 * searching can sit inside a comment or after a script, and the app would then run without
 * its CSP. The app's data (`seed`) goes in before the SDK, which installs Web Storage over it. Right after a leading doctype, the parser puts them into the head it implies.
 */
export function prepareAppDocument(html: string, origin: string, seed?: StorageSeed): string {
  // The seed is handed over in a property the SDK reads and deletes before the app runs.
  const data = seed
    ? `<script>Object.defineProperty(window,'__hyperdeskData',{value:${scriptJson(seed)},configurable:true})</script>`
    : '';
  const first = `<meta http-equiv="Content-Security-Policy" content="${appCsp(origin)}">${data}<script>${SDK_SOURCE}</script>`;
  const doctype = /^\uFEFF?(?:\s|<!--[\s\S]*?-->)*<!doctype[^>]*>/i.exec(html);
  if (doctype) return doctype[0] + first + html.slice(doctype[0].length);
  if (/<html[\s>]/i.test(html)) return first + html;
  return `<!DOCTYPE html><html><head>${first}</head><body>${html}</body></html>`;
}
