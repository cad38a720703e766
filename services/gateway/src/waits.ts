import { HyperdeskError, ToolBuildOutcome, isTerminal, type RunRecord } from '@hyperdesk/shared';
import type { GatewayDeps } from './deps';

/** Waits for a tools-queue job (build or repair) and returns its outcome. */
export async function waitForOutcome(deps: GatewayDeps, jobId: string): Promise<ToolBuildOutcome> {
  const job = await deps.queues.queue('tools').getJob(jobId);
  if (!job) throw new HyperdeskError('JOB_LOST', 'The tool job disappeared; try again.', 503, true);
  try {
    return ToolBuildOutcome.parse(
      await job.waitUntilFinished(deps.toolEvents, deps.env.TOOL_WAIT_MS),
    );
  } catch (err) {
    throw new HyperdeskError(
      'TOOL_JOB_FAILED',
      `The tool job did not finish: ${err instanceof Error ? err.message : String(err)}`,
      503,
      true,
    );
  }
}

/** A message lost while the subscriber reconnects to Redis is caught by this slow re-read. */
const RECHECK_MS = 2_000;

/**
 * Waits until the run ends or `timeoutMs` passes, on the run's live channel: each event the
 * run publishes re-reads it. Returns the run as last read.
 */
export async function waitForRunEnd(
  deps: GatewayDeps,
  run: RunRecord,
  timeoutMs: number,
): Promise<RunRecord> {
  let current = run;
  // Set by every event, so one that arrives while the run is being read is not missed.
  let changed = false;
  let wake: (() => void) | null = null;
  const stop = await deps.hub.watch(run.id, () => {
    changed = true;
    wake?.();
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      changed = false;
      current = (await deps.runs.get(run.id)) ?? current;
      if (isTerminal(current.state)) break;
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(RECHECK_MS, deadline - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
    return current;
  } finally {
    await stop();
  }
}
