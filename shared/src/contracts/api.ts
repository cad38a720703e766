import { z } from 'zod';
import { AppDataEntry } from './app-data';

export const MAX_PROMPT_CHARS = 8000;

export const CreateRunBody = z.object({
  prompt: z.string().trim().min(1, 'prompt must not be empty').max(MAX_PROMPT_CHARS),
  appId: z.string().min(1).max(64).optional(),
  errors: z.array(z.string().max(4000)).max(50).optional(),
});
export type CreateRunBody = z.infer<typeof CreateRunBody>;

export const CreateRunReply = z.object({ runId: z.string() });
export type CreateRunReply = z.infer<typeof CreateRunReply>;

export const IdParams = z.object({ id: z.string().min(1).max(64) });
export type IdParams = z.infer<typeof IdParams>;

export const ErrorReply = z.object({ error: z.string(), code: z.string() });
export type ErrorReply = z.infer<typeof ErrorReply>;

export const HealthReply = z.object({
  status: z.enum(['ok', 'degraded']),
  redis: z.boolean(),
  llm: z.boolean(),
  runner: z.boolean().nullable(),
  llmProvider: z.string(),
  llmModel: z.string(),
  simulated: z.boolean(),
});
export type HealthReply = z.infer<typeof HealthReply>;

/** `POST /api/apps`: import an app from HTML; it is checked like a generated one. */
export const ImportAppBody = z.object({
  title: z.string().trim().min(1).max(80),
  html: z.string().min(1).max(2_000_000),
  tools: z
    .array(z.string().regex(/^[a-z][a-z0-9_]{1,47}$/))
    .max(50)
    .default([]),
  /** The app's data, from an export: restored into the new app's store. */
  data: z.array(AppDataEntry).max(10_000).optional(),
});
export type ImportAppBody = z.infer<typeof ImportAppBody>;

export const AppRevertBody = z.object({ version: z.number().int().positive() });
export type AppRevertBody = z.infer<typeof AppRevertBody>;

/** `POST /api/apps/:id/versions`: a hand-edited document becomes a new, checked version. */
export const EditAppBody = z.object({ html: z.string().min(1).max(2_000_000) });
export type EditAppBody = z.infer<typeof EditAppBody>;
