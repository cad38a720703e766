import { z } from 'zod';
import { ContextEntry } from './desktop-context';
import { Notice } from './notices';
import { LlmCallMetrics, RunState } from './run';

const base = { runId: z.string(), at: z.number() };

/** Events on a run's stream, before the store numbers them. */
export const RunEventBody = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('run.state'),
    state: RunState,
    error: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('run.token'),
    /** Which document the text belongs to (the app being written, content...). */
    target: z.enum(['app', 'content']),
    text: z.string(),
    /** Total tokens streamed so far in this call and the measured rate. */
    tokens: z.number(),
    tokensPerS: z.number().nullable(),
    /** The text starts a new document that replaces what was streamed before (a re-ask). */
    reset: z.boolean().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('run.thinking'),
    /** The document the model is about to write. */
    target: z.enum(['app', 'content']),
    /** Reasoning tokens so far in this call (the reasoning itself is never sent). */
    tokens: z.number(),
  }),
  z.object({
    ...base,
    type: z.literal('run.app'),
    appId: z.string(),
    version: z.number(),
    title: z.string(),
  }),
  /** The app version's thumbnail was saved (after the check's verdict, usually after DONE). */
  z.object({
    ...base,
    type: z.literal('run.thumbnail'),
    appId: z.string(),
    version: z.number(),
  }),
  z.object({ ...base, type: z.literal('run.llm'), call: LlmCallMetrics }),
  z.object({
    ...base,
    type: z.literal('tool.build'),
    name: z.string(),
    status: z.enum(['writing', 'testing', 'repairing', 'registered', 'failed']),
    attempt: z.number(),
    version: z.number().optional(),
    error: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('tool.repair'),
    name: z.string(),
    attempt: z.number(),
    /** The real error that triggered the repair. */
    error: z.string(),
    before: z.string(),
    after: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('run.classified'),
    intent: z.string(),
    title: z.string(),
  }),
]);
export type RunEventBody = z.infer<typeof RunEventBody>;

/** An event as subscribers see it: numbered from 1 per run. */
export const RunEvent = z.intersection(
  RunEventBody,
  z.object({ seq: z.number().int().positive() }),
);
export type RunEvent = z.infer<typeof RunEvent>;

/** Messages a WebSocket client may send. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    runId: z.string().min(1).max(64),
    since: z.number().int().min(0).optional(),
  }),
  z.object({ type: z.literal('unsubscribe'), runId: z.string().min(1).max(64) }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Messages the server sends that are not run events. */
export const ServerNotice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('error'), message: z.string(), runId: z.string().optional() }),
  z.object({ type: z.literal('subscribed'), runId: z.string(), replayed: z.number() }),
  z.object({ type: z.literal('pong') }),
  /** A notice raised for the connection's user (every connection of theirs gets it). */
  z.object({ type: z.literal('notice'), notice: Notice }),
  /** A shared desktop context key changed; `entry` null when it was removed. */
  z.object({ type: z.literal('context'), key: z.string(), entry: ContextEntry.nullable() }),
  /** An app's data (its `localStorage`) changed: open windows of it in other tabs read it again. */
  z.object({ type: z.literal('app-data'), appId: z.string() }),
]);
export type ServerNotice = z.infer<typeof ServerNotice>;
