/**
 * Benchmark: model calls per request type, counted from the run records (`GET /api/runs/:id`
 * → `llm.detail`, one entry per call with its stage, recorded by the service that made it).
 * A call is on the critical path when the run waited for it: every call of the sequential
 * stages, and a tool branch's calls only when that branch ended after the app was stored
 * (or the run only runs the tool).
 */
import type { LlmCallMetrics, RunView } from '@hyperdesk/shared/contracts';
import { api } from '../support/client';
import type { BenchContext, BenchSection, Benchmark } from './bench';
import { PACE, PROMPT } from './new-app-samples';
import { SCENARIOS_DIR, TOOL_PROMPT } from './new-app-tool';
import { measuredLine, ms, table } from './report';
import { startBenchStack } from './stack';
import { summarize } from './stats';
import { WsProbe } from './ws-probe';

interface RequestType {
  label: string;
  prompt: string;
  /** Refines the app made by the request type of this label. */
  refines?: string;
}

const TYPES: RequestType[] = [
  { label: 'new app, no new tool', prompt: PROMPT },
  { label: 'new app needing one new tool', prompt: TOOL_PROMPT },
  { label: 'new app whose first version fails its check', prompt: 'a clock (bench-repair)' },
  {
    label: 'new app that keeps its settings in localStorage',
    prompt: 'a pomodoro timer that remembers its settings (bench-storage)',
  },
  {
    label: 'change to an open app',
    prompt: 'show it as a world clock (bench-update)',
    refines: 'new app whose first version fails its check',
  },
  { label: 'run a new tool once', prompt: 'count the words of my note (bench-tool-only)' },
  { label: 'content, no app (CSV)', prompt: 'a CSV of the planets and moons (bench-content)' },
];

const TOOL_STAGES = ['tool_write', 'tool_repair'];

/** The calls of a run that it waited for (see the file comment). */
export function criticalCalls(view: Pick<RunView, 'intent' | 'llm'>): LlmCallMetrics[] {
  const calls = view.llm.detail;
  if (view.intent === 'tool_only') return calls;
  const end = (c: LlmCallMetrics) => c.startedAt + c.durationMs;
  const appEnds = calls.filter((c) => !TOOL_STAGES.includes(c.stage)).map(end);
  const lastApp = Math.max(...appEnds, -Infinity);
  const toolEnd = Math.max(...calls.filter((c) => TOOL_STAGES.includes(c.stage)).map(end));
  return calls.filter((c) => !TOOL_STAGES.includes(c.stage) || toolEnd > lastApp);
}

/** "stage ×n" for each stage, in order of first appearance. */
export function stageCounts(calls: readonly LlmCallMetrics[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.stage, (counts.get(c.stage) ?? 0) + 1);
  return [...counts].map(([stage, n]) => (n > 1 ? `${stage} ×${n}` : stage)).join(', ') || '–';
}

interface Result {
  type: RequestType;
  views: RunView[];
}

async function run(ctx: BenchContext): Promise<BenchSection> {
  const repeats = ctx.quick ? 1 : 2;
  const stack = await startBenchStack(ctx, 'model-calls', {
    LLM_SIM_TTFT_MS: String(PACE.ttftMs),
    LLM_SIM_TOKENS_PER_S: String(PACE.tokensPerS),
    LLM_SIM_SCENARIOS: SCENARIOS_DIR,
  });
  const results: Result[] = TYPES.map((type) => ({ type, views: [] }));
  try {
    const client = await WsProbe.open(stack.baseUrl, stack.wsUrl);
    try {
      for (let i = 0; i < repeats; i++) {
        for (const result of results) {
          const { type } = result;
          const appId = type.refines
            ? results.find((r) => r.type.label === type.refines)?.views.at(-1)?.appId
            : undefined;
          const marks = await client.runOnce(type.prompt, 60_000, appId);
          const view = (await api<RunView>(stack.baseUrl, `/api/runs/${marks.runId}`)).body;
          if (view.state !== 'DONE') {
            throw new Error(`${type.label}: run ${view.id} ended ${view.state}: ${view.error}`);
          }
          result.views.push(view);
          ctx.log(`${type.label}: ${stageCounts(view.llm.detail)}`);
        }
      }
    } finally {
      client.close();
    }
  } finally {
    await stack.stop();
  }
  await ctx.saveRaw(
    'model-calls',
    results.map((r) => ({ type: r.type.label, calls: r.views.map((v) => v.llm.detail) })),
  );

  const rows = results.map(({ type, views }) => {
    const critical = views.map(criticalCalls);
    const count = (lists: LlmCallMetrics[][]) => {
      const s = summarize(lists.map((l) => l.length));
      return s.min === s.max ? String(s.min) : `${s.min}–${s.max}`;
    };
    const modelMs = summarize(
      critical.map((l) =>
        l.reduce((t, c) => t + PACE.ttftMs + (c.completionTokens / PACE.tokensPerS) * 1000, 0),
      ),
    );
    const tokens = summarize(views.map((v) => v.llm.completionTokens));
    return [
      type.label,
      `\`${views[0]?.intent ?? '?'}\``,
      count(views.map((v) => v.llm.detail)),
      stageCounts(views[0]?.llm.detail ?? []),
      count(critical),
      stageCounts(critical[0] ?? []),
      ms(modelMs.p50),
      tokens.p50.toFixed(0),
    ];
  });
  const markdown = [
    measuredLine('model-calls', ctx.quick),
    '',
    `Each request type is run ${repeats} time(s) from a WebSocket client against the simulator (${PACE.ttftMs} ms / ${PACE.tokensPerS} tokens/s; answers from \`tests/bench/scenarios/bench.json\` and the built-in benchmark app), and its calls are counted from the run record (\`GET /api/runs/:id\` → \`llm.detail\`: every model call with its stage, tokens and timing, recorded by the service that made it). *Critical path*: the calls the run waited for one after another; a tool branch's calls (\`tool_write\`, \`tool_repair\`) run beside the app's and count only when that branch ended after the app's last call (or the run only runs the tool). *Model time on the critical path*: time to first token + tokens ÷ rate, summed over those calls (p50). A "change to an open app" refines the app of the repaired clock. Counts vary between repetitions only if a range is shown.`,
    '',
    table(
      [
        'request type',
        'intent',
        'calls',
        'stages (in order)',
        'on the critical path',
        'critical stages',
        'model time on it (ms)',
        'completion tokens',
      ],
      rows,
      'lllrlrr',
    ),
    '',
    'Re-asks count as calls of their stage: a JSON answer that does not parse or match its schema, or an HTML answer cut off before `</html>`, is asked for once more (`docs/llm-stages.md`). None are provoked here.',
  ].join('\n');
  return {
    markdown,
    headline: results.map(
      ({ type, views }) =>
        `${type.label}: ${stageCounts(views[0]?.llm.detail ?? [])} (critical: ${stageCounts(criticalCalls(views[0] ?? { intent: null, llm: { calls: 0, promptTokens: 0, completionTokens: 0, detail: [] } }))})`,
    ),
  };
}

export const modelCalls: Benchmark = {
  name: 'model-calls',
  title: 'Model calls per request type',
  run,
};
