import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';

type Closer = () => Promise<unknown>;

/**
 * Runs the closers (in order) on SIGTERM/SIGINT, then exits; exits with 1 if they take
 * longer than `deadlineMs`.
 */
export function onShutdown(logger: Logger, closers: Closer[], deadlineMs = 10_000): void {
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown deadline passed, exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    for (const closer of closers) {
      try {
        await closer();
      } catch (err) {
        logger.warn({ err }, 'error while closing');
      }
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void close('SIGTERM'));
  process.once('SIGINT', () => void close('SIGINT'));
}

const activeJobs = new WeakMap<Worker, Set<Job>>();

/** Keeps the set of jobs a worker is working on, so `closeWorker` can hand them back. */
export function trackActiveJobs(worker: Worker): void {
  const active = new Set<Job>();
  activeJobs.set(worker, active);
  worker.on('active', (job) => active.add(job));
  worker.on('completed', (job) => active.delete(job));
  worker.on('failed', (job) => {
    if (job) active.delete(job);
  });
}

/**
 * Stops a worker taking jobs and lets the running ones finish for up to `graceMs`. Jobs
 * still running then go back to the wait list, so another worker (or this service once it
 * is restarted) starts them at once instead of waiting for their lock to expire. Handlers
 * are idempotent (see `runStep`), so a job that restarts elsewhere does its work once.
 */
export async function closeWorker(worker: Worker, graceMs: number, logger: Logger): Promise<void> {
  const finished = worker.close().then(() => true);
  const timedOut = new Promise<false>((resolve) =>
    setTimeout(() => resolve(false), graceMs).unref(),
  );
  if (await Promise.race([finished, timedOut])) return;
  const jobs = [...(activeJobs.get(worker) ?? [])];
  const handed = await Promise.all(
    jobs.map(async (job) => {
      try {
        await job.moveToWait(job.token);
        return job.id;
      } catch (err) {
        // The lock is gone already (the job finished or was taken over): nothing to hand back.
        logger.debug({ jobId: job.id, err }, 'job not handed back');
        return null;
      }
    }),
  );
  logger.warn(
    { graceMs, jobs: handed.filter((id) => id !== null) },
    'jobs still running at the shutdown deadline were handed back to the queue',
  );
}

/** Time a worker gets to finish its jobs within a shutdown deadline; the rest is for closing. */
export function shutdownGraceMs(deadlineMs: number): number {
  return Math.max(0, deadlineMs - Math.min(2000, Math.floor(deadlineMs / 3)));
}
