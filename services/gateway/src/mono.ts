import { createHash } from 'node:crypto';
import {
  BadRequestError,
  HyperdeskError,
  NotFoundError,
  advance,
  callTool,
  errorMessage,
  checkSchema,
  type ToolVersion,
} from '@hyperdesk/shared';
import type { GatewayDeps } from './deps';
import { waitForOutcome, waitForRunEnd } from './waits';

/**
 * Query-string values are strings; a property whose schema says number, integer or
 * boolean gets the matching value (anything else stays a string for the schema to judge).
 */
export function coerceQuery(
  query: Record<string, unknown>,
  argsSchema: Record<string, unknown>,
): Record<string, unknown> {
  const properties = (argsSchema.properties ?? {}) as Record<string, { type?: unknown }>;
  return Object.fromEntries(
    Object.entries(query).map(([key, value]) => {
      const type = properties[key]?.type;
      if (typeof value !== 'string') return [key, value];
      if (
        (type === 'number' || type === 'integer') &&
        value.trim() !== '' &&
        !isNaN(Number(value))
      ) {
        return [key, Number(value)];
      }
      if (type === 'boolean' && (value === 'true' || value === 'false'))
        return [key, value === 'true'];
      return [key, value];
    }),
  );
}

/**
 * The version a call runs. A person's call runs the version they run (`ToolStore.forUser`).
 * An app's call (`appId`, sent by the desktop) runs the version the app's current version
 * was checked with, unless its owner has since accepted or written a newer one (a repair of
 * their own failed call included); a tool the app was not granted is refused.
 */
export async function toolForCall(
  deps: GatewayDeps,
  user: string,
  name: string,
  appId?: string,
): Promise<ToolVersion | null> {
  if (appId === undefined) return deps.tools.forUser(name, user);
  const app = await deps.apps.meta(appId);
  if (!app || app.owner !== user) throw new NotFoundError(`App ${appId}`);
  if (!app.tools.includes(name)) {
    throw new HyperdeskError('TOOL_NOT_GRANTED', `This app may not use the tool ${name}.`, 403);
  }
  const [checked, pinned] = await Promise.all([
    deps.apps.checkedTools(appId).then((versions) => versions[name]),
    deps.tools.pinOf(name, user),
  ]);
  if (checked !== undefined && (pinned === null || checked >= pinned)) {
    return deps.tools.get(name, checked);
  }
  return deps.tools.forUser(name, user);
}

export interface MonoResult {
  status: number;
  body: unknown;
  /** Content type when the answer is not JSON (raw content). */
  type?: string;
}

/**
 * One call of a tool through /api/mono: validate the args, run the version resolved by
 * `toolForCall` in the sandbox, and on failure repair once (a (version, error) pair is never
 * sent to repair twice, so a failure that repeats cannot loop) and retry with the repaired
 * version, which is the caller's own from then on.
 */
export async function callMono(
  deps: GatewayDeps,
  user: string,
  name: string,
  tool: ToolVersion | null,
  args: Record<string, unknown>,
  appId?: string,
): Promise<MonoResult> {
  if (!tool) return answerUnknown(deps, user, name, args);
  const argErrors = await checkSchema(tool.args, args, `the args schema of ${name}`);
  if (argErrors)
    throw new BadRequestError(`Invalid args for ${name}: ${argErrors}`, 'INVALID_ARGS');

  const first = await runOnce(deps, user, tool, args, appId);
  if (!first.failure) return { status: 200, body: first.result };
  if (first.failure.workspaceFull) {
    return failed(name, first.failure.error, 'Not sent to repair: delete files in the workspace.');
  }

  const fingerprint = createHash('sha256')
    .update(`${tool.version}\n${first.failure.error}`)
    .digest('hex')
    .slice(0, 16);
  if (!(await deps.tools.firstRepairOf(name, fingerprint))) {
    return failed(name, first.failure.error, 'This failure was already sent to repair once.');
  }
  const jobId = `repair.${name}.${fingerprint}`;
  await deps.queues.enqueue(
    'tool.repair',
    {
      name,
      version: tool.version,
      args,
      error: first.failure.error,
      stderr: first.failure.stderr,
      author: user,
    },
    { jobId },
  );
  // A repair that could not finish (e.g. the model wrote no code) still leaves the caller
  // with the tool's own error, which is what they can act on.
  const outcome = await waitForOutcome(deps, jobId).catch((err: unknown) => ({
    ok: false as const,
    reason: errorMessage(err),
  }));
  if (!outcome.ok) {
    await tellCaller(
      deps,
      user,
      name,
      'warning',
      `A call of tool ${name} failed and a repair did not help: ${outcome.reason}`,
    );
    return failed(name, first.failure.error, outcome.reason);
  }
  const repaired = await deps.tools.get(name, outcome.version);
  if (!repaired) return failed(name, first.failure.error, 'The repaired version is missing.');
  const second = await runOnce(deps, user, repaired, args, appId);
  const repairedAs = `Tool ${name} was repaired (version ${repaired.version}) after a call failed`;
  if (!second.failure) {
    await tellCaller(deps, user, name, 'info', `${repairedAs}: ${first.failure.error}`);
    return { status: 200, body: second.result };
  }
  await tellCaller(
    deps,
    user,
    name,
    'warning',
    `${repairedAs}, but the call still fails: ${second.failure.error}`,
  );
  return failed(name, second.failure.error, `Version ${repaired.version} fails too.`);
}

/**
 * Tells the caller what a repair on the call path did (no run shows it): the notice appears
 * on their desktop and in its list. A notice that cannot be stored does not fail the call.
 */
async function tellCaller(
  deps: GatewayDeps,
  user: string,
  tool: string,
  level: 'info' | 'warning',
  text: string,
): Promise<void> {
  try {
    await deps.notices.raise(user, { level, source: 'Tools', text: text.slice(0, 300) });
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err), tool }, 'repair notice failed');
  }
}

/**
 * A path no tool serves goes through the classifier, as the seed's catch-all API did: the
 * request becomes a run that designs and runs a new tool, or writes raw content, and the
 * caller gets its result.
 */
async function answerUnknown(
  deps: GatewayDeps,
  user: string,
  name: string,
  args: Record<string, unknown>,
): Promise<MonoResult> {
  const run = await deps.runs.create({
    owner: user,
    prompt: `An app requested /api/mono/${name} with args ${JSON.stringify(args)}. Provide the data it asks for.`,
    viaMono: name,
  });
  await advance(deps, run.id, 'CLASSIFYING');
  const current = await waitForRunEnd(deps, run, deps.env.TOOL_WAIT_MS);
  const content = current.contentId ? await deps.contents.get(current.contentId) : null;
  if (current.state !== 'DONE' || !content) {
    throw new NotFoundError(
      `Tool ${name} (no tool serves this path, and run ${run.id} could not answer it: ${current.error ?? current.state})`,
    );
  }
  if (content.type === 'application/json') return { status: 200, body: JSON.parse(content.body) };
  return { status: 200, body: content.body, type: content.type };
}

/**
 * Each person's tools run against that person's own workspace directory. Every execution is
 * recorded in the tool's activity and in the audit of calls.
 */
async function runOnce(
  deps: GatewayDeps,
  user: string,
  tool: ToolVersion,
  args: Record<string, unknown>,
  appId?: string,
) {
  const { execution, failure } = await callTool(deps.runner, tool, args, { workspace: user });
  await Promise.all([
    deps.tools.recordActivity(tool.name, {
      kind: 'execution',
      version: tool.version,
      ok: !failure,
      durationMs: execution.durationMs,
      ...(failure ? { error: failure.error } : {}),
    }),
    deps.tools.recordCall({
      user,
      tool: tool.name,
      version: tool.version,
      network: tool.capabilities.includes('network'),
      ok: !failure,
      ...(appId ? { appId } : {}),
    }),
  ]);
  return { result: execution.result, failure };
}

function failed(name: string, error: string, repair: string): MonoResult {
  return {
    status: 502,
    body: { error: `Tool ${name} failed: ${error}`, code: 'TOOL_FAILED', repair },
  };
}
