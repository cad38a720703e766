import { fileURLToPath } from 'node:url';
import { BaseEnv, DEFAULT_APP_DATA_BYTES, LlmEnv, Username, parseEnv } from '@hyperdesk/shared';
import { z } from 'zod';

const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

const defaultWebDist = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export const GatewayEnv = BaseEnv.extend(LlmEnv.shape).extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** The built desktop (web/dist) the gateway serves at /. */
  WEB_DIST: z.string().default(defaultWebDist),
  /** Concurrent classify jobs this process works on. */
  RUNNER_URL: z.string().url().default('http://127.0.0.1:4020'),
  /** How long a call waits for a tool build or repair before answering. */
  TOOL_WAIT_MS: z.coerce.number().int().min(1000).default(90_000),
  /**
   * accounts: users log in. local: every request is the one local admin (a laptop).
   * auto: local when the gateway listens on a loopback address and no first admin is set.
   */
  AUTH_MODE: z.enum(['auto', 'local', 'accounts']).default('auto'),
  /** Empty counts as unset (compose passes unset variables as empty). */
  HYPERDESK_ADMIN_USER: z.preprocess(emptyAsUnset, Username.optional()),
  HYPERDESK_ADMIN_PASSWORD: z.preprocess(emptyAsUnset, z.string().optional()),
  /** Secure cookies: auto = when the request came over HTTPS (X-Forwarded-Proto behind a proxy). */
  COOKIE_SECURE: z.enum(['auto', 'always', 'never']).default('auto'),
  TRUST_PROXY: z.stringbool().default(false),
  /**
   * Origins besides the gateway's own that may send writes with the session cookie and open
   * the WebSocket (comma-separated, e.g. `https://desk.example.com`); empty by default.
   */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  MAX_ACTIVE_RUNS: z.coerce.number().int().min(1).default(4),
  REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  DAILY_TOKEN_BUDGET: z.coerce.number().int().min(1).default(2_000_000),
  /** `hyperdesk.ask` calls one app may make per minute. */
  ASKS_PER_APP_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Bytes (UTF-8, keys and values) one app may keep in its store for one person. */
  APP_DATA_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_APP_DATA_BYTES),
  /** Bytes all of one person's apps may keep together. */
  APP_DATA_BYTES_PER_PERSON: z.coerce
    .number()
    .int()
    .min(1024)
    .default(50 * 1024 * 1024),
  /**
   * Model tokens one app's `hyperdesk.ask` calls may spend per UTC day before the person is
   * asked (in the window) whether it may spend more.
   */
  ASK_FREE_TOKENS_PER_APP: z.coerce.number().int().min(0).default(20_000),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_WINDOW_S: z.coerce.number().int().min(1).default(900),
  /** A run with no progress for this long is stopped as FAILED by the watchdog. */
  RUN_STALL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(10 * 60_000),
  CLASSIFY_CONCURRENCY: z.coerce.number().int().min(1).default(16),
  /** A bearer token that may read GET /metrics (a scraper); admins may read it anyway. */
  METRICS_TOKEN: z.preprocess(emptyAsUnset, z.string().optional()),
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  return parseEnv(GatewayEnv, source);
}

/** The auth mode in effect once `auto` is resolved. */
export function authMode(env: GatewayEnv): 'local' | 'accounts' {
  if (env.AUTH_MODE !== 'auto') return env.AUTH_MODE;
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(env.HOST);
  return loopback && !env.HYPERDESK_ADMIN_USER ? 'local' : 'accounts';
}
