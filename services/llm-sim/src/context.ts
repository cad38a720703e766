import type { ChatRequest } from './request';
import { messageText } from './request';

/**
 * A small context window, as Ollama and llama.cpp run one by default: a prompt longer than
 * the window is not refused but cut from the top, system message first, and the model
 * answers what is left without its rules.
 */
export interface Truncation {
  /** The request as the model sees it. */
  body: ChatRequest;
  /** Prompt tokens dropped from the top; 0 when it fitted. */
  droppedTokens: number;
  /** The system message was (partly) cut: the model no longer knows the answer format. */
  lostRules: boolean;
}

/** The simulator counts about four characters a token, as its usage reports do. */
const CHARS_PER_TOKEN = 4;

export function truncateToContext(body: ChatRequest, contextTokens: number | null): Truncation {
  const texts = body.messages.map(messageText);
  const total = texts.reduce((sum, t) => sum + t.length, 0);
  const excess = contextTokens === null ? 0 : total - contextTokens * CHARS_PER_TOKEN;
  if (excess <= 0) return { body, droppedTokens: 0, lostRules: false };
  let drop = excess;
  let lostRules = false;
  const messages: ChatRequest['messages'] = [];
  body.messages.forEach((message, i) => {
    const text = texts[i] ?? '';
    const cut = Math.min(drop, text.length);
    drop -= cut;
    if (cut > 0 && (message.role === 'system' || message.role === 'developer')) lostRules = true;
    if (cut < text.length) messages.push({ ...message, content: text.slice(cut) });
  });
  return {
    body: { ...body, messages: messages.length ? messages : [{ role: 'user', content: '' }] },
    droppedTokens: Math.ceil(excess / CHARS_PER_TOKEN),
    lostRules,
  };
}

/** What a model that lost its instructions writes: no format, no document, no JSON. */
export const LOST_RULES_ANSWER =
  "It looks like this text starts in the middle of something. Could you tell me what you would like me to do with it? I'm happy to help once I know what you need.";
