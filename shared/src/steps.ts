import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { RunStepJob } from './contracts/jobs';
import { RUN_STATES, type RunState } from './contracts/run';
import { HyperdeskError, errorMessage } from './errors';
import type { JobQueues, WorkState } from './jobs';
import type { NoticeStore } from './notices';
import type { RunPatch, RunRecord, RunStore } from './runs';

export interface StepDeps {
  runs: RunStore;
  queues: JobQueues;
  logger: Logger;
  /** Where a run that ends tells its owner ("… is ready", "… failed: reason"). */
  notices?: NoticeStore;
}

export interface Next {
  state: RunState;
  patch?: RunPatch;
  /**
   * Work that follows the transition and that the run does not wait for (the job ends when
   * it is done); a failure is logged, never a failed run.
   */
  after?: () => Promise<void>;
}

/**
 * Works on a run in one state and says which state comes next; null when the handler has
 * moved the run on itself (or it must wait).
 */
export type StepHandler = (run: RunRecord, job: Job) => Promise<Next | null>;

/** States that carry on a run whose app is already written: they go before new work. */
const FINISHING: ReadonlySet<WorkState> = new Set(['CHECKING_APP', 'REPAIRING_APP']);

/**
 * BullMQ priority of a step (lower number first). Fairness: a person with many runs in
 * progress gets a lower priority, so one person's burst does not delay everyone else's runs.
 * Within one person's runs, checking and repairing an app come before generating the next
 * one, so runs finish in the order they started instead of all at the end of a burst.
 */
export function stepPriority(state: WorkState, ownerActiveRuns: number): number {
  return Math.min(ownerActiveRuns, 1000) * 2 + (FINISHING.has(state) ? 1 : 2);
}

/** Moves a run to `to` and enqueues the job of the state's queue. False if not allowed. */
export async function advance(
  deps: StepDeps,
  runId: string,
  to: RunState,
  patch: RunPatch = {},
): Promise<boolean> {
  const result = await deps.runs.transition(runId, to, patch);
  if (!result.ok) {
    deps.logger.info({ runId, to, current: result.current }, 'transition refused');
    return false;
  }
  if (to === 'DONE' || to === 'FAILED') await announceEnd(deps, runId, to);
  if (RUN_STATES[to].queue !== null) {
    const state = to as WorkState;
    await deps.queues.enqueue(
      state,
      { runId, attempt: result.attempt },
      {
        jobId: `${runId}.${state}.${result.attempt}`,
        priority: stepPriority(state, result.ownerActiveRuns),
      },
    );
  }
  return true;
}

/**
 * Tells a run's owner it ended. Raised by the transition itself (exactly once, as only one
 * transition into a final state succeeds), so no notice is lost while no desktop listens.
 * A notice that cannot be stored does not fail the run.
 */
async function announceEnd(deps: StepDeps, runId: string, state: 'DONE' | 'FAILED'): Promise<void> {
  if (!deps.notices) return;
  try {
    const run = await deps.runs.get(runId);
    if (!run || run.viaMono) return; // an app's data request is answered to the app itself
    const name = run.title ?? run.prompt.slice(0, 60);
    await deps.notices.raise(run.owner, {
      runId,
      source: 'Run',
      ...(run.appId ? { appId: run.appId } : {}),
      ...(state === 'DONE'
        ? { level: 'success', text: run.appId ? `${name} is ready.` : `${name} is done.` }
        : {
            level: 'error',
            text: `${name} failed: ${run.error ?? 'no reason given'}`.slice(0, 300),
          }),
    });
  } catch (err) {
    deps.logger.warn({ runId, err: errorMessage(err) }, 'run notice failed');
  }
}

/**
 * Wraps a state handler as a job handler: skips stale or repeated deliveries (the run has
 * already left the state), advances to the handler's next state, and turns errors into
 * retries (when retrying can help and attempts remain) or into FAILED with the reason.
 */
export function runStep(state: WorkState, handler: StepHandler, deps: StepDeps) {
  return async (payload: RunStepJob, job: Job): Promise<void> => {
    const log = deps.logger.child({ runId: payload.runId, jobId: job.id, state });
    const run = await deps.runs.get(payload.runId);
    if (!run || run.state !== state) {
      log.debug({ current: run?.state }, 'run is not in this state any more; skipping');
      return;
    }
    try {
      const next = await handler(run, job);
      if (!next) return;
      if (!(await advance(deps, run.id, next.state, next.patch))) return;
      await next
        .after?.()
        .catch((err: unknown) =>
          log.warn({ err: errorMessage(err) }, 'work after the step failed'),
        );
    } catch (err) {
      const retryable = err instanceof HyperdeskError ? err.retryable : true;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ err: errorMessage(err), retryable, lastAttempt }, 'step failed');
      if (retryable && !lastAttempt) throw err;
      await advance(deps, run.id, 'FAILED', { error: failureReason(state, err) });
    }
  };
}

function failureReason(state: RunState, err: unknown): string {
  if (err instanceof HyperdeskError) return err.message;
  return `Unexpected error while ${state.toLowerCase().replace(/_/g, ' ')}: ${errorMessage(err)}`;
}
