import { z } from 'zod';

const Coordinate = z.number().finite().min(-10_000).max(100_000);

/** One window on a person's desktop, as saved server-side. */
export const DesktopWindow = z.object({
  id: z.string().min(1).max(64),
  kind: z.enum(['app', 'run', 'content', 'tools', 'settings', 'timeline', 'launcher']),
  runId: z.string().max(64).optional(),
  appId: z.string().max(64).optional(),
  contentId: z.string().max(64).optional(),
  title: z.string().max(200).optional(),
  x: Coordinate,
  y: Coordinate,
  w: z.number().finite().min(120).max(100_000),
  h: z.number().finite().min(80).max(100_000),
  z: z.number().int().min(0).max(1_000_000),
  minimized: z.boolean().default(false),
  maximized: z.boolean().default(false),
  /** A CSS skin preset name or custom CSS for the window's app. */
  skin: z.string().max(20_000).optional(),
});
export type DesktopWindow = z.infer<typeof DesktopWindow>;

/** `GET|PUT /api/desktop`: the person's window layout and preferences. */
export const DesktopLayout = z.object({
  windows: z.array(DesktopWindow).max(60),
  theme: z.enum(['dark', 'light']).default('dark'),
});
export type DesktopLayout = z.infer<typeof DesktopLayout>;
