import { BaseEnv, LlmEnv, metricsEnv, parseEnv } from '@hyperdesk/shared';
import { z } from 'zod';

export const AppGeneratorEnv = BaseEnv.extend(LlmEnv.shape)
  .extend(metricsEnv(4033).shape)
  .extend({
    /** Runs this process generates at once; generation mostly waits on the model. */
    APP_CONCURRENCY: z.coerce.number().int().min(1).default(16),
    /** How often streamed tokens are sent to watchers, in ms (one frame per interval). */
    TOKEN_FRAME_MS: z.coerce.number().int().min(1).max(1000).default(16),
    /** The Chromium that checks apps. */
    CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
    /** Where apps load /vendor/ libraries from during checks (the gateway). */
    GATEWAY_URL: z.string().url().default('http://127.0.0.1:4000'),
    /**
     * The longest a check waits, after the app loaded, for the work it scheduled at start
     * (timers, animation frames, tool answers) to run before its errors are collected; most
     * apps have started well before.
     */
    APP_CHECK_SETTLE_MS: z.coerce.number().int().min(0).max(10_000).default(1000),
    /** Apps the check renders at once in its Chromium; more checks wait for a turn. */
    APP_CHECK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    /** Repairs after a failed check before the run fails. */
    APP_MAX_REPAIRS: z.coerce.number().int().min(0).max(10).default(2),
  });
export type AppGeneratorEnv = z.infer<typeof AppGeneratorEnv>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): AppGeneratorEnv {
  return parseEnv(AppGeneratorEnv, source);
}
