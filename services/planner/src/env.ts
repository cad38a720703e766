import { BaseEnv, LlmEnv, metricsEnv, parseEnv } from '@hyperdesk/shared';
import { z } from 'zod';

export const PlannerEnv = BaseEnv.extend(LlmEnv.shape)
  .extend(metricsEnv(4031).shape)
  .extend({
    CONCURRENCY: z.coerce.number().int().min(1).default(8),
  });
export type PlannerEnv = z.infer<typeof PlannerEnv>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): PlannerEnv {
  return parseEnv(PlannerEnv, source);
}
