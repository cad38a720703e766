import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RunEvent, type RunEventBody } from './contracts/events';
import {
  Intent,
  LlmCallMetrics,
  RunState,
  allowedSources,
  type HistoryEntry,
  type RunView,
} from './contracts/run';
import type { RedisKeys } from './keys';

/** A run as workers see it: the stored hash, parsed. */
export const RunRecord = z.object({
  id: z.string(),
  owner: z.string(),
  prompt: z.string(),
  state: RunState,
  createdAt: z.coerce.number(),
  intent: Intent.optional(),
  title: z.string().optional(),
  /** The app this run created or refines. */
  appId: z.string().optional(),
  contentId: z.string().optional(),
  contentType: z.string().optional(),
  error: z.string().optional(),
  /** JSON fields. */
  errors: z.string().optional(),
  tools: z.string().optional(),
  /** For tool_only: the planned call, {tool, args}. */
  call: z.string().optional(),
  /** JSON ToolInterface[]: every tool the app may call, fixed by the planner. */
  interfaces: z.string().optional(),
  /** The path an app requested on /api/mono when no tool matched it (the seed's catch-all). */
  viaMono: z.string().optional(),
  /** JSON string[]: what the last app check found wrong. */
  checkErrors: z.string().optional(),
  /** '1' when new tools are built beside app generation (the two branches join). */
  toolBuilds: z.string().optional(),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** Fields a transition may set on the run. */
export type RunPatch = Partial<
  Pick<
    RunRecord,
    | 'intent'
    | 'title'
    | 'appId'
    | 'contentId'
    | 'contentType'
    | 'error'
    | 'tools'
    | 'call'
    | 'interfaces'
    | 'toolBuilds'
    | 'checkErrors'
  >
>;

// Appends one numbered event to a run's stream and publishes it. The event JSON arrives
// without its seq; the script splices `"seq":n,` in after the opening brace.
const APPEND_EVENT = `
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local ev = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[2], seq .. '-0', 'e', ev)
redis.call('PUBLISH', ARGV[2], ev)
return seq
`;

// Moves a run to ARGV[1] if its current state is one of ARGV[3] (comma-separated), records
// the history entry and patch fields (ARGV[6..]), keeps the owner's set of active runs
// (KEYS[4]), then appends the run.state event. Returns {1, attempt, active} on
// success ({0, current} otherwise), where attempt counts earlier entries of the same state
// and active is how many runs the owner has in progress.
const TRANSITION = `
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return {0, ''} end
local allowed = false
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == cur then allowed = true end
end
if not allowed then return {0, cur} end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('RPUSH', KEYS[3], '{"state":"' .. ARGV[1] .. '","at":' .. ARGV[2] .. '}')
if ARGV[1] == 'DONE' or ARGV[1] == 'FAILED' or ARGV[1] == 'CANCELLED' then
  redis.call('SREM', KEYS[4], redis.call('HGET', KEYS[1], 'id'))
end
local attempt = redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[1], 1) - 1
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local ev = '{"seq":' .. seq .. ',' .. string.sub(ARGV[4], 2)
redis.call('XADD', KEYS[2], seq .. '-0', 'e', ev)
redis.call('PUBLISH', ARGV[5], ev)
return {1, tostring(attempt), redis.call('SCARD', KEYS[4])}
`;

// Records that a branch of a run arrived (once per branch); returns how many have arrived.
const ARRIVE = `
if redis.call('HSETNX', KEYS[1], 'arrived:' .. ARGV[1], 1) == 1 then
  return redis.call('HINCRBY', KEYS[1], 'arrivals', 1)
end
return tonumber(redis.call('HGET', KEYS[1], 'arrivals'))
`;

export type TransitionResult =
  { ok: true; attempt: number; ownerActiveRuns: number } | { ok: false; current: RunState | null };

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}

/** Runs, their history and their event streams in Redis. */
export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async create(input: {
    owner: string;
    prompt: string;
    appId?: string;
    errors?: string[];
    viaMono?: string;
  }): Promise<RunRecord> {
    const id = newId('run');
    const now = Date.now();
    const record: RunRecord = {
      id,
      owner: input.owner,
      prompt: input.prompt,
      state: 'RECEIVED',
      createdAt: now,
      ...(input.appId ? { appId: input.appId } : {}),
      ...(input.errors?.length ? { errors: JSON.stringify(input.errors) } : {}),
      ...(input.viaMono ? { viaMono: input.viaMono } : {}),
    };
    const event: RunEventBody = { type: 'run.state', runId: id, at: now, state: 'RECEIVED' };
    await this.redis
      .multi()
      .hset(this.keys.run(id), { ...record, seq: 0, 'n:RECEIVED': 1 })
      .rpush(this.keys.runHistory(id), JSON.stringify({ state: 'RECEIVED', at: now }))
      .zadd(this.keys.userRuns(input.owner), now, id)
      .sadd(this.keys.userActiveRuns(input.owner), id)
      .eval(
        APPEND_EVENT,
        2,
        this.keys.run(id),
        this.keys.runEvents(id),
        JSON.stringify(event),
        this.keys.runChannel(id),
      )
      .exec();
    return record;
  }

  async get(id: string): Promise<RunRecord | null> {
    const hash = await this.redis.hgetall(this.keys.run(id));
    if (!hash.id) return null;
    return RunRecord.parse(hash);
  }

  /** The run as the API shows it. */
  async view(id: string): Promise<RunView | null> {
    const [record, history, llm] = await Promise.all([
      this.get(id),
      this.redis.lrange(this.keys.runHistory(id), 0, -1),
      this.redis.lrange(this.keys.runLlm(id), 0, -1),
    ]);
    if (!record) return null;
    const calls = llm.map((line) => LlmCallMetrics.parse(JSON.parse(line)));
    return {
      id: record.id,
      state: record.state,
      intent: record.intent ?? null,
      prompt: record.prompt,
      owner: record.owner,
      createdAt: record.createdAt,
      history: withDurations(history.map((line) => JSON.parse(line) as Omit<HistoryEntry, 'ms'>)),
      ...(record.appId ? { appId: record.appId } : {}),
      ...(record.contentId ? { contentId: record.contentId } : {}),
      ...(record.title ? { title: record.title } : {}),
      ...(record.error ? { error: record.error } : {}),
      llm: {
        calls: calls.length,
        promptTokens: calls.reduce((sum, c) => sum + c.promptTokens, 0),
        completionTokens: calls.reduce((sum, c) => sum + c.completionTokens, 0),
        detail: calls,
      },
    };
  }

  async transition(id: string, to: RunState, patch: RunPatch = {}): Promise<TransitionResult> {
    const now = Date.now();
    const event: RunEventBody = {
      type: 'run.state',
      runId: id,
      at: now,
      state: to,
      ...(patch.error ? { error: patch.error } : {}),
    };
    const fields = Object.entries(patch).flatMap(([k, v]) => (v === undefined ? [] : [k, v]));
    // Every key the script touches is passed to it (as Redis Cluster requires); a run's
    // owner never changes, so reading it first cannot race.
    const owner = (await this.redis.hget(this.keys.run(id), 'owner')) ?? '';
    const [ok, value, active] = (await this.redis.eval(
      TRANSITION,
      4,
      this.keys.run(id),
      this.keys.runEvents(id),
      this.keys.runHistory(id),
      this.keys.userActiveRuns(owner),
      to,
      String(now),
      allowedSources(to).join(','),
      JSON.stringify(event),
      this.keys.runChannel(id),
      ...fields,
    )) as [number, string, number?];
    if (ok === 1) return { ok: true, attempt: Number(value), ownerActiveRuns: Number(active ?? 0) };
    const current = RunState.safeParse(value);
    return { ok: false, current: current.success ? current.data : null };
  }

  /** Appends an event to the run's stream and publishes it; returns its seq. */
  async appendEvent(body: RunEventBody): Promise<number> {
    const id = body.runId;
    return (await this.redis.eval(
      APPEND_EVENT,
      2,
      this.keys.run(id),
      this.keys.runEvents(id),
      JSON.stringify(body),
      this.keys.runChannel(id),
    )) as number;
  }

  async recordLlmCall(runId: string, call: LlmCallMetrics): Promise<void> {
    const owner = await this.redis.hget(this.keys.run(runId), 'owner');
    const usage = this.keys.userTokenUsage(owner ?? 'unknown', utcDay());
    await this.redis
      .multi()
      .rpush(this.keys.runLlm(runId), JSON.stringify(call))
      .incrby(usage, call.promptTokens + call.completionTokens)
      .expire(usage, 3 * 86_400)
      .exec();
    await this.appendEvent({ type: 'run.llm', runId, at: Date.now(), call });
  }

  /** Events with seq > since, in order. */
  async eventsSince(id: string, since: number): Promise<RunEvent[]> {
    const entries = await this.redis.xrange(this.keys.runEvents(id), `${since + 1}-0`, '+');
    return entries.flatMap(([, fields]) => {
      const parsed = RunEvent.safeParse(JSON.parse(fields[1] ?? 'null'));
      return parsed.success ? [parsed.data] : [];
    });
  }

  /**
   * Joins the two branches of a run that builds tools while its app is generated: true for
   * the branch that arrives second (it moves the run on). A branch counts once, so a job
   * that runs again (its worker died after arriving) cannot complete the join on its own.
   */
  async arrive(id: string, branch: 'app' | 'tools'): Promise<boolean> {
    return (await this.redis.eval(ARRIVE, 1, this.keys.run(id), branch)) === 2;
  }

  async set(id: string, patch: RunPatch): Promise<void> {
    const fields = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (fields.length > 0) await this.redis.hset(this.keys.run(id), Object.fromEntries(fields));
  }
}

/** Today in UTC as YYYYMMDD (token budgets reset at midnight UTC). */
export function utcDay(at = Date.now()): string {
  return new Date(at).toISOString().slice(0, 10).replace(/-/g, '');
}

function withDurations(entries: Omit<HistoryEntry, 'ms'>[]): HistoryEntry[] {
  return entries.map((entry, i) => {
    const next = entries[i + 1];
    return { ...entry, ms: next ? next.at - entry.at : null };
  });
}
