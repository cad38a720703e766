import type { AppTheme } from '@hyperdesk/shared/sdk';
import type { Theme } from './desktop.svelte';
import { SKINS } from './windows/skins';

/** The desktop's accent per theme (`--accent` in app.css). */
const THEME_ACCENT: Record<Theme, string> = { dark: '#6ea8fe', light: '#2563eb' };

/** The look an app window hands its app: the desktop's theme, the window skin's accent or the desktop's. */
export function appTheme(theme: Theme, skin: string | undefined): AppTheme {
  const accent = (skin ? SKINS[skin]?.vars['--win-accent'] : undefined) ?? THEME_ACCENT[theme];
  return { theme, accent };
}
