import { z } from 'zod';

export const AppMeta = z.object({
  id: z.string(),
  owner: z.string(),
  title: z.string(),
  prompt: z.string(),
  tools: z.array(z.string()),
  version: z.number().int().positive(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type AppMeta = z.infer<typeof AppMeta>;

export const AppView = AppMeta.extend({ html: z.string() });
export type AppView = z.infer<typeof AppView>;
