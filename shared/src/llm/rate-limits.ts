import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

/**
 * Provider rate limits: what the headers say, a budget every worker shares in Redis, and a
 * `fetch` for the model client that waits out a refusal as long as the provider says.
 *
 * OpenAI and Groq send `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` with resets
 * as durations (`1s`, `6m0s`, `120ms`); Cerebras adds the window to the name
 * (`x-ratelimit-reset-tokens-minute`) with resets in seconds. Neither always sends
 * `retry-after`, which is all the OpenAI SDK reads.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `6m0s`, `1.5s`, `120ms`, `2h`, or bare seconds (`32.5`); null when it is none of these. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return null;
  let ms = 0;
  for (const [, value, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(value) * (UNIT_MS[unit as string] ?? 0);
  }
  return Math.round(ms);
}

export interface RateLimit {
  /** `requests`, `tokens`, with the window when the provider names one (`tokens-minute`). */
  name: string;
  limit: number | null;
  remaining: number | null;
  resetMs: number | null;
}

export interface RateLimitInfo {
  /** From `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
  retryAfterMs: number | null;
  limits: RateLimit[];
}

const LIMIT_HEADER = /^x-ratelimit-(limit|remaining|reset)-(requests|tokens)(?:-(\w+))?$/;

export function readRateLimits(headers: Headers): RateLimitInfo {
  const limits = new Map<string, RateLimit>();
  headers.forEach((value, key) => {
    const m = LIMIT_HEADER.exec(key.toLowerCase());
    if (!m) return;
    const name = m[3] ? `${m[2]}-${m[3]}` : (m[2] as string);
    const entry = limits.get(name) ?? { name, limit: null, remaining: null, resetMs: null };
    if (m[1] === 'reset') entry.resetMs = parseDuration(value);
    else if (Number.isFinite(Number(value))) entry[m[1] as 'limit' | 'remaining'] = Number(value);
    limits.set(name, entry);
  });
  return { retryAfterMs: retryAfter(headers), limits: [...limits.values()] };
}

function retryAfter(headers: Headers): number | null {
  const ms = Number(headers.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** The limits a refusal is about: those used up, else every one that says when it resets. */
export function exhaustedLimits(info: RateLimitInfo): RateLimit[] {
  const used = info.limits.filter((l) => l.remaining === 0 && l.resetMs !== null);
  return used.length > 0 ? used : info.limits.filter((l) => l.resetMs !== null);
}

/** How long to hold off after a 429: what the provider says, else the latest reset. */
export function refusalWaitMs(info: RateLimitInfo): number | null {
  if (info.retryAfterMs !== null) return info.retryAfterMs;
  const resets = exhaustedLimits(info).map((l) => l.resetMs ?? 0);
  return resets.length > 0 ? Math.max(...resets) : null;
}

/** "the tokens-minute limit (60000) resets in 6m0s" for a failure message; null without headers. */
export function describeRefusal(info: RateLimitInfo, now = Date.now()): string | null {
  const limits = exhaustedLimits(info);
  const waitMs = refusalWaitMs(info);
  if (limits.length === 0 && waitMs === null) return null;
  const names = limits.map((l) => `${l.name}${l.limit === null ? '' : ` (${l.limit})`}`);
  const which = names.length > 0 ? `its ${names.join(' and ')} limit` : 'its limit';
  if (waitMs === null) return `${which} is used up`;
  const at = new Date(now + waitMs).toISOString().slice(11, 19);
  return `${which} resets in ${formatWait(waitMs)} (at ${at} UTC)`;
}

function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * One request budget per provider and model, in Redis, for every worker: a token bucket of
 * `perMinute` requests (0: no bucket), and a pause the provider asked for (a 429, or a limit
 * its headers say is used up). Redis's clock is the only clock.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMinute = tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blockedUntil') or '0')
if blocked > now then return {blocked - now, redis.call('HGET', KEYS[1], 'limits') or '[]'} end
if perMinute <= 0 then return {0, '[]'} end
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or tostring(perMinute))
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or tostring(now))
tokens = math.min(perMinute, tokens + (now - at) * perMinute / 60000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 60000 / perMinute) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 120000)
return {wait, '[]'}
`;

const BLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blockedUntil') or '0')
if untilMs > blocked then
  redis.call('HSET', KEYS[1], 'blockedUntil', tostring(untilMs), 'limits', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) + 120000)
return 0
`;

export class RatePacer {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly perMinute: number,
  ) {}

  /**
   * Waits until the shared budget allows one more request. When the wait would pass
   * `budgetMs`, waits not at all and returns the pause and the limits it is for.
   */
  async acquire(signal: AbortSignal | null, budgetMs: number): Promise<SharedPause | null> {
    let waited = 0;
    for (;;) {
      const [wait, limits] = (await this.redis.eval(ACQUIRE, 1, this.key, this.perMinute)) as [
        number,
        string,
      ];
      if (wait <= 0) return null;
      if (waited + wait > budgetMs)
        return { waitMs: wait, limits: JSON.parse(limits) as RateLimit[] };
      await sleep(wait, undefined, signal ? { signal } : {});
      waited += wait;
    }
  }

  /** Every worker holds off for `ms`, for these limits. */
  async block(ms: number, limits: RateLimit[]): Promise<void> {
    const named = limits.map(({ name, limit }) => ({ name, limit, remaining: 0, resetMs: null }));
    await this.redis.eval(BLOCK, 1, this.key, Math.ceil(ms), JSON.stringify(named));
  }
}

/** A pause another worker recorded: how long is left, and for which limits. */
export interface SharedPause {
  waitMs: number;
  limits: RateLimit[];
}

/**
 * The refusal a worker would get if it asked now, without asking: a 429 naming the limits
 * and their reset as the provider would, so the failure reads the same.
 */
function pausedResponse(pause: SharedPause): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'x-should-retry': 'false' });
  for (const limit of pause.limits) {
    if (limit.limit !== null) headers.set(`x-ratelimit-limit-${limit.name}`, String(limit.limit));
    headers.set(`x-ratelimit-remaining-${limit.name}`, '0');
    headers.set(`x-ratelimit-reset-${limit.name}`, `${Math.ceil(pause.waitMs)}ms`);
  }
  if (pause.limits.length === 0) headers.set('retry-after-ms', String(Math.ceil(pause.waitMs)));
  const message = 'Rate limit reached: the provider asked every worker to wait.';
  return new Response(JSON.stringify({ error: { message, type: 'rate_limit_error' } }), {
    status: 429,
    headers,
  });
}

export interface RateLimitedFetchOptions {
  pacer: RatePacer | null;
  /** 429s retried before the refusal is handed back. */
  maxRetries: number;
  /** The longest a call waits in all for a provider's limit before it gives up. */
  maxWaitMs: number;
  /** A pacer that fails (Redis down) must not stop the call: it is reported and skipped. */
  onPacerError?: (err: unknown) => void;
}

/** Exponential backoff for a 429 that says nothing of when to come back. */
function backoffMs(attempt: number): number {
  return Math.min(8000, 500 * 2 ** attempt);
}

/**
 * A `fetch` for the OpenAI SDK that owns 429s: it waits as long as the provider's headers say
 * (retry-after, else the reset of the limit that is used up), telling every worker through
 * the pacer, and retries; a refusal that outlasts the retries or `maxWaitMs` is handed back
 * marked `x-should-retry: false`, so the SDK does not retry it again too early. It also
 * pauses every worker when a successful answer says a limit is used up.
 */
export function rateLimitedFetch(options: RateLimitedFetchOptions): typeof fetch {
  const { pacer } = options;
  /** Runs a pacer step; its fallback when the pacer failed and the call goes on without it. */
  const guarded = async <T>(step: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await step();
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err;
      options.onPacerError?.(err);
      return fallback;
    }
  };
  return async (input, init) => {
    const signal = init?.signal ?? null;
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      if (pacer) {
        const pause = await guarded(() => pacer.acquire(signal, options.maxWaitMs - waited), null);
        if (pause) return pausedResponse(pause);
      }
      const response = await fetch(input, init);
      const info = readRateLimits(response.headers);
      if (response.status !== 429) {
        const used = info.limits.filter((l) => l.remaining === 0 && l.resetMs);
        const pause = Math.max(0, ...used.map((l) => l.resetMs ?? 0));
        if (pacer && pause > 0) await guarded(() => pacer.block(pause, used), undefined);
        return response;
      }
      const wait = refusalWaitMs(info) ?? backoffMs(attempt);
      const shared = pacer
        ? await guarded(async () => (await pacer.block(wait, exhaustedLimits(info)), true), false)
        : false;
      if (attempt >= options.maxRetries || waited + wait > options.maxWaitMs) {
        const headers = new Headers(response.headers);
        headers.set('x-should-retry', 'false');
        return new Response(response.body, {
          status: response.status,
          statusText: response.statusText,
          headers,
        });
      }
      await response.body?.cancel();
      waited += wait;
      // With a pacer the next acquire() waits out the pause every worker sees.
      if (!shared) await sleep(wait, undefined, signal ? { signal } : {});
    }
  };
}
