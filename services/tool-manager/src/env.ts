import { BaseEnv, LlmEnv, metricsEnv, parseEnv } from '@hyperdesk/shared';
import { z } from 'zod';

export const ToolManagerEnv = BaseEnv.extend(LlmEnv.shape)
  .extend(metricsEnv(4032).shape)
  .extend({
    CONCURRENCY: z.coerce.number().int().min(1).default(8),
    RUNNER_URL: z.string().url().default('http://127.0.0.1:4020'),
    /** Rewrites after the first version fails its tests, before the build gives up. */
    TOOL_MAX_REPAIRS: z.coerce.number().int().min(0).max(10).default(3),
  });
export type ToolManagerEnv = z.infer<typeof ToolManagerEnv>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): ToolManagerEnv {
  return parseEnv(ToolManagerEnv, source);
}
