import { toJSONSchema, type z } from 'zod';
import { canonical, coerceToSchema } from './coerce';
import type { LlmCallMetrics } from '../contracts/run';
import type { ChatJsonResult, ChatOptions, ChatResult } from './client';
import { LlmJsonOutputError } from './failures';
import { extractJsonCandidates, stripThink } from './parse';

type JsonCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map(
      (issue) =>
        `- ${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
    )
    .join('\n');
}

/** A check beyond the schema: a problem to re-ask about (in words for the model), or null. */
export type ReplyCheck<T> = (value: T) => string | null;

const jsonSchemas = new WeakMap<z.ZodType, unknown>();

/** The schema as JSON Schema (what the answer is coerced towards); cached per schema. */
function jsonSchemaOf(schema: z.ZodType): unknown {
  if (!jsonSchemas.has(schema)) {
    let converted: unknown = null;
    try {
      converted = toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    } catch {
      // A schema JSON Schema cannot express: checked by zod alone.
    }
    jsonSchemas.set(schema, converted);
  }
  return jsonSchemas.get(schema);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * What a value wraps when it is an object of one key, not a field of the schema, holding one
 * object (`{"classification": {…}}`, `{"result": {…}}`): models name their answer. Otherwise
 * the value itself.
 */
function unwrapped(value: unknown, schema: unknown): unknown {
  if (!isObject(value)) return value;
  const entries = Object.entries(value);
  const [key, inner] = entries[0] ?? [];
  const fields = isObject(schema) && isObject(schema.properties) ? schema.properties : {};
  const isField = Object.keys(fields).some((f) => canonical(f) === canonical(key ?? ''));
  return entries.length === 1 && isObject(inner) && !isField ? inner : value;
}

/**
 * Reads an answer as JSON and checks it against the schema; says what is wrong when it fails.
 * Every JSON object in the answer is a candidate, the last written first (a model that writes
 * two corrects the first), unwrapped when it holds the answer under a key of its own; each
 * is coerced towards the schema (key and enum case, numbers and
 * booleans as strings) before it is checked, and an unknown key standing in for a missing
 * defaulted field is a problem, not a silent default.
 */
export function checkJsonReply<T>(
  answer: ChatResult,
  schema: z.ZodType<T>,
  check?: ReplyCheck<T>,
): JsonCheck<T> {
  const { values, error, cut } = extractJsonCandidates(answer.text);
  const cutOff =
    answer.finishReason === 'length' ? ' The answer was cut off at the token limit.' : '';
  if (cut) return { ok: false, problem: `${cut}${cutOff}` };
  if (values.length === 0) {
    return {
      ok: false,
      problem: `${error ?? 'No JSON object or array was found in the answer.'}${cutOff}`,
    };
  }
  const target = jsonSchemaOf(schema);
  let problem: string | null = null;
  for (const candidate of [...values].reverse().map((v) => unwrapped(v, target))) {
    const coerced = target ? coerceToSchema(candidate, target) : { value: candidate, issues: [] };
    const checked = schema.safeParse(coerced.value);
    const issues = [
      ...coerced.issues,
      ...(checked.success ? [] : formatIssues(checked.error.issues).split('\n')),
    ];
    if (checked.success && issues.length === 0) {
      const extra = check?.(checked.data) ?? null;
      if (extra === null) return { ok: true, value: checked.data };
      problem ??= extra;
      continue;
    }
    problem ??= `The JSON does not match the required format:\n${issues.join('\n')}`;
  }
  return { ok: false, problem: problem ?? 'No usable JSON was found in the answer.' };
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
  options: ChatOptions & { schema: z.ZodType<T>; check?: ReplyCheck<T> },
): Promise<ChatJsonResult<T>> {
  const { schema, check, ...chatOptions } = options;
  const calls: LlmCallMetrics[] = [];

  const first = await chat(chatOptions);
  calls.push(first.metrics);
  const firstCheck = checkJsonReply(first, schema, check);
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
  const secondCheck = checkJsonReply(second, schema, check);
  if (secondCheck.ok) return { value: secondCheck.value, calls, text: second.text };

  throw new LlmJsonOutputError(
    `The model's ${options.stage} answer was unusable even after a re-ask. ${secondCheck.problem}`,
    second.text,
    calls,
  );
}
