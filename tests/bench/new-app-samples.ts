/**
 * One run of the new-app benchmark, measured in the desktop or from a WebSocket client, with
 * its model-time bounds and where the time over them went.
 */
import type { LlmCallMetrics, RunView } from '@hyperdesk/shared/contracts';
import { api } from '../support/client';
import type { DesktopProbe, Mark, MarkKind } from './desktop-probe';
import { modelBounds, type Bounds, type Pace } from './model-bound';
import type { WsMarks, WsProbe } from './ws-probe';

export const PACE: Pace = { ttftMs: 150, tokensPerS: 1000 };
export const PROMPT = 'a benchmark app: a sprint board for the team';
export type Mode = 'browser' | 'ws';
export type Milestone = 'firstToken' | 'firstRender' | 'firstBody' | 'app' | 'usable' | 'done';
export type Step =
  | 'submit→created'
  | 'created→classify'
  | 'classify+'
  | 'classify→app call'
  | 'app call+'
  | 'app call→run.app'
  | 'run.app→loaded'
  | 'stored→DONE'
  | 'DONE→client';

/** Steps inside the desktop, from its own marks. */
export const DESK_STEPS = {
  'mounted→ready': [
    'frame-mounted',
    'shell-ready',
    'frame mounted (at submit) → stream shell loaded and "ready"',
  ],
  'ready→token': [
    'shell-ready',
    'ws-token',
    'shell ready → first app token arrives (the shell waits for it)',
  ],
  'token→render': [
    'ws-token',
    'frame-render',
    'first app token → first streamed render (postMessage, parse, animation frame)',
  ],
  'app→fetched': ['ws-app', 'app-fetched', '`run.app` → stored app fetched (`GET /api/apps/:id`)'],
  'fetched→start': [
    'app-fetched',
    'final-start',
    'app fetched → handed to the shell to adopt (or a new document created)',
  ],
  'start→loaded': [
    'final-start',
    'frame-final-load',
    'handed over → adopted: head and body in place, scripts run, `load` fired',
  ],
} as const satisfies Record<string, [MarkKind, MarkKind, string]>;
export type DeskStep = keyof typeof DESK_STEPS;

export interface Sample {
  mode: Mode;
  runId: string;
  /** ms after submit; NaN where the mode cannot see it. */
  at: Record<Milestone, number>;
  bounds: Bounds;
  steps: Partial<Record<Step, number>>;
  desk: Partial<Record<DeskStep, number>>;
  calls: LlmCallMetrics[];
  /** Desktop runs: what the frame's body held when it first had content (raw output only). */
  firstBodyHtml?: string;
  /** Desktop runs: a tag fragment the stream showed as body text, and when (ms after submit). */
  debris?: { text: string; at: number };
}

/** Per-step timings from the run record (server clock) and the client's marks (same clock). */
export function stepsOf(
  view: RunView,
  submitAt: number,
  appAt: number,
  loadedAt: number,
  doneAt: number,
) {
  const classify = view.llm.detail.find((c) => c.stage === 'classify');
  const app = view.llm.detail.find((c) => c.stage === 'app_generate');
  const entered = (state: string) => view.history.find((h) => h.state === state)?.at ?? NaN;
  const bound = (tokens: number) => PACE.ttftMs + (tokens / PACE.tokensPerS) * 1000;
  const classifyEnd = classify ? classify.startedAt + classify.durationMs : NaN;
  const appEnd = app ? app.startedAt + app.durationMs : NaN;
  const stored = entered('CHECKING_APP');
  const steps: Partial<Record<Step, number>> = {
    'submit→created': view.createdAt - submitAt,
    'created→classify': (classify?.startedAt ?? NaN) - view.createdAt,
    'classify+': classify ? classify.durationMs - bound(classify.completionTokens) : NaN,
    'classify→app call': (app?.startedAt ?? NaN) - classifyEnd,
    'app call+': app ? app.durationMs - bound(app.completionTokens) : NaN,
    'app call→run.app': appAt - appEnd,
    'run.app→loaded': loadedAt - appAt,
    'stored→DONE': entered('DONE') - (Number.isFinite(stored) ? stored : appEnd),
    'DONE→client': doneAt - entered('DONE'),
  };
  return steps;
}

export async function browserRun(
  probe: DesktopProbe,
  baseUrl: string,
  bodyTokens: number,
  prompt: string = PROMPT,
): Promise<Sample> {
  const { runId, marks } = await probe.runOnce(prompt);
  const at = (kind: MarkKind) => marks.find((m: Mark) => m.kind === kind)?.at ?? NaN;
  const submit = at('submit');
  const since = (kind: MarkKind) => at(kind) - submit;
  const view = (await api<RunView>(baseUrl, `/api/runs/${runId}`)).body;
  const loaded = at('frame-final-load');
  // A probe that started late only bounds its mark from above: leave such marks out.
  const exact = (kind: MarkKind) =>
    marks.some((m) => m.kind === kind && m.late) ? NaN : since(kind);
  return {
    mode: 'browser',
    runId,
    at: {
      firstToken: since('ws-token'),
      firstRender: exact('frame-render'),
      firstBody: exact('frame-body'),
      app: since('ws-app'),
      usable: Math.max(at('ws-app'), loaded) - submit,
      done: since('ws-done'),
    },
    bounds: modelBounds(view, PACE, bodyTokens),
    steps: stepsOf(view, submit, at('ws-app'), loaded, at('ws-done')),
    desk: Object.fromEntries(
      Object.entries(DESK_STEPS).map(([step, [from, to]]) => [step, exact(to) - exact(from)]),
    ),
    calls: view.llm.detail,
    firstBodyHtml: marks.find((m) => m.kind === 'frame-body')?.detail,
    ...(marks.some((m) => m.kind === 'frame-debris')
      ? {
          debris: {
            text: marks.find((m) => m.kind === 'frame-debris')?.detail ?? '',
            at: since('frame-debris'),
          },
        }
      : {}),
  };
}

export async function wsRun(
  probe: WsProbe,
  baseUrl: string,
  bodyTokens: number,
  prompt: string = PROMPT,
): Promise<Sample> {
  const marks: WsMarks = await probe.runOnce(prompt);
  if (marks.state !== 'DONE') throw new Error(`run ${marks.runId} ended ${marks.state}`);
  const view = (await api<RunView>(baseUrl, `/api/runs/${marks.runId}`)).body;
  const epoch = (since: number) => marks.doneAt - marks.done + since;
  return {
    mode: 'ws',
    runId: marks.runId,
    at: {
      firstToken: marks.firstToken,
      firstRender: NaN,
      firstBody: marks.firstBody,
      app: marks.app,
      usable: NaN,
      done: marks.done,
    },
    bounds: modelBounds(view, PACE, bodyTokens),
    steps: stepsOf(view, marks.startedAt, epoch(marks.app), NaN, marks.doneAt),
    desk: {},
    calls: view.llm.detail,
  };
}
