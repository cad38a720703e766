import type { RunState } from '@hyperdesk/shared/contracts';

const STATE_LABELS: Record<RunState, string> = {
  RECEIVED: 'Received',
  CLASSIFYING: 'Understanding',
  PLANNING_TOOLS: 'Planning tools',
  BUILDING_TOOLS: 'Building tools',
  EXECUTING_TOOL: 'Running tool',
  GENERATING_CONTENT: 'Writing',
  DIAGNOSING: 'Diagnosing',
  GENERATING_APP: 'Generating',
  CHECKING_APP: 'Checking',
  REPAIRING_APP: 'Repairing',
  DONE: 'Done',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

/** What the window says while there is nothing to show yet. */
const STATE_WAITING: Record<RunState, string> = {
  RECEIVED: 'Starting…',
  CLASSIFYING: 'Working out what you need…',
  PLANNING_TOOLS: 'Planning the tools this needs…',
  BUILDING_TOOLS: 'Writing and testing tools…',
  EXECUTING_TOOL: 'Running the tool…',
  GENERATING_CONTENT: 'Writing…',
  DIAGNOSING: 'Reading the errors…',
  GENERATING_APP: 'Writing the app…',
  CHECKING_APP: 'Checking the app in a browser…',
  REPAIRING_APP: 'Repairing the app…',
  DONE: 'Done.',
  FAILED: 'This request failed.',
  CANCELLED: 'This request was cancelled.',
};

export function stateLabel(state: RunState): string {
  return STATE_LABELS[state];
}

export function waitingText(state: RunState): string {
  return STATE_WAITING[state];
}

const rateFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

export function formatRate(tokensPerS: number): string {
  return `${rateFormat.format(tokensPerS)} tok/s`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "yesterday"... */
export function timeAgo(at: number, now = Date.now()): string {
  const seconds = Math.round((at - now) / 1000);
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['second', 60],
    ['minute', 60],
    ['hour', 24],
    ['day', 30],
    ['month', 12],
  ];
  let value = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return relative.format(value, unit);
    value = Math.round(value / size);
  }
  return relative.format(value, 'year');
}

/** 850 ms, 1.2 s, 2 min 5 s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
