import { describe, expect, it } from 'vitest';
import type { LlmCallMetrics } from '@hyperdesk/shared/contracts';
import { frameDelays, tokenEnds } from './fan-out';
import { runsPerMinute } from './load';
import { criticalCalls, stageCounts } from './model-calls';
import { serviceOf } from './procs';
import { clientsFor, efficiency } from './scale-out';

const call = (stage: string, startedAt: number, durationMs: number) =>
  ({ stage, startedAt, durationMs, completionTokens: 10 }) as LlmCallMetrics;

describe('bench helpers', () => {
  it('counts the runs that ended DONE inside a window, per minute', () => {
    const runs = [
      { postedAt: 0, endedAt: 999, state: 'DONE' },
      { postedAt: 0, endedAt: 1000, state: 'DONE' },
      { postedAt: 0, endedAt: 20_000, state: 'FAILED' },
      { postedAt: 0, endedAt: 30_999, state: 'DONE' },
      { postedAt: 0, endedAt: 31_000, state: 'DONE' },
    ];
    expect(runsPerMinute(runs, 1000, 31_000)).toBe(4);
  });

  it('computes scaling efficiency and the load per level', () => {
    expect(efficiency(100, 4, 30)).toBeCloseTo(100 / 120);
    expect(efficiency(10, 2, 0)).toBeNaN();
    expect([1, 2, 4].map(clientsFor)).toEqual([3, 6, 12]);
  });

  it('counts tool calls on the critical path only when the tool branch ended last', () => {
    const parallel = [
      call('classify', 0, 200),
      call('plan_tools', 210, 400),
      call('tool_write', 620, 500),
      call('app_generate', 620, 3000),
    ];
    expect(stageCounts(criticalCalls({ intent: 'new_app', llm: llm(parallel) }))).toBe(
      'classify, plan_tools, app_generate',
    );
    const slowTool = [...parallel, call('tool_repair', 1200, 3000)];
    expect(stageCounts(criticalCalls({ intent: 'new_app', llm: llm(slowTool) }))).toBe(
      'classify, plan_tools, tool_write, app_generate, tool_repair',
    );
    const once = [call('classify', 0, 1), call('tool_write', 5, 1), call('tool_write', 9, 1)];
    expect(stageCounts(criticalCalls({ intent: 'tool_only', llm: llm(once) }))).toBe(
      'classify, tool_write ×2',
    );
  });

  it('measures token frames from when their last token was due', () => {
    // Tokens end at characters 3, 5, 9, …: a frame of 5 characters holds tokens 1 and 2.
    const ends = Array.from({ length: 40 }, (_, i) => 3 + 2 * i);
    const delays = frameDelays(
      [
        { receivedAt: 1155, chars: 3 },
        { receivedAt: 1190, chars: 5 },
        { receivedAt: 1250, chars: 81 },
      ],
      ends,
      1000,
      { ttftMs: 150, tokensPerS: 100 },
    );
    expect(delays).toEqual([5, 30, 1250 - (1150 + 390)]);
    expect(tokenEnds('<p>Hello, world</p>').at(-1)).toBe(19);
  });

  it('names stack processes by their entry', () => {
    expect(serviceOf('/usr/bin/node --import tsx services/app-generator/src/main.ts')).toBe(
      'app-generator',
    );
    expect(serviceOf('python3 python-runner/server.py')).toBe('python-runner');
    expect(serviceOf('/usr/lib/chromium/chromium --type=renderer')).toBe('chromium');
    expect(serviceOf('node --import tsx scripts/start.ts --demo')).toBe('launcher');
    expect(serviceOf('bwrap --unshare-all -- /usr/bin/python3 -I -B')).toBe('sandbox');
  });
});

function llm(detail: LlmCallMetrics[]) {
  return { calls: detail.length, promptTokens: 0, completionTokens: 0, detail };
}
