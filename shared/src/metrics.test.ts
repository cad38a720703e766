import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { recordLlmCall, recordToolExecution, startMetricsServer } from './metrics';

const silent = pino({ level: 'silent' });

async function busyPort(): Promise<{ port: number; close: () => void }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => server.close(),
  };
}

describe('a worker /metrics server', () => {
  const closers: (() => void)[] = [];
  afterEach(() => closers.splice(0).forEach((close) => close()));

  it('is off on port 0', async () => {
    expect(await startMetricsServer({ port: 0, host: '127.0.0.1', logger: silent })).toBeNull();
  });

  it('serves what was recorded in Prometheus text format, and 404 elsewhere', async () => {
    const taken = await busyPort();
    taken.close(); // a port that was free a moment ago
    const server = await startMetricsServer({
      port: taken.port,
      host: '127.0.0.1',
      logger: silent,
    });
    expect(server).not.toBeNull();
    closers.push(() => server?.close());
    recordToolExecution('killed', 'memory');
    recordLlmCall('sim', {
      stage: 'tool_repair',
      model: 'm',
      startedAt: 0,
      ttftMs: 250,
      durationMs: 1250,
      promptTokens: 10,
      completionTokens: 100,
      tokensPerS: 100,
    });
    const res = await fetch(`http://127.0.0.1:${taken.port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^hyperdesk_tool_executions_total\{outcome="killed"\} 1$/m);
    expect(text).toMatch(/^hyperdesk_sandbox_kills_total\{killed_by="memory"\} 1$/m);
    expect(text).toMatch(/^hyperdesk_tool_repairs_total 1$/m);
    expect(text).toMatch(
      /^hyperdesk_llm_ttft_seconds_bucket\{le="0\.25",stage="tool_repair",provider="sim",model="m"\} 1$/m,
    );
    expect(text).toMatch(
      /^hyperdesk_llm_tokens_per_second_bucket\{le="50",stage="tool_repair",provider="sim",model="m"\} 0$/m,
    );
    const other = await fetch(`http://127.0.0.1:${taken.port}/other`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: string }).error).toMatch(/GET \/metrics/);
  });

  it('leaves the worker running without /metrics when the port is taken', async () => {
    const taken = await busyPort();
    closers.push(taken.close);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    expect(await startMetricsServer({ port: taken.port, host: '127.0.0.1', logger })).toBeNull();
    expect(lines.join('')).toMatch(/metrics server cannot listen/);
  });
});
