import { ToolBuildOutcome, advance, type StepDeps, type ToolsReadyJob } from '@hyperdesk/shared';
import type { Job } from 'bullmq';

/**
 * `tools.ready`: runs once every tool build of a run has finished. A failed build fails the
 * run with its reason; otherwise a tool_only run executes its call, and an app run moves on
 * when its app is also ready (whichever branch finishes second advances the run).
 */
export async function toolsReady(payload: ToolsReadyJob, job: Job, deps: StepDeps): Promise<void> {
  const values = Object.values(await job.getChildrenValues());
  const outcomes = values.map((v) => ToolBuildOutcome.parse(v));
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) {
    await advance(deps, payload.runId, 'FAILED', { error: failed.reason });
    return;
  }
  const run = await deps.runs.get(payload.runId);
  if (!run) return;
  if (run.intent === 'tool_only') {
    await advance(deps, run.id, 'EXECUTING_TOOL');
  } else if (run.intent === 'diagnose_error') {
    // Diagnosis repaired the tools; the app is repaired too when it was also at fault.
    await advance(deps, run.id, run.checkErrors ? 'REPAIRING_APP' : 'CHECKING_APP');
  } else if (await deps.runs.arrive(run.id, 'tools')) {
    await advance(deps, run.id, 'CHECKING_APP');
  }
}
