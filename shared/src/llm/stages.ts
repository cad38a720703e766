import { z } from 'zod';
import { Intent } from '../contracts/run';
import { formatSections } from './prompt-sections';

/**
 * Replies of the JSON stages that have no contract elsewhere, as docs/llm-stages.md describes
 * them (plan_tools replies are `ToolPlan` in contracts/tool.ts). Fields a model tends to forget
 * get defaults; anything that would mislead the pipeline is an error, and so a re-ask.
 */

/** The request header that carries a call's stage; the simulator matches scenarios on it. */
export const STAGE_HEADER = 'x-hyperdesk-stage';

export const ClassifyReply = z.object({
  intent: Intent,
  title: z.string().trim().min(1, 'title must be a short window title'),
  tools: z.array(z.string()).default([]),
  needsNewTools: z.boolean().default(false),
  contentType: z.string().nullish(),
  /** For update_app: the id of the open window's app the request refers to. */
  appId: z.string().nullish(),
});
export type ClassifyReply = z.infer<typeof ClassifyReply>;

export const DiagnoseReply = z
  .object({
    fault: z.enum(['tool', 'app', 'both']),
    tool: z.string().nullish(),
    explanation: z.string().min(1),
  })
  .refine((reply) => reply.fault === 'app' || Boolean(reply.tool), {
    message: 'tool (the name of the faulty tool) is required when fault is "tool" or "both"',
    path: ['tool'],
  });
export type DiagnoseReply = z.infer<typeof DiagnoseReply>;

const ASK_SYSTEM = `You answer requests that an app on Hyperdesk (a desktop in the browser) sends while it runs.
Answer the request directly and concisely, as text the app will show or use; no greetings.
When a JSON Schema is given, reply with only one JSON value that matches it: no prose, no code fences.`;

/** The app_ask stage: the app's request, its own instructions and the schema of the answer. */
export function askMessages(input: {
  prompt: string;
  appTitle: string;
  system?: string;
  schema?: Record<string, unknown>;
}): { role: 'system' | 'user'; content: string }[] {
  const system = input.system
    ? `${ASK_SYSTEM}\n\nThe app's instructions:\n${input.system}`
    : ASK_SYSTEM;
  return [
    { role: 'system', content: system },
    {
      role: 'user',
      content: formatSections({
        Request: input.prompt,
        App: input.appTitle,
        'JSON Schema': input.schema ? JSON.stringify(input.schema) : null,
      }),
    },
  ];
}
