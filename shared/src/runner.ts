import { ExecutionResult } from './contracts/tool';
import { HyperdeskError, errorMessage } from './errors';
import { recordToolExecution } from './metrics';

export interface ExecuteRequest {
  code: string;
  args: Record<string, unknown>;
  argv?: string[];
  workspace?: string;
  network?: boolean;
  limits?: Partial<{
    wallMs: number;
    cpuS: number;
    memoryMb: number;
    processes: number;
    openFiles: number;
    outputBytes: number;
  }>;
}

/** Client of the python-runner's internal HTTP API. */
export class RunnerClient {
  constructor(private readonly baseUrl: string) {}

  async execute(request: ExecuteRequest): Promise<ExecutionResult> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      recordToolExecution('unavailable');
      throw new HyperdeskError(
        'RUNNER_UNAVAILABLE',
        `The python-runner at ${this.baseUrl} cannot be reached (${errorMessage(err)}). Start it or set RUNNER_URL.`,
        503,
        true,
      );
    }
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      recordToolExecution('refused');
      const message = (body as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
      throw new HyperdeskError(
        'RUNNER_REFUSED',
        `The python-runner refused the call: ${message}`,
        502,
      );
    }
    const execution = ExecutionResult.parse(body);
    recordToolExecution(
      execution.ok ? 'ok' : execution.killedBy ? 'killed' : 'error',
      execution.killedBy,
    );
    return execution;
  }

  async health(): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}

/** CLI-style tools: args as `--flag value` items (never a shell string). */
export function renderArgv(args: Record<string, unknown>): string[] {
  return Object.entries(args).flatMap(([key, value]) => {
    const flag = `--${key.replace(/_/g, '-')}`;
    if (value === true) return [flag];
    if (value === false || value === null || value === undefined) return [];
    if (Array.isArray(value)) return value.flatMap((v) => [flag, scalar(v)]);
    return [flag, scalar(value)];
  });
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
