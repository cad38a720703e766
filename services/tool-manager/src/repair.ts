import { createHash } from 'node:crypto';
import type { ToolBuildOutcome, ToolRepairJob } from '@hyperdesk/shared';
import { repairCode, type BuildDeps } from './build';
import { testTool } from './test-tool';

/**
 * `tool.repair`: one repair attempt after a failed call on the /api/mono path. The new
 * version must pass the tool's examples and the call that failed (in its caller's workspace)
 * before it is registered.
 */
export async function repairAfterCall(
  job: ToolRepairJob,
  deps: BuildDeps,
): Promise<ToolBuildOutcome> {
  const current = await deps.tools.get(job.name);
  if (!current)
    return {
      ok: false,
      name: job.name,
      reason: `Tool ${job.name} is not in the library.`,
      attempts: 0,
    };
  if (current.version !== job.version) {
    // Someone else changed the tool since the failing call: try the newer version first.
    return { ok: true, name: job.name, version: current.version, attempts: 0 };
  }
  const failure = { args: job.args, error: job.error, stderr: job.stderr };
  const code = await repairCode(deps, undefined, current, current.code, failure);
  // The examples in the build workspace, the failed call in the workspace it failed in.
  const stillFailing = await testTool(deps.runner, { ...current, code }, [job.args], {
    casesWorkspace: job.author,
    // The registered version passed its build; a call-path repair is about the failed call.
    requireArgsEffect: false,
  });
  await deps.tools.recordActivity(job.name, {
    kind: 'repair',
    fromVersion: current.version,
    ok: !stillFailing,
    error: job.error,
    ...(stillFailing ? { stillFailing: stillFailing.error } : {}),
  });
  if (stillFailing) {
    return {
      ok: false,
      name: job.name,
      reason: `The repaired ${job.name} still fails: ${stillFailing.error}`,
      attempts: 1,
    };
  }
  const { version: _v, createdAt: _c, ...rest } = current;
  const fingerprint = createHash('sha256').update(job.error).digest('hex').slice(0, 12);
  const version = await deps.tools.register(`repair.${job.version}.${fingerprint}`, {
    ...rest,
    code,
    author: job.author,
    origin: 'repaired',
    note: `After a failed call: ${job.error.slice(0, 300)}`,
  });
  return { ok: true, name: job.name, version, attempts: 1 };
}
