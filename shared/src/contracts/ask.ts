import { z } from 'zod';

/** Longest prompt an app may send with `hyperdesk.ask`. */
export const MAX_ASK_PROMPT_CHARS = 8000;

/** `POST /api/apps/:id/ask`: an app asks the model (through the desktop, never directly). */
export const AskBody = z.object({
  prompt: z.string().trim().min(1, 'prompt must not be empty').max(MAX_ASK_PROMPT_CHARS),
  /** A JSON Schema the answer must match; the answer is then JSON, checked with one re-ask. */
  schema: z
    .record(z.string(), z.unknown())
    .refine((schema) => JSON.stringify(schema).length <= 20_000, 'schema is too large')
    .optional(),
  /** Extra instructions for the model (a role, a tone, an output format). */
  system: z.string().max(4000).optional(),
});
export type AskBody = z.infer<typeof AskBody>;

/**
 * `GET /api/apps/:id/ask-usage`: what an app's `hyperdesk.ask` calls spent today (model
 * tokens, prompt and answer) and how much it may spend before the person is asked again.
 */
export const AskUsage = z.object({
  appId: z.string(),
  /** UTC day, YYYYMMDD. */
  day: z.string(),
  spent: z.number(),
  allowance: z.number(),
});
export type AskUsage = z.infer<typeof AskUsage>;

/** `POST /api/apps/:id/ask-allowance`: the person lets the app spend this many more tokens today. */
export const AskAllowanceBody = z.object({ tokens: z.number().int().min(1).max(10_000_000) });
export type AskAllowanceBody = z.infer<typeof AskAllowanceBody>;

/**
 * One line of the NDJSON answer to an ask: text as it streams, a `retry` when a structured
 * answer did not match its schema and the model is asked once more, then `done` or `error`.
 */
export const AskLine = z.discriminatedUnion('type', [
  z.object({ type: z.literal('token'), text: z.string() }),
  z.object({ type: z.literal('retry'), problem: z.string() }),
  z.object({
    type: z.literal('done'),
    text: z.string(),
    /** The parsed answer when a schema was given. */
    value: z.unknown().optional(),
    tokens: z.number(),
  }),
  z.object({
    type: z.literal('error'),
    error: z.string(),
    code: z.string(),
    limit: z.string().optional(),
    resetsAt: z.string().nullable().optional(),
  }),
]);
export type AskLine = z.infer<typeof AskLine>;
