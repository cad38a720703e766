import { z } from 'zod';

export const ToolName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,47}$/, 'snake_case: lowercase letters, digits and _, 2–48 chars');

/** A JSON Schema object (validated as a schema when a tool is registered). */
export const JsonSchema = z.record(z.string(), z.unknown());
export type JsonSchema = z.infer<typeof JsonSchema>;

export const ToolExample = z.object({
  args: z.record(z.string(), z.unknown()),
  result: z.unknown().optional(),
});
export type ToolExample = z.infer<typeof ToolExample>;

/** What an app needs to know to call a tool; fixed before the code is written. */
export const ToolInterface = z.object({
  name: ToolName,
  description: z.string().min(1).max(2000),
  args: JsonSchema,
  returns: JsonSchema,
  examples: z.array(ToolExample).min(1).max(20),
  /** CLI-style tool: args are rendered as `--key value` flags instead of JSON on stdin. */
  argv: z.boolean().optional(),
});
export type ToolInterface = z.infer<typeof ToolInterface>;

export const ToolCapability = z.enum(['network']);
export type ToolCapability = z.infer<typeof ToolCapability>;

/** One registered (tested) version of a tool. */
export const ToolVersion = ToolInterface.extend({
  code: z.string(),
  version: z.number().int().positive(),
  author: z.string(),
  createdAt: z.number(),
  capabilities: z.array(ToolCapability),
  /** Why this version exists: written, repaired (with the error that triggered it), imported. */
  origin: z.enum(['written', 'repaired', 'imported', 'reverted']),
  note: z.string().optional(),
});
export type ToolVersion = z.infer<typeof ToolVersion>;

export const ToolSummary = z.object({
  name: z.string(),
  description: z.string(),
  /** The newest version. */
  version: z.number(),
  versions: z.number(),
  updatedAt: z.number(),
  /** Who wrote the newest version. */
  author: z.string().optional(),
  /** The version the asking person runs (null: they have not used the tool yet). */
  using: z.number().nullable().optional(),
});
export type ToolSummary = z.infer<typeof ToolSummary>;

/** `POST /api/tools/:name/accept`: run this version from now on (the newest by default). */
export const AcceptToolBody = z.object({ version: z.number().int().positive().optional() });
export type AcceptToolBody = z.infer<typeof AcceptToolBody>;

/** `POST /api/tools/:name/grant`: network for one version (the newest by default). */
export const GrantToolBody = z.object({
  network: z.boolean(),
  version: z.number().int().positive().optional(),
});
export type GrantToolBody = z.infer<typeof GrantToolBody>;

/** One tool call in the audit of calls: who ran which version, with which grant. */
export const ToolCallEntry = z.object({
  at: z.number(),
  user: z.string(),
  tool: z.string(),
  version: z.number(),
  network: z.boolean(),
  ok: z.boolean(),
  /** The app that made the call, or the run (tool_only), when not a direct call. */
  appId: z.string().optional(),
  runId: z.string().optional(),
});
export type ToolCallEntry = z.infer<typeof ToolCallEntry>;

/** `POST /api/tools`: a hand-written or imported tool. */
export const CreateToolBody = ToolInterface.extend({
  code: z.string().min(1).max(200_000),
});
export type CreateToolBody = z.infer<typeof CreateToolBody>;

export const RevertBody = z.object({ version: z.number().int().positive() });
export type RevertBody = z.infer<typeof RevertBody>;

/** What the python-runner answers for one execution. */
export const ExecutionResult = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  stderr: z.string(),
  exitCode: z.number().nullable(),
  durationMs: z.number(),
  killedBy: z.string().nullable(),
  error: z.string().optional(),
  /** The workspace was over its disk quota: no file could grow (RUNNER_WORKSPACE_MB). */
  workspaceFull: z.boolean().optional(),
});
export type ExecutionResult = z.infer<typeof ExecutionResult>;

/** The plan_tools stage's answer. */
export const ToolPlan = z.object({
  use: z.array(z.string()).default([]),
  create: z.array(ToolInterface).default([]),
  change: z.array(z.object({ name: z.string(), reason: z.string() })).default([]),
  /** For a request that only runs a tool: which tool, with which args. */
  call: z
    .object({ tool: z.string(), args: z.record(z.string(), z.unknown()).default({}) })
    .optional(),
});
export type ToolPlan = z.infer<typeof ToolPlan>;
