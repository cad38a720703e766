import type { LlmStage } from '../contracts/run';
import { HyperdeskError } from '../errors';
import type { ChatMessage } from './client';
import type { LlmProvider } from './providers';
import { readSectionSpan } from './prompt-sections';

/**
 * Context windows. A server that gets more than its context holds does not refuse: Ollama and
 * llama.cpp cut the prompt from the top, system message first, and the model answers without
 * its rules. So before a call is sent, the prompt plus the answer it needs must fit; when they
 * do not, the parts of the prompt that can be shortened without losing the task are shortened,
 * and otherwise the call fails with a message that says what to change.
 */

/**
 * Context lengths of the presets' models and other common ones, from the providers' model
 * pages (a name matches the first entry it contains). Hosted providers refuse an oversize
 * request with a 400, so an unknown hosted model is not checked.
 */
const MODEL_CONTEXT: readonly [pattern: RegExp, tokens: number][] = [
  [/gpt-oss/i, 131_072],
  [/gpt-4\.1/i, 1_047_576],
  [/gpt-4o|o1-mini/i, 128_000],
  [/gpt-5/i, 400_000],
  [/\bo[34]\b|\bo[34]-/i, 200_000],
  [/llama-?3\.[123]|llama-4/i, 131_072],
  [/qwen2\.5-coder|qwen2\.5/i, 32_768],
  [/qwen-?3/i, 40_960],
  [/deepseek/i, 65_536],
];

/**
 * What a local server gives a model unless it is started with more: Ollama's default
 * `num_ctx` (raised with `OLLAMA_CONTEXT_LENGTH`), llama-server's default `--ctx-size`.
 * vLLM serves the model's own length; the simulator has no limit unless told one.
 */
const SERVER_CONTEXT: Partial<Record<LlmProvider, number>> = {
  ollama: 4096,
  llamacpp: 4096,
};

/** How to give the model more room, per provider; said when a prompt does not fit. */
const MORE_ROOM: Partial<Record<LlmProvider, string>> = {
  ollama:
    'Start Ollama with a larger context (OLLAMA_CONTEXT_LENGTH=32768, as docker-compose.yml does) and set LLM_CONTEXT_TOKENS to the same number.',
  llamacpp:
    'Start llama-server with a larger context (--ctx-size 32768, as the compose llamacpp profile does) and set LLM_CONTEXT_TOKENS to the same number.',
  vllm: 'Start vLLM with a larger --max-model-len and set LLM_CONTEXT_TOKENS to the same number.',
};

/**
 * The context length to plan with: LLM_CONTEXT_TOKENS when set, else what the server gives
 * (local servers), else the model's known length; null when unknown (nothing is checked).
 */
export function contextTokensFor(
  provider: LlmProvider,
  model: string,
  setting: number | undefined,
): number | null {
  if (setting !== undefined) return setting;
  const server = SERVER_CONTEXT[provider];
  if (server !== undefined) return server;
  if (provider === 'sim') return null;
  return MODEL_CONTEXT.find(([pattern]) => pattern.test(model))?.[1] ?? null;
}

/**
 * Characters a token, counted low: BPE tokenizers average about 4 on English and 3–3.5 on
 * HTML and code, and an estimate that errs high only leaves the answer more room.
 */
const CHARS_PER_TOKEN = 3;
/** Role markers and the chat template's tokens around each message. */
const TOKENS_PER_MESSAGE = 8;

export function promptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce(
    (sum, m) => sum + Math.ceil(m.content.length / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE,
    0,
  );
}

/** A typical answer's length per stage, the room kept for it when no output cap is set. */
const ANSWER_TOKENS: Record<LlmStage, number> = {
  classify: 512,
  plan_tools: 2048,
  tool_write: 1536,
  tool_repair: 1536,
  app_generate: 2048,
  app_repair: 2048,
  diagnose: 512,
  content: 1536,
  app_ask: 1024,
};

/** Sections the answer rewrites whole: it needs at least their length again. */
const REWRITTEN = ['Current document', 'Current code', 'Code'];

/**
 * Sections that can be shortened without losing the task, in the order they are given up,
 * per stage: a diagnosis needs the errors more than the whole document and tool code; the
 * planner and classifier can see a long list's head.
 */
const SHRINKABLE: Partial<Record<LlmStage, readonly string[]>> = {
  classify: ['Open windows', 'Existing tools'],
  plan_tools: ['Existing tools'],
  app_generate: ['Open windows'],
  diagnose: ['App', 'Current document', 'Tools'],
};

export interface ContextRequest {
  stage: LlmStage;
  messages: ChatMessage[];
  /** The context length; null = unknown, nothing is checked. */
  contextTokens: number | null;
  /** The output cap the call sets, if any. */
  maxTokens?: number;
  provider: LlmProvider;
  model: string;
}

export interface FittedPrompt {
  messages: ChatMessage[];
  /** The cap to send: the call's own, lowered to the room the prompt leaves. */
  maxTokens?: number;
  /** What was shortened, e.g. `App (12,345 → 2,000 characters)`; empty when nothing was. */
  shrunk: string[];
}

/** The prompt plus the answer it needs do not fit the model's context, even shortened. */
export class ContextWindowError extends HyperdeskError {
  constructor(message: string) {
    super('CONTEXT_TOO_SMALL', message, 413, false);
  }
}

/** The room the answer needs: the cap when set, else the stage's typical answer, or more for a rewrite. */
export function answerTokens(stage: LlmStage, messages: readonly ChatMessage[]): number {
  const first = messages.find((m) => m.role === 'user')?.content ?? '';
  const rewritten = REWRITTEN.map((name) => readSectionSpan(first, name))
    .filter((span) => span !== null)
    .reduce((sum, span) => sum + Math.ceil(((span.end - span.start) * 1.1) / CHARS_PER_TOKEN), 0);
  return Math.max(ANSWER_TOKENS[stage], rewritten);
}

const MARKER = (lines: number) =>
  `… (${lines} line${lines === 1 ? '' : 's'} left out to fit the model's context window) …`;

/** The text cut to about `keep` characters by leaving out whole lines from its middle. */
export function elideMiddle(text: string, keep: number): string {
  if (text.length <= keep) return text;
  const lines = text.split('\n');
  const head: string[] = [];
  const tail: string[] = [];
  let used = 0;
  let i = 0;
  let j = lines.length - 1;
  // Two thirds from the start (imports, markup structure), one third from the end.
  while (i <= j) {
    const takeHead = used < (keep * 2) / 3 || tail.length * 2 >= head.length;
    const line = (takeHead ? lines[i] : lines[j]) ?? '';
    if (used + line.length + 1 > keep) break;
    used += line.length + 1;
    if (takeHead) head.push(lines[i++] ?? '');
    else tail.unshift(lines[j--] ?? '');
  }
  const left = j - i + 1;
  return left > 0 ? [...head, MARKER(left), ...tail].join('\n') : text;
}

const FENCE_BLOCK = /^(`{3,}|~{3,})([^\n]*)\n([\s\S]*?)\n\1[ \t]*$/gm;
/** A fence's code is cut to no less than this, so the reader still sees what it was. */
const MIN_CODE_CHARS = 120;

/**
 * A section cut to about `keep` characters: inside its code fences first, the largest first
 * (so fences and the headings between them stay), then from its middle.
 */
function shrinkBody(body: string, keep: number): string {
  let excess = body.length - keep;
  const blocks = [...body.matchAll(FENCE_BLOCK)];
  const keepOf = new Map<number, number>();
  for (const block of [...blocks].sort((a, b) => (b[3] ?? '').length - (a[3] ?? '').length)) {
    const inner = block[3] ?? '';
    const cut = Math.min(excess, inner.length - MIN_CODE_CHARS);
    if (cut <= 0) break;
    keepOf.set(block.index, inner.length - cut);
    excess -= cut;
  }
  const text = body.replace(
    FENCE_BLOCK,
    (whole, fence: string, info: string, inner: string, offset: number) => {
      const innerKeep = keepOf.get(offset);
      return innerKeep === undefined
        ? whole
        : `${fence}${info}\n${elideMiddle(inner, innerKeep)}\n${fence}`;
    },
  );
  return text.length > keep ? elideMiddle(text, keep) : text;
}

/** Smallest a shortened section gets: enough to say what it was. */
const MIN_SECTION_CHARS = 400;

function replaceContent(messages: ChatMessage[], index: number, content: string): ChatMessage[] {
  return messages.map((m, i) => (i === index ? { ...m, content } : m));
}

/**
 * The messages to send for a call: as they are when they fit, else with the stage's
 * shortenable sections and earlier answers (a re-ask's history) cut from their middle.
 * Throws ContextWindowError when even that leaves no room for the answer.
 */
export function fitToContext(request: ContextRequest): FittedPrompt {
  const { stage, contextTokens } = request;
  let messages = request.messages;
  if (contextTokens === null) {
    return { messages, ...capped(request.maxTokens, undefined), shrunk: [] };
  }
  // Room for the answer: its typical length, or the cap when that is lower (a larger cap is
  // lowered to the room left below).
  const reserve = Math.min(request.maxTokens ?? Infinity, answerTokens(stage, messages));
  const budget = contextTokens - reserve;
  const shrunk: string[] = [];
  const over = () => promptTokens(messages) - budget;
  // The characters to cut, with room for the note that says what was left out.
  const excessChars = () => over() * CHARS_PER_TOKEN + 2 * MARKER(0).length;

  // Earlier answers in a re-ask: the last user message says what was wrong with them.
  for (let i = 0; i < messages.length && over() > 0; i++) {
    const message = messages[i] as ChatMessage;
    if (message.role !== 'assistant') continue;
    const keep = Math.max(MIN_SECTION_CHARS, message.content.length - excessChars());
    const cut = elideMiddle(message.content, keep);
    if (cut.length >= message.content.length) continue;
    shrunk.push(`earlier answer (${message.content.length} → ${cut.length} characters)`);
    messages = replaceContent(messages, i, cut);
  }
  const userIndex = messages.findIndex((m) => m.role === 'user');
  for (const name of SHRINKABLE[stage] ?? []) {
    if (over() <= 0 || userIndex < 0) break;
    const text = (messages[userIndex] as ChatMessage).content;
    const span = readSectionSpan(text, name);
    if (!span) continue;
    const body = text.slice(span.start, span.end);
    const keep = Math.max(MIN_SECTION_CHARS, body.length - excessChars());
    const cut = shrinkBody(body, keep);
    if (cut.length >= body.length) continue;
    shrunk.push(`${name} (${body.length} → ${cut.length} characters)`);
    messages = replaceContent(
      messages,
      userIndex,
      text.slice(0, span.start) + cut + text.slice(span.end),
    );
  }
  const prompt = promptTokens(messages);
  if (prompt + reserve > contextTokens) {
    throw new ContextWindowError(tooLarge(request, prompt, reserve));
  }
  return { messages, ...capped(request.maxTokens, contextTokens - prompt), shrunk };
}

function capped(maxTokens: number | undefined, room: number | undefined): { maxTokens?: number } {
  if (maxTokens === undefined) return {};
  return { maxTokens: room === undefined ? maxTokens : Math.min(maxTokens, room) };
}

function tooLarge(request: ContextRequest, prompt: number, answer: number): string {
  const what = request.stage.startsWith('app_')
    ? 'the app is too large for it'
    : 'the request is too large for it';
  const more = MORE_ROOM[request.provider] ?? 'Use a model with a larger context window.';
  return (
    `The ${request.stage} prompt needs about ${prompt.toLocaleString('en')} tokens plus ` +
    `${answer.toLocaleString('en')} for the answer, but ${request.model} on ${request.provider} ` +
    `has a context window of ${(request.contextTokens ?? 0).toLocaleString('en')} tokens: ${what}. ${more}`
  );
}
