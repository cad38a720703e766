import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger';

const current = new AsyncLocalStorage<Logger>();

/** Runs `work` with `log` as the logger of the job being processed. */
export function withJobLogger<T>(log: Logger, work: () => T): T {
  return current.run(log, work);
}

/**
 * The logger of the job being processed (a child carrying its runId and jobId), so code
 * deep inside a job (the model client, say) logs with the run's id; `fallback` outside a job.
 */
export function jobLogger<L extends Logger | undefined>(fallback: L): Logger | L {
  return current.getStore() ?? fallback;
}
