import { describe, expect, it } from 'vitest';
import { lineDiff } from '../web/src/lib/diff';
import {
  EDGES,
  MIN_SIZE,
  cascadeRect,
  fitRect,
  moveRect,
  nudgeRect,
  resizeRect,
} from '../web/src/lib/windows/geometry';

const screen = { w: 1280, h: 700 };
const start = { x: 300, y: 200, w: 500, h: 300 };

describe('window geometry', () => {
  it('moves a window but never off the screen', () => {
    expect(moveRect(start, 40, -20, screen)).toEqual({ ...start, x: 340, y: 180 });
    expect(moveRect(start, -5000, -5000, screen)).toEqual({ ...start, x: 0, y: 0 });
    expect(moveRect(start, 5000, 5000, screen)).toEqual({ ...start, x: 780, y: 400 });
  });

  it('resizes from each edge and corner, keeping the opposite edges in place', () => {
    const right = start.x + start.w;
    const bottom = start.y + start.h;
    for (const edge of EDGES) {
      const dx = edge.includes('e') ? 30 : edge.includes('w') ? -30 : 0;
      const dy = edge.includes('s') ? 20 : edge.includes('n') ? -20 : 0;
      const next = resizeRect(start, edge, dx, dy, screen);
      expect(next.w, edge).toBe(start.w + Math.abs(dx));
      expect(next.h, edge).toBe(start.h + Math.abs(dy));
      if (edge.includes('w')) expect(next.x + next.w, edge).toBe(right);
      else expect(next.x, edge).toBe(start.x);
      if (edge.includes('n')) expect(next.y + next.h, edge).toBe(bottom);
      else expect(next.y, edge).toBe(start.y);
    }
  });

  it('stops a resize at the minimum size and at the screen edges', () => {
    expect(resizeRect(start, 'se', -5000, -5000, screen)).toEqual({
      ...start,
      w: MIN_SIZE.w,
      h: MIN_SIZE.h,
    });
    expect(resizeRect(start, 'nw', 5000, 5000, screen)).toEqual({
      x: start.x + start.w - MIN_SIZE.w,
      y: start.y + start.h - MIN_SIZE.h,
      w: MIN_SIZE.w,
      h: MIN_SIZE.h,
    });
    expect(resizeRect(start, 'nw', -5000, -5000, screen)).toEqual({
      x: 0,
      y: 0,
      w: start.x + start.w,
      h: start.y + start.h,
    });
    expect(resizeRect(start, 'e', 5000, 0, screen).w).toBe(screen.w - start.x);
  });

  it('fits saved windows to a smaller screen and cascades new ones', () => {
    expect(fitRect({ x: 1200, y: 600, w: 2000, h: 300 }, screen)).toEqual({
      x: 0,
      y: 400,
      w: 1280,
      h: 300,
    });
    const first = cascadeRect(0, screen, { w: 760, h: 540 });
    const second = cascadeRect(1, screen, { w: 760, h: 540 });
    expect(second.x - first.x).toBe(32);
    expect(cascadeRect(0, { w: 400, h: 300 }, { w: 760, h: 540 })).toEqual({
      x: 24,
      y: 16,
      w: 352,
      h: 268,
    });
  });

  it('moves with the arrow keys and resizes with Shift', () => {
    expect(nudgeRect(start, 'ArrowRight', false, screen)).toEqual({ ...start, x: 316 });
    expect(nudgeRect(start, 'ArrowDown', true, screen)).toEqual({ ...start, h: 316 });
    expect(nudgeRect(start, 'Enter', false, screen)).toBeNull();
  });
});

describe('line diff', () => {
  it('marks added and removed lines and keeps the common ones', () => {
    const diff = lineDiff('a\nb\nc\nd', 'a\nc\nx\nd');
    expect(diff.map((l) => `${l.kind[0]}${l.text}`)).toEqual(['sa', 'rb', 'sc', 'ax', 'sd']);
    expect(lineDiff('same', 'same').every((l) => l.kind === 'same')).toBe(true);
  });
});
