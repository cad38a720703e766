import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { QueueName } from './contracts/run';
import type { LlmCallMetrics } from './contracts/run';
import type { JobQueues } from './jobs';
import type { Logger } from './logger';

/**
 * Prometheus metrics of one process: one registry with the default process metrics and
 * Hyperdesk's own. Services record into it; `/metrics` (the gateway's route, or a worker's
 * small HTTP server) renders it in the text format.
 */
export const metricsRegistry = new Registry();
let initialised = false;

/** Labels every sample with the service name and starts the default process metrics (once). */
export function initMetrics(service: string): void {
  if (initialised) return;
  initialised = true;
  metricsRegistry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: metricsRegistry });
}

/** Job states reported per queue (BullMQ's names). */
export const QUEUE_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'waiting-children',
  'paused',
  'completed',
  'failed',
] as const;

let queueSource: JobQueues | null = null;
let queueLogger: Logger | null = null;

/** Reports the depth of every queue at scrape time, read from Redis through `queues`. */
export function watchQueueDepths(queues: JobQueues, logger?: Logger): void {
  queueSource = queues;
  queueLogger = logger ?? null;
}

new Gauge({
  name: 'hyperdesk_queue_jobs',
  help: 'Jobs in each queue by state, read from Redis when scraped (the same in every service).',
  labelNames: ['queue', 'state'],
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    const queues = queueSource;
    if (!queues) return;
    try {
      const counts = await Promise.all(
        QueueName.options.map((name) => queues.queue(name).getJobCounts(...QUEUE_STATES)),
      );
      QueueName.options.forEach((queue, i) => {
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[i]?.[state] ?? 0);
      });
    } catch (err) {
      // Redis is away: the scrape still answers, without queue depths.
      queueLogger?.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'queue depths unavailable',
      );
    }
  },
});

export const jobDuration = new Histogram({
  name: 'hyperdesk_job_duration_seconds',
  help: 'Time a worker spent on one job, by queue, job name and outcome (completed or failed).',
  labelNames: ['queue', 'job', 'outcome'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers: [metricsRegistry],
});

const llmTtft = new Histogram({
  name: 'hyperdesk_llm_ttft_seconds',
  help: 'Model time to first token, by stage, provider and model.',
  labelNames: ['stage', 'provider', 'model'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
  registers: [metricsRegistry],
});

const llmTokensPerS = new Histogram({
  name: 'hyperdesk_llm_tokens_per_second',
  help: 'Model generation speed (completion tokens per second after the first), by stage, provider and model.',
  labelNames: ['stage', 'provider', 'model'],
  buckets: [1, 5, 10, 25, 50, 100, 200, 400, 800, 1600, 3200],
  registers: [metricsRegistry],
});

const llmCalls = new Counter({
  name: 'hyperdesk_llm_calls_total',
  help: 'Model calls by stage, provider, model and outcome (ok or failed).',
  labelNames: ['stage', 'provider', 'model', 'outcome'],
  registers: [metricsRegistry],
});

const toolRepairs = new Counter({
  name: 'hyperdesk_tool_repairs_total',
  help: 'Tool repairs: rewrites of a tool asked of the model after a failed test or call.',
  registers: [metricsRegistry],
});

const toolExecutions = new Counter({
  name: 'hyperdesk_tool_executions_total',
  help: 'Tool executions in the python-runner by outcome: ok, error (the tool failed), killed (a limit ended it), refused (the runner refused the request), unavailable (no runner).',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});

const sandboxKills = new Counter({
  name: 'hyperdesk_sandbox_kills_total',
  help: 'Tool executions the sandbox ended, by what killed them (timeout, cpu, memory, output, signal).',
  labelNames: ['killed_by'],
  registers: [metricsRegistry],
});

/** Records one finished model call (a tool_repair call is also one tool repair). */
export function recordLlmCall(provider: string, metrics: LlmCallMetrics): void {
  const labels = { stage: metrics.stage, provider, model: metrics.model };
  llmCalls.inc({ ...labels, outcome: 'ok' });
  if (metrics.ttftMs !== null) llmTtft.observe(labels, metrics.ttftMs / 1000);
  if (metrics.tokensPerS !== null) llmTokensPerS.observe(labels, metrics.tokensPerS);
  if (metrics.stage === 'tool_repair') toolRepairs.inc();
}

export function recordLlmFailure(provider: string, stage: string, model: string): void {
  llmCalls.inc({ stage, provider, model, outcome: 'failed' });
}

export type ToolExecutionOutcome = 'ok' | 'error' | 'killed' | 'refused' | 'unavailable';

/** Records one execution; `killedBy` is the runner's answer field. */
export function recordToolExecution(outcome: ToolExecutionOutcome, killedBy?: string | null): void {
  toolExecutions.inc({ outcome });
  if (killedBy) sandboxKills.inc({ killed_by: killedBy });
}

/** `METRICS_PORT`/`METRICS_HOST` of a worker service; each service has its own default port. */
export function metricsEnv(defaultPort: number) {
  return z.object({
    /** Port of the worker's `/metrics` server; 0 turns it off. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
    METRICS_HOST: z.string().default('0.0.0.0'),
  });
}

/**
 * A worker's `/metrics` endpoint: a small HTTP server (workers have no other). Resolves to
 * null when it is off (port 0) or cannot listen: the worker keeps working without it.
 */
export async function startMetricsServer(options: {
  port: number;
  host: string;
  logger: Logger;
}): Promise<Server | null> {
  if (options.port === 0) return null;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `No route for ${req.method} ${path}; use GET /metrics` }));
      return;
    }
    metricsRegistry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metricsRegistry.contentType });
        res.end(text);
      },
      (err: unknown) => {
        options.logger.warn({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'Metrics could not be collected; see the service log.' }));
      },
    );
  });
  return new Promise((resolve) => {
    const off = (err: Error) => {
      options.logger.warn(
        { err: err.message, port: options.port },
        'metrics server cannot listen; /metrics is off',
      );
      resolve(null);
    };
    server.once('error', off);
    try {
      server.listen(options.port, options.host, () => {
        options.logger.info({ url: `http://${options.host}:${options.port}/metrics` }, 'metrics');
        resolve(server);
      });
    } catch (err) {
      off(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
