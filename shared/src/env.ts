import { z } from 'zod';

/**
 * Parses a service's environment once, at start-up. On failure it throws one error naming
 * every bad variable, so a person can fix them all at once.
 */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Variables every service reads. */
export const BaseEnv = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Namespace for every Redis key and queue; lets tests and deployments share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('hd'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * How long a service waits for Redis at start-up before it exits with one clear line. In a
   * deployment Redis may come up after the services (not every engine honours healthchecks).
   */
  REDIS_WAIT_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * How long a worker's hold on a job lasts without renewal. A worker that dies (kill -9, a
   * lost machine) stops renewing it; once it expires, another worker takes the job over.
   */
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often workers look for jobs whose holder died (expired locks). */
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  /**
   * SIGTERM: a service stops taking jobs, lets the running ones finish for most of this time,
   * hands the rest back to their queue and exits before it passes.
   */
  SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(1000).default(10_000),
});
export type BaseEnv = z.infer<typeof BaseEnv>;
