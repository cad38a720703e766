import { z } from 'zod';
import { LlmStage, STAGE_HEADER } from '@hyperdesk/shared';

const TextPart = z.object({ type: z.string(), text: z.string().optional() });

const Message = z.object({
  role: z.string().min(1),
  content: z.union([z.string(), z.array(TextPart), z.null()]).optional(),
});

/** The parts of an OpenAI chat completion request the simulator uses; others are ignored. */
export const ChatRequest = z.object({
  model: z.string().optional(),
  messages: z.array(Message).min(1, 'messages must contain at least one message'),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  temperature: z.number().nullish(),
  reasoning_effort: z.string().nullish(),
  response_format: z.object({ type: z.string() }).loose().nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export function messageText(message: z.infer<typeof Message>): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => part.text ?? '').join('');
}

/** The stage from the `x-hyperdesk-stage` header, else from `metadata.stage`; null if neither names one. */
export function requestStage(
  headers: Record<string, string | string[] | undefined>,
  body: ChatRequest,
): LlmStage | null {
  const header = headers[STAGE_HEADER];
  const fromHeader = LlmStage.safeParse(Array.isArray(header) ? header[0] : header);
  if (fromHeader.success) return fromHeader.data;
  const fromBody = LlmStage.safeParse(body.metadata?.stage);
  return fromBody.success ? fromBody.data : null;
}

export interface Conversation {
  stage: LlmStage | null;
  /** Every user message, oldest first. */
  users: string[];
  /** The first user message: the one with the stage's inputs (later ones are re-asks). */
  user: string;
  /** All system messages, joined. */
  system: string;
  promptChars: number;
  /** The answer length limit the request set, in tokens. */
  maxTokens: number | null;
}

export function readConversation(
  headers: Record<string, string | string[] | undefined>,
  body: ChatRequest,
): Conversation {
  const texts = body.messages.map((m) => ({ role: m.role, text: messageText(m) }));
  const users = texts.filter((m) => m.role === 'user').map((m) => m.text);
  return {
    stage: requestStage(headers, body),
    users,
    user: users[0] ?? '',
    system: texts
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => m.text)
      .join('\n\n'),
    promptChars: texts.reduce((sum, m) => sum + m.text.length, 0),
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
  };
}
