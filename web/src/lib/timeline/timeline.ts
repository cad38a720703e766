/**
 * A run on a time axis: its states, each model call and each tool build, as bars measured
 * from the run's start. Plain data in, plain data out.
 */
import { isTerminal, type RunEvent, type RunView } from '@hyperdesk/shared/contracts';
import { formatMs, formatRate, stateLabel } from '../format';

export type BarGroup = 'state' | 'llm' | 'tool';

export interface Bar {
  label: string;
  /** Milliseconds from the run's start. */
  start: number;
  end: number;
  /** A colour family (state name, stage or build status). */
  tone: string;
  /** What a person reads on hover or with a screen reader. */
  detail: string;
  /** Time to first token, from the start of a model call's bar. */
  marker?: number;
}

export interface TimelineRow {
  group: BarGroup;
  label: string;
  bars: Bar[];
}

export interface Timeline {
  /** Total span shown, in ms. */
  span: number;
  rows: TimelineRow[];
  ticks: number[];
}

type BuildEvent = Extract<RunEvent, { type: 'tool.build' }>;

const TICK_STEPS = [50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000];

export function ticksFor(span: number, most = 8): number[] {
  const step = TICK_STEPS.find((s) => span / s <= most) ?? Math.ceil(span / most / 60_000) * 60_000;
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return ticks;
}

export function buildTimeline(view: RunView, events: RunEvent[], now: number): Timeline {
  const origin = view.history[0]?.at ?? view.createdAt;
  const live = !isTerminal(view.state);
  const rows: TimelineRow[] = [];

  const stateBars: Bar[] = view.history.map((entry, i) => {
    const next = view.history[i + 1];
    const end = next ? next.at : live ? now : entry.at;
    return {
      label: stateLabel(entry.state),
      start: entry.at - origin,
      end: end - origin,
      tone: entry.state,
      detail: `${stateLabel(entry.state)}: ${next || live ? formatMs(end - entry.at) : 'final state'}`,
    };
  });
  rows.push({ group: 'state', label: 'Run', bars: stateBars });

  const calls =
    view.llm.detail.length > 0
      ? view.llm.detail
      : events.flatMap((e) => (e.type === 'run.llm' ? [e.call] : []));
  calls.forEach((call) => {
    const rate = call.tokensPerS === null ? '' : `, ${formatRate(call.tokensPerS)}`;
    const ttft = call.ttftMs === null ? '' : `, first token ${formatMs(call.ttftMs)}`;
    const reasoning =
      call.reasoningMs === undefined ? '' : `, reasoning ${formatMs(call.reasoningMs)}`;
    const bars: Bar[] = [
      {
        label: call.stage,
        start: call.startedAt - origin,
        end: call.startedAt + call.durationMs - origin,
        tone: call.stage,
        detail: `${call.stage}: ${formatMs(call.durationMs)}${reasoning}${ttft}${rate}, ${call.promptTokens} → ${call.completionTokens} tokens`,
        ...(call.ttftMs === null ? {} : { marker: call.ttftMs }),
      },
    ];
    // The time the model reasoned before its answer, drawn over the call.
    if (call.firstReasoningMs !== undefined && call.reasoningMs !== undefined) {
      const from = call.startedAt + call.firstReasoningMs - origin;
      bars.push({
        label: `${call.stage} reasoning`,
        start: from,
        end: from + call.reasoningMs,
        tone: 'reasoning',
        detail: `${call.stage}: reasoning ${formatMs(call.reasoningMs)} before the first answer token`,
      });
    }
    rows.push({ group: 'llm', label: call.stage, bars });
  });

  const builds = new Map<string, BuildEvent[]>();
  for (const event of events) {
    if (event.type !== 'tool.build') continue;
    const list = builds.get(event.name) ?? [];
    list.push(event);
    builds.set(event.name, list);
  }
  for (const [name, list] of builds) {
    const sorted = [...list].sort((a, b) => a.at - b.at);
    const bars: Bar[] = [];
    sorted.forEach((event, i) => {
      const next = sorted[i + 1];
      const final = event.status === 'registered' || event.status === 'failed';
      const end = next ? next.at : final || !live ? event.at : now;
      const what =
        event.status === 'registered'
          ? `registered v${event.version ?? '?'}`
          : event.status === 'failed'
            ? `failed: ${event.error ?? ''}`
            : `${event.status} (attempt ${event.attempt + 1})`;
      bars.push({
        label: event.status,
        start: event.at - origin,
        end: end - origin,
        tone: event.status,
        detail: `${name} ${what}${final ? '' : `, ${formatMs(end - event.at)}`}`,
      });
    });
    rows.push({ group: 'tool', label: name, bars });
  }

  const latest = Math.max(
    live ? now - origin : 0,
    ...rows.flatMap((row) => row.bars.map((bar) => bar.end)),
    1,
  );
  return { span: latest, rows, ticks: ticksFor(latest) };
}

/** Tool rewrites of a run, in order: the real error and the code before and after. */
export function repairsOf(events: RunEvent[]): Extract<RunEvent, { type: 'tool.repair' }>[] {
  return events.flatMap((e) => (e.type === 'tool.repair' ? [e] : []));
}
