import type { z } from 'zod';
import type { LlmCallMetrics } from '../contracts/run';
import type { ChatJsonResult, ChatOptions, ChatResult } from './client';
import { LlmJsonOutputError } from './failures';
import { extractJson, stripThink } from './parse';

type JsonCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map(
      (issue) =>
        `- ${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
    )
    .join('\n');
}

/** Reads an answer as JSON and checks it against the schema; says what is wrong when it fails. */
export function checkJsonReply<T>(answer: ChatResult, schema: z.ZodType<T>): JsonCheck<T> {
  const parsed = extractJson(answer.text);
  if (!parsed.ok) {
    const cutOff =
      answer.finishReason === 'length' ? ' The answer was cut off at the token limit.' : '';
    return { ok: false, problem: `${parsed.error}${cutOff}` };
  }
  const checked = schema.safeParse(parsed.value);
  if (!checked.success) {
    return {
      ok: false,
      problem: `The JSON does not match the required format:\n${formatIssues(checked.error.issues)}`,
    };
  }
  return { ok: true, value: checked.data };
}

/** The user message of the one re-ask: what exactly was wrong, and to answer with JSON only. */
export function reaskMessage(problem: string): string {
  return `Your previous answer could not be used. ${problem}\n\nReply again with only the corrected JSON: no explanation, no code fences, nothing before or after it.`;
}

/**
 * Asks, checks the answer, and on failure asks once more with the model's answer and the
 * problem appended. Throws LlmJsonOutputError (an LlmOutputError) when the second answer
 * fails too.
 */
export async function chatJsonWithReask<T>(
  chat: (options: ChatOptions) => Promise<ChatResult>,
  options: ChatOptions & { schema: z.ZodType<T> },
): Promise<ChatJsonResult<T>> {
  const { schema, ...chatOptions } = options;
  const calls: LlmCallMetrics[] = [];

  const first = await chat(chatOptions);
  calls.push(first.metrics);
  const firstCheck = checkJsonReply(first, schema);
  if (firstCheck.ok) return { value: firstCheck.value, calls, text: first.text };

  const second = await chat({
    ...chatOptions,
    messages: [
      ...chatOptions.messages,
      { role: 'assistant', content: stripThink(first.text) || first.text },
      { role: 'user', content: reaskMessage(firstCheck.problem) },
    ],
  });
  calls.push(second.metrics);
  const secondCheck = checkJsonReply(second, schema);
  if (secondCheck.ok) return { value: secondCheck.value, calls, text: second.text };

  throw new LlmJsonOutputError(
    `The model's ${options.stage} answer was unusable even after a re-ask. ${secondCheck.problem}`,
    second.text,
    calls,
  );
}
