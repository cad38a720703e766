import { z } from 'zod';

/** What an app may keep by default (UTF-8 bytes of its keys and values), as browsers allow. */
export const DEFAULT_APP_DATA_BYTES = 5 * 1024 * 1024;

/** One stored item: a key and its string value, as `localStorage` holds them. */
export const AppDataEntry = z.tuple([z.string().max(1024), z.string()]);
export type AppDataEntry = z.infer<typeof AppDataEntry>;

/**
 * `GET /api/apps/:id/data`: the app's whole store. Entries are pairs, not an object, so
 * any key (`__proto__` included) round-trips. `limit`: the bytes this app may hold now
 * (its own limit, or less when the person's allowance for all apps is nearly used).
 */
export const AppDataView = z.object({
  entries: z.array(AppDataEntry),
  bytes: z.number().int().min(0),
  limit: z.number().int().min(0),
});
export type AppDataView = z.infer<typeof AppDataView>;

/**
 * `PUT /api/apps/:id/data`: `clear` empties the store first; then each change sets a key
 * (a string) or deletes it (null), the last change of a key winning. All or nothing.
 */
export const AppDataWrite = z.object({
  clear: z.boolean().default(false),
  changes: z
    .array(z.tuple([z.string().max(1024), z.string().nullable()]))
    .max(10_000)
    .default([]),
});
export type AppDataWrite = z.infer<typeof AppDataWrite>;

/** The answer to a write: the store's size afterwards. */
export const AppDataSize = z.object({
  bytes: z.number().int().min(0),
  limit: z.number().int().min(0),
});
export type AppDataSize = z.infer<typeof AppDataSize>;
