import {
  ContentStore,
  HyperdeskError,
  callTool,
  type Next,
  type RunRecord,
  type RunnerClient,
  type ToolStore,
} from '@hyperdesk/shared';
import { z } from 'zod';

const PlannedCall = z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()) });

/** EXECUTING_TOOL (tool_only runs): runs the planned call; its JSON result is the run's content. */
export async function executePlannedCall(
  run: RunRecord,
  deps: { runner: RunnerClient; tools: ToolStore; contents: ContentStore },
): Promise<Next> {
  const call = PlannedCall.safeParse(JSON.parse(run.call ?? 'null'));
  if (!call.success) {
    throw new HyperdeskError(
      'NO_TOOL_CALL',
      'The plan named no tool to run for this request.',
      422,
    );
  }
  // The version the run's owner runs, as their /api/mono calls do.
  const tool = await deps.tools.forUser(call.data.tool, run.owner);
  if (!tool) {
    throw new HyperdeskError(
      'TOOL_NOT_FOUND',
      `Tool ${call.data.tool} is not in the library.`,
      404,
    );
  }
  // In the run owner's workspace, as their /api/mono calls are.
  const { execution, failure } = await callTool(deps.runner, tool, call.data.args, {
    workspace: run.owner,
  });
  await Promise.all([
    deps.tools.recordActivity(tool.name, {
      kind: 'execution',
      runId: run.id,
      version: tool.version,
      ok: !failure,
      durationMs: execution.durationMs,
      ...(failure ? { error: failure.error } : {}),
    }),
    deps.tools.recordCall({
      user: run.owner,
      tool: tool.name,
      version: tool.version,
      network: tool.capabilities.includes('network'),
      ok: !failure,
      runId: run.id,
    }),
  ]);
  if (failure) {
    throw new HyperdeskError('TOOL_FAILED', `Tool ${tool.name} failed: ${failure.error}`, 502);
  }
  const id = ContentStore.contentIdForRun(run.id);
  await deps.contents.save({
    id,
    owner: run.owner,
    runId: run.id,
    title: run.title ?? tool.name,
    type: 'application/json',
    body: JSON.stringify(execution.result, null, 2),
    createdAt: Date.now(),
  });
  return { state: 'DONE', patch: { contentId: id, contentType: 'application/json' } };
}
