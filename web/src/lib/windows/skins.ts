/**
 * Window skins: presets for a window's chrome (its frame, title bar and accent). A window
 * saves the preset's name in the layout.
 */
export interface Skin {
  label: string;
  vars: Record<string, string>;
}

export const SKINS: Record<string, Skin> = {
  default: { label: 'Default', vars: {} },
  ocean: {
    label: 'Ocean',
    vars: {
      '--win-bg': '#0b2233',
      '--win-titlebar': 'linear-gradient(90deg, #0e3a57, #115e67)',
      '--win-border': '#1f6f8b',
      '--win-text': '#e0f7ff',
      '--win-accent': '#38bdf8',
    },
  },
  paper: {
    label: 'Paper',
    vars: {
      '--win-bg': '#fbf8f1',
      '--win-titlebar': '#efe8d8',
      '--win-border': '#cdbf9f',
      '--win-text': '#3b3326',
      '--win-muted': '#75694f',
      '--win-accent': '#b45309',
      '--win-radius': '4px',
    },
  },
  terminal: {
    label: 'Terminal',
    vars: {
      '--win-bg': '#050805',
      '--win-titlebar': '#0b140b',
      '--win-border': '#1f5f2a',
      '--win-text': '#8cff9e',
      '--win-muted': '#5fbf6f',
      '--win-accent': '#39ff14',
      '--win-radius': '2px',
      '--win-font': 'ui-monospace, Menlo, Consolas, monospace',
    },
  },
  sunset: {
    label: 'Sunset',
    vars: {
      '--win-bg': '#24121f',
      '--win-titlebar': 'linear-gradient(90deg, #7c2d12, #9d174d)',
      '--win-border': '#be185d',
      '--win-text': '#ffe4e6',
      '--win-accent': '#fb923c',
      '--win-radius': '16px',
    },
  },
};

export const SKIN_NAMES = Object.keys(SKINS);

/** The inline style for a window's skin ('' for the default or an unknown name). */
export function skinStyle(name: string | undefined): string {
  const skin = name ? SKINS[name] : undefined;
  if (!skin) return '';
  return Object.entries(skin.vars)
    .map(([key, value]) => `${key}: ${value}`)
    .join('; ');
}
