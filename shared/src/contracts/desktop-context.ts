import { z } from 'zod';

/** Most bytes (of JSON) one shared context value may take. */
export const MAX_CONTEXT_VALUE_BYTES = 16 * 1024;
/** Most keys one person's desktop context may hold. */
export const MAX_CONTEXT_KEYS = 64;

export const ContextKey = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/,
    'a context key is 1-64 letters, digits, "_", ".", ":" or "-"',
  );
export type ContextKey = z.infer<typeof ContextKey>;

/** One published entry of the shared desktop context. */
export const ContextEntry = z.object({
  key: ContextKey,
  value: z.unknown(),
  /** The app that published it (absent when published by the person or an API client). */
  appId: z.string().optional(),
  at: z.number(),
});
export type ContextEntry = z.infer<typeof ContextEntry>;

/** `PUT /api/context/:key` */
export const SetContextBody = z.object({
  value: z.unknown().refine((v) => v !== undefined, 'value is required'),
  appId: z.string().min(1).max(64).optional(),
});
export type SetContextBody = z.infer<typeof SetContextBody>;

export const ContextKeyParams = z.object({ key: ContextKey });

/** `GET /api/context`: every entry, by key. */
export const ContextEntries = z.array(ContextEntry);
