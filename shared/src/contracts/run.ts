import { z } from 'zod';

/** Every state a run can be in (DESIGN §2). */
export const RunState = z.enum([
  'RECEIVED',
  'CLASSIFYING',
  'PLANNING_TOOLS',
  'BUILDING_TOOLS',
  'EXECUTING_TOOL',
  'GENERATING_CONTENT',
  'DIAGNOSING',
  'GENERATING_APP',
  'CHECKING_APP',
  'REPAIRING_APP',
  'DONE',
  'FAILED',
  'CANCELLED',
]);
export type RunState = z.infer<typeof RunState>;

/** The BullMQ queues; each is served by one service. */
export const QueueName = z.enum(['classify', 'planner', 'tools', 'apps']);
export type QueueName = z.infer<typeof QueueName>;

export const Intent = z.enum([
  'new_app',
  'update_app',
  'tool_only',
  'virtual_response',
  'diagnose_error',
]);
export type Intent = z.infer<typeof Intent>;

interface StateDef {
  /** The queue whose worker handles a run in this state; null for states nobody works on. */
  queue: QueueName | null;
  /** States reachable from this one, besides FAILED and CANCELLED (reachable from any live state). */
  next: readonly RunState[];
}

/** The one definition of the run state machine. */
export const RUN_STATES = {
  // An imported app skips classification and generation: it is checked like a generated one.
  RECEIVED: { queue: null, next: ['CLASSIFYING', 'CHECKING_APP'] },
  CLASSIFYING: {
    queue: 'classify',
    next: [
      'PLANNING_TOOLS',
      'GENERATING_APP',
      'GENERATING_CONTENT',
      'DIAGNOSING',
      'EXECUTING_TOOL',
    ],
  },
  PLANNING_TOOLS: {
    queue: 'planner',
    next: ['BUILDING_TOOLS', 'GENERATING_APP', 'EXECUTING_TOOL'],
  },
  BUILDING_TOOLS: {
    queue: 'tools',
    next: ['GENERATING_APP', 'EXECUTING_TOOL', 'CHECKING_APP', 'REPAIRING_APP', 'DONE'],
  },
  EXECUTING_TOOL: { queue: 'tools', next: ['DONE'] },
  GENERATING_CONTENT: { queue: 'apps', next: ['DONE'] },
  DIAGNOSING: { queue: 'planner', next: ['BUILDING_TOOLS', 'GENERATING_APP', 'REPAIRING_APP'] },
  GENERATING_APP: { queue: 'apps', next: ['CHECKING_APP', 'BUILDING_TOOLS', 'DONE'] },
  CHECKING_APP: { queue: 'apps', next: ['DONE', 'REPAIRING_APP'] },
  REPAIRING_APP: { queue: 'apps', next: ['CHECKING_APP'] },
  DONE: { queue: null, next: [] },
  FAILED: { queue: null, next: [] },
  CANCELLED: { queue: null, next: [] },
} as const satisfies Record<RunState, StateDef>;

function nextStates(from: RunState): readonly RunState[] {
  return RUN_STATES[from].next;
}

export const TERMINAL_STATES: readonly RunState[] = ['DONE', 'FAILED', 'CANCELLED'];

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** States from which `to` may be entered. */
export function allowedSources(to: RunState): RunState[] {
  return RunState.options.filter(
    (from) =>
      !isTerminal(from) && (nextStates(from).includes(to) || to === 'FAILED' || to === 'CANCELLED'),
  );
}

export function canTransition(from: RunState, to: RunState): boolean {
  return allowedSources(to).includes(from);
}

export const LlmStage = z.enum([
  'classify',
  'plan_tools',
  'tool_write',
  'tool_repair',
  'app_generate',
  'app_repair',
  'diagnose',
  'content',
  /** A model call an app makes itself (`hyperdesk.ask`). */
  'app_ask',
]);
export type LlmStage = z.infer<typeof LlmStage>;

export const LlmCallMetrics = z.object({
  stage: LlmStage,
  model: z.string(),
  startedAt: z.number(),
  /** ms to the first token of the answer itself (reasoning excluded); null if none came. */
  ttftMs: z.number().nullable(),
  durationMs: z.number(),
  promptTokens: z.number(),
  /** Every generated token, reasoning included (what the provider bills). */
  completionTokens: z.number(),
  /** Answer tokens per second after the first answer token (reasoning not counted). */
  tokensPerS: z.number().nullable(),
  /** An app call: tokens written before the app's <body> showed anything (null: it never did). */
  tokensBeforeVisible: z.number().nullable().optional(),
  /** ms to the first reasoning token, when the model reasoned before answering. */
  firstReasoningMs: z.number().optional(),
  /** ms the model spent reasoning: from its first reasoning token to its first answer token. */
  reasoningMs: z.number().optional(),
});
export type LlmCallMetrics = z.infer<typeof LlmCallMetrics>;

export const HistoryEntry = z.object({
  state: RunState,
  at: z.number(),
  ms: z.number().nullable(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** A run as the API returns it. */
export const RunView = z.object({
  id: z.string(),
  state: RunState,
  intent: Intent.nullable(),
  prompt: z.string(),
  owner: z.string(),
  createdAt: z.number(),
  history: z.array(HistoryEntry),
  appId: z.string().optional(),
  contentId: z.string().optional(),
  title: z.string().optional(),
  error: z.string().optional(),
  llm: z.object({
    calls: z.number(),
    promptTokens: z.number(),
    completionTokens: z.number(),
    detail: z.array(LlmCallMetrics),
  }),
});
export type RunView = z.infer<typeof RunView>;
