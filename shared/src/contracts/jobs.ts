import { z } from 'zod';
import { ToolInterface } from './tool';

/** Payload of every job that works on a run in a given state. */
export const RunStepJob = z.object({
  runId: z.string(),
  /** Counts re-entries of the same state (a repair loop), so job ids stay unique per step. */
  attempt: z.number().int().min(0),
});
export type RunStepJob = z.infer<typeof RunStepJob>;

/** Write, test and register one tool (a child of a run's `tools.ready` job, or on its own). */
export const ToolBuildJob = z.object({
  buildId: z.string(),
  runId: z.string().optional(),
  author: z.string(),
  interface: ToolInterface,
  /** Given code (hand-written or imported) is tested as is before any rewrite. */
  code: z.string().optional(),
  /** Why an existing tool must change (plan_tools `change`). */
  reason: z.string().optional(),
});
export type ToolBuildJob = z.infer<typeof ToolBuildJob>;

/** Joins a run's tool builds: runs once every child build has finished. */
export const ToolsReadyJob = z.object({ runId: z.string() });
export type ToolsReadyJob = z.infer<typeof ToolsReadyJob>;

/** Repair a tool after a failed call on the /api/mono path. */
export const ToolRepairJob = z.object({
  name: z.string(),
  version: z.number().int(),
  args: z.record(z.string(), z.unknown()),
  error: z.string(),
  stderr: z.string(),
  author: z.string(),
});
export type ToolRepairJob = z.infer<typeof ToolRepairJob>;

/** What a tool build returns to its parent (and to a waiting caller). */
export const ToolBuildOutcome = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), name: z.string(), version: z.number(), attempts: z.number() }),
  z.object({ ok: z.literal(false), name: z.string(), reason: z.string(), attempts: z.number() }),
]);
export type ToolBuildOutcome = z.infer<typeof ToolBuildOutcome>;
