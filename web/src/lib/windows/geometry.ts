/**
 * Window geometry on the desktop surface: moving, resizing from an edge or a corner, and
 * keeping every window on the screen. Plain functions of numbers, so they are easy to test.
 */

export interface Size {
  w: number;
  h: number;
}

export interface Rect extends Size {
  x: number;
  y: number;
}

/** The edge or corner a resize starts from. */
export type Edge = 'n' | 's' | 'e' | 'w' | 'ne' | 'nw' | 'se' | 'sw';

export const EDGES: readonly Edge[] = ['n', 's', 'e', 'w', 'ne', 'nw', 'se', 'sw'];

/** The smallest a window may become. */
export const MIN_SIZE: Size = { w: 280, h: 180 };

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(value, high));
}

/** The rect made to fit inside the bounds: no bigger than them, and wholly on the screen. */
export function fitRect(rect: Rect, bounds: Size, min: Size = MIN_SIZE): Rect {
  const w = Math.round(clamp(rect.w, Math.min(min.w, bounds.w), bounds.w));
  const h = Math.round(clamp(rect.h, Math.min(min.h, bounds.h), bounds.h));
  return {
    x: Math.round(clamp(rect.x, 0, bounds.w - w)),
    y: Math.round(clamp(rect.y, 0, bounds.h - h)),
    w,
    h,
  };
}

/** The rect moved by (dx, dy) from where a drag started, stopped at the screen's edges. */
export function moveRect(start: Rect, dx: number, dy: number, bounds: Size): Rect {
  return fitRect({ ...start, x: start.x + dx, y: start.y + dy }, bounds);
}

/**
 * The rect resized by dragging `edge` by (dx, dy) from where the drag started. The opposite
 * edges stay put; the window never gets smaller than `min` nor leaves the screen.
 */
export function resizeRect(
  start: Rect,
  edge: Edge,
  dx: number,
  dy: number,
  bounds: Size,
  min: Size = MIN_SIZE,
): Rect {
  let { x, y, w, h } = start;
  const right = start.x + start.w;
  const bottom = start.y + start.h;
  if (edge.includes('e')) w = clamp(start.w + dx, min.w, bounds.w - start.x);
  if (edge.includes('s')) h = clamp(start.h + dy, min.h, bounds.h - start.y);
  if (edge.includes('w')) {
    x = clamp(start.x + dx, 0, right - min.w);
    w = right - x;
  }
  if (edge.includes('n')) {
    y = clamp(start.y + dy, 0, bottom - min.h);
    h = bottom - y;
  }
  return fitRect({ x, y, w, h }, bounds, min);
}

/** Where the n-th new window opens: a cascade from the top left, sized to the screen. */
export function cascadeRect(slot: number, bounds: Size, preferred: Size): Rect {
  const step = 32 * (slot % 8);
  return fitRect(
    {
      x: 24 + step,
      y: 16 + step,
      w: Math.min(preferred.w, bounds.w - 48),
      h: Math.min(preferred.h, bounds.h - 32),
    },
    bounds,
  );
}

/** Arrow-key handling for a window: a move (or, with Shift, a resize) of `step` pixels. */
export function nudgeRect(
  rect: Rect,
  key: string,
  resize: boolean,
  bounds: Size,
  step = 16,
): Rect | null {
  const delta: Record<string, [number, number]> = {
    ArrowLeft: [-step, 0],
    ArrowRight: [step, 0],
    ArrowUp: [0, -step],
    ArrowDown: [0, step],
  };
  const d = delta[key];
  if (!d) return null;
  return resize ? resizeRect(rect, 'se', d[0], d[1], bounds) : moveRect(rect, d[0], d[1], bounds);
}
