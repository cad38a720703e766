/**
 * The design system every app gets: one stylesheet the gateway serves under /vendor/ (cached
 * for good: its name carries a hash of its text) and `prepareAppDocument` links before any of
 * the app's own markup, so a model writes markup first and little CSS, and apps look like the
 * desktop. Colours follow the desktop's theme through `color-scheme` and `light-dark()`, and
 * its accent through `--hd-accent`: the SDK sets both in a style element of its own and
 * changes them when the desktop's theme changes (`themeCss`).
 *
 * Classless base styles (body, headings, links, buttons, fields, tables, lists, code) and a
 * compact set of classes: stack, row, grid, card, toolbar, tabs, badge, list, empty, muted,
 * spacer; button variants primary, danger, ghost.
 */

export const DESIGN_SYSTEM_CSS = `:root{--hd-accent:#2563eb;
--hd-bg:light-dark(#ffffff,#161b22);--hd-surface:light-dark(#f6f8fa,#1c222b);
--hd-surface-2:light-dark(#eaeef2,#262c36);--hd-border:light-dark(#d0d7de,#30363d);
--hd-text:light-dark(#1f2328,#e6edf3);--hd-muted:light-dark(#59636e,#9aa4b2);
--hd-accent-soft:color-mix(in srgb,var(--hd-accent) 14%,transparent);
--hd-on-accent:light-dark(#ffffff,#0b1220);
--hd-ok:light-dark(#15803d,#4ade80);--hd-warn:light-dark(#b45309,#fbbf24);--hd-danger:light-dark(#c62828,#f87171);
--hd-radius:8px;--hd-gap:12px;
--hd-font:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;
--hd-mono:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace}
*,*::before,*::after{box-sizing:border-box}
html{background:var(--hd-bg);color:var(--hd-text);font:15px/1.5 var(--hd-font);accent-color:var(--hd-accent)}
body{margin:0;padding:16px}
h1,h2,h3,h4{margin:0 0 .5em;line-height:1.25;font-weight:650}
h1{font-size:1.6rem}h2{font-size:1.3rem}h3{font-size:1.1rem}h4{font-size:1rem}
p{margin:0 0 .75em}
a{color:var(--hd-accent)}
small,.muted{color:var(--hd-muted)}
hr{border:0;border-top:1px solid var(--hd-border);margin:16px 0}
code,kbd,pre,samp{font-family:var(--hd-mono);font-size:.9em}
code{background:var(--hd-surface-2);padding:.1em .35em;border-radius:4px}
pre{background:var(--hd-surface);border:1px solid var(--hd-border);border-radius:var(--hd-radius);padding:12px;overflow:auto}
pre code{background:none;padding:0}
ul,ol{margin:0 0 .75em;padding-left:1.4em}
li{margin:.2em 0}
img,svg,canvas,video{max-width:100%}
button,input,select,textarea{font:inherit;color:inherit}
button,.button{display:inline-flex;align-items:center;justify-content:center;gap:6px;padding:6px 14px;
border:1px solid var(--hd-border);border-radius:var(--hd-radius);background:var(--hd-surface);cursor:pointer;
line-height:1.4;text-decoration:none;color:var(--hd-text)}
button:hover{background:var(--hd-surface-2)}
button:disabled{opacity:.5;cursor:default}
button.primary,button[type=submit]{background:var(--hd-accent);border-color:var(--hd-accent);color:var(--hd-on-accent)}
button.primary:hover,button[type=submit]:hover{filter:brightness(1.08)}
button.danger{color:var(--hd-danger);border-color:currentColor;background:transparent}
button.ghost{background:transparent;border-color:transparent}
button.ghost:hover{background:var(--hd-surface-2)}
input:not([type=checkbox],[type=radio],[type=range],[type=color]),select,textarea{
padding:6px 10px;border:1px solid var(--hd-border);border-radius:var(--hd-radius);background:var(--hd-bg);min-width:0}
textarea{width:100%;min-height:6em;resize:vertical}
:focus-visible{outline:2px solid var(--hd-accent);outline-offset:1px}
label{display:inline-flex;align-items:center;gap:6px}
fieldset{border:1px solid var(--hd-border);border-radius:var(--hd-radius);padding:12px}
table{border-collapse:collapse;width:100%}
th,td{padding:6px 10px;border-bottom:1px solid var(--hd-border);text-align:left}
th{color:var(--hd-muted);font-weight:600;font-size:.9em}
progress,meter{width:100%;accent-color:var(--hd-accent)}
.stack{display:flex;flex-direction:column;gap:var(--hd-gap)}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:var(--hd-gap)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(var(--min,180px),1fr));gap:var(--hd-gap)}
.spacer{flex:1}
.card{background:var(--hd-surface);border:1px solid var(--hd-border);border-radius:var(--hd-radius);padding:16px}
.toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:8px;padding-bottom:12px;margin-bottom:12px;border-bottom:1px solid var(--hd-border)}
.tabs{display:flex;gap:4px;border-bottom:1px solid var(--hd-border);margin-bottom:12px}
.tabs>*{border:0;border-bottom:2px solid transparent;border-radius:0;background:none;padding:8px 12px;color:var(--hd-muted)}
.tabs>[aria-selected=true],.tabs>.active{color:var(--hd-text);border-bottom-color:var(--hd-accent)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.8em;background:var(--hd-accent-soft);color:var(--hd-accent)}
.badge.ok{background:color-mix(in srgb,var(--hd-ok) 15%,transparent);color:var(--hd-ok)}
.badge.warn{background:color-mix(in srgb,var(--hd-warn) 15%,transparent);color:var(--hd-warn)}
.badge.danger{background:color-mix(in srgb,var(--hd-danger) 15%,transparent);color:var(--hd-danger)}
.list{list-style:none;margin:0;padding:0;border:1px solid var(--hd-border);border-radius:var(--hd-radius)}
.list>li{display:flex;align-items:center;gap:8px;margin:0;padding:8px 12px;border-bottom:1px solid var(--hd-border)}
.list>li:last-child{border-bottom:0}
.empty{padding:32px 16px;text-align:center;color:var(--hd-muted)}
`;

/** A short, stable hash of the text (FNV-1a, 32 bits), so a changed stylesheet gets a new name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The stylesheet's file name under /vendor/ (the gateway serves it there). */
export const DESIGN_SYSTEM_FILE = `hyperdesk-${fnv1a(DESIGN_SYSTEM_CSS)}.css`;

/** The desktop's look that an app follows: its light/dark theme and accent colour. */
export interface AppTheme {
  theme: 'light' | 'dark';
  /** A CSS colour. */
  accent: string;
}

export const DEFAULT_APP_THEME: AppTheme = { theme: 'dark', accent: '#6ea8fe' };

/** A colour we pass into a style element: hex, rgb()/hsl() or a name, nothing that ends a rule. */
export function safeAccent(accent: string): string {
  return /^(#[0-9a-f]{3,8}|(rgb|hsl)a?\([0-9.,%\s/]+\)|[a-z]+)$/i.test(accent.trim())
    ? accent.trim()
    : DEFAULT_APP_THEME.accent;
}

/** The rule the SDK's own style element holds for a theme. */
export function themeCss(theme: AppTheme): string {
  const scheme = theme.theme === 'light' ? 'light' : 'dark';
  // More specific than the stylesheet's `:root`, which comes after it.
  return `html:root{color-scheme:${scheme};--hd-accent:${safeAccent(theme.accent)}}`;
}
