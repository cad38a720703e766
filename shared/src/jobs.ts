import {
  FlowProducer,
  Queue,
  UnrecoverableError,
  Worker,
  type Job,
  type JobsOptions,
} from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { RunStepJob, ToolBuildJob, ToolRepairJob, ToolsReadyJob } from './contracts/jobs';
import { RUN_STATES, RunState, type QueueName } from './contracts/run';
import { withJobLogger } from './job-log';
import { jobDuration } from './metrics';
import { trackActiveJobs } from './shutdown';

interface JobDef<S extends z.ZodType = z.ZodType> {
  queue: QueueName;
  schema: S;
  attempts: number;
  backoffMs: number;
}

/** States some worker acts on; each has a job of the same name. */
export type WorkState = {
  [S in RunState]: (typeof RUN_STATES)[S]['queue'] extends null ? never : S;
}[RunState];

export const WORK_STATES = RunState.options.filter(
  (s): s is WorkState => RUN_STATES[s].queue !== null,
);

function runStepJobs(): Record<WorkState, JobDef<typeof RunStepJob>> {
  const entries = WORK_STATES.map((state) => {
    const queue = RUN_STATES[state].queue;
    if (!queue) throw new Error(`state ${state} has no queue`);
    return [state, { queue, schema: RunStepJob, attempts: 3, backoffMs: 500 }] as const;
  });
  return Object.fromEntries(entries) as Record<WorkState, JobDef<typeof RunStepJob>>;
}

/** The one job registry: job name → queue, payload schema, retry policy. */
export const JOBS = {
  ...runStepJobs(),
  'tool.build': { queue: 'tools', schema: ToolBuildJob, attempts: 3, backoffMs: 1000 },
  'tools.ready': { queue: 'tools', schema: ToolsReadyJob, attempts: 3, backoffMs: 500 },
  'tool.repair': { queue: 'tools', schema: ToolRepairJob, attempts: 2, backoffMs: 500 },
} satisfies Record<string, JobDef>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['schema']>;
export type JobsOf<Q extends QueueName> = {
  [N in JobName]: (typeof JOBS)[N]['queue'] extends Q ? N : never;
}[JobName];

export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
}

const KEEP_FINISHED = { age: 24 * 3600, count: 5000 };

/** Producer side: one Queue per name over one shared connection. */
export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();
  private flows: FlowProducer | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Validates the payload and adds the job; a repeated jobId is a no-op (idempotent). */
  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options: { jobId: string } & Pick<JobsOptions, 'priority' | 'delay'>,
  ): Promise<void> {
    const def = JOBS[name];
    const data = def.schema.parse(payload);
    await this.queue(def.queue).add(name, data, {
      ...options,
      attempts: def.attempts,
      backoff: { type: 'exponential', delay: def.backoffMs },
      removeOnComplete: KEEP_FINISHED,
      removeOnFail: KEEP_FINISHED,
    });
  }

  /**
   * Adds a parent job that runs once all its children have finished (a BullMQ flow).
   * Children should not fail: a failed child would hold the parent forever, so handlers
   * of child jobs return failures as values.
   */
  async enqueueFlow<P extends JobName, C extends JobName>(
    parent: { name: P; payload: JobPayload<P>; jobId: string },
    children: { name: C; payload: JobPayload<C>; jobId: string }[],
  ): Promise<void> {
    this.flows ??= new FlowProducer({ connection: this.connection, prefix: this.prefix });
    const node = <N extends JobName>(job: { name: N; payload: JobPayload<N>; jobId: string }) => {
      const def = JOBS[job.name];
      return {
        name: job.name,
        queueName: def.queue,
        data: def.schema.parse(job.payload) as object,
        opts: {
          jobId: job.jobId,
          attempts: def.attempts,
          backoff: { type: 'exponential', delay: def.backoffMs },
          removeOnComplete: KEEP_FINISHED,
          removeOnFail: KEEP_FINISHED,
        },
      };
    };
    await this.flows.add({ ...node(parent), children: children.map(node) });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flows?.close();
  }
}

export type JobHandlers<Q extends QueueName> = {
  /** What a handler returns becomes the job's return value (read by a flow's parent). */
  /** `log` is the job's logger: it carries the job's runId and jobId. */
  [N in JobsOf<Q>]: (payload: JobPayload<N>, job: Job, log: Logger) => Promise<unknown>;
};

/**
 * Consumer side: a worker for one queue whose processor validates each payload against the
 * registry (a bad payload fails at once, without retries) and dispatches by job name.
 * Refuses to start when a job of the queue has no handler.
 */
export function createWorker<Q extends QueueName>(
  queue: Q,
  handlers: JobHandlers<Q>,
  options: {
    connection: Redis;
    prefix: string;
    concurrency: number;
    logger: Logger;
    /** How long a job's lock lasts without renewal (a dead worker's jobs wait this long). */
    lockDurationMs?: number;
    /** How often this worker looks for jobs whose worker died. */
    stalledIntervalMs?: number;
  },
): Worker {
  const table = handlers as Record<
    string,
    (payload: unknown, job: Job, log: Logger) => Promise<unknown>
  >;
  const missing = jobsOfQueue(queue).filter((name) => !table[name]);
  if (missing.length > 0) {
    throw new Error(`queue ${queue}: no handler for job(s) ${missing.join(', ')}`);
  }
  const worker = new Worker(
    queue,
    async (job: Job) => {
      const name = job.name as JobName;
      const def = JOBS[name] as JobDef | undefined;
      const handler = table[name];
      const timer = jobDuration.startTimer({ queue, job: def ? name : 'unknown' });
      const log = options.logger.child({ runId: runIdOf(job), jobId: job.id, job: job.name });
      try {
        if (!def || !handler) throw new UnrecoverableError(`unknown job ${job.name}`);
        const parsed = def.schema.safeParse(job.data);
        if (!parsed.success) {
          throw new UnrecoverableError(`invalid payload for ${job.name}: ${parsed.error.message}`);
        }
        const result = await withJobLogger(log, () => handler(parsed.data, job, log));
        log.debug({ seconds: timer({ outcome: 'completed' }) }, 'job done');
        return result;
      } catch (err) {
        timer({ outcome: 'failed' });
        throw err;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    },
  );
  trackActiveJobs(worker);
  worker.on('failed', (job, err) => {
    options.logger.warn(
      { runId: job ? runIdOf(job) : undefined, jobId: job?.id, job: job?.name, err: err.message },
      'job failed',
    );
  });
  worker.on('error', (err) => options.logger.error({ err }, 'worker error'));
  return worker;
}

/** The run a job works on, when its payload names one (logged with every line of the job). */
function runIdOf(job: Job): string | undefined {
  const runId = (job.data as { runId?: unknown } | null)?.runId;
  return typeof runId === 'string' ? runId : undefined;
}
