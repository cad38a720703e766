import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Word pieces the way a BPE tokenizer cuts text: a word with its leading space, a number of
 * up to three digits, a run of punctuation, a run of whitespace. Words longer than a common
 * word are cut further. On English that averages about four characters a token, on HTML and
 * code a little less, as real tokenizers do.
 */
const PIECE = /'(?:s|t|re|ve|m|ll|d)\b| ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const WHOLE_WORD_MAX = 8;
const WORD_PART = 5;

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const [piece] of text.matchAll(PIECE)) {
    if (piece.length <= WHOLE_WORD_MAX || piece.trim() === '') {
      tokens.push(piece);
      continue;
    }
    for (let i = 0; i < piece.length; i += WORD_PART) tokens.push(piece.slice(i, i + WORD_PART));
  }
  return tokens;
}

export interface Pace {
  /** Delay before the first token, ms. */
  ttftMs: number;
  tokensPerS: number;
}

/** How often a streaming answer emits a chunk with every token that is due by then. */
export const TICK_MS = 15;

/** Resolves after `ms`, or early (to false) when the signal aborts. */
export async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(Math.max(0, ms), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Yields the tokens in batches on a steady tick: the first token TTFT after `startedAt`, then
 * as many as the rate allows for the wall time elapsed, so the achieved rate stays accurate
 * however late the timers fire. Stops early when the signal aborts.
 */
export async function* pacedBatches(
  tokens: readonly string[],
  pace: Pace,
  startedAt: number,
  signal: AbortSignal,
): AsyncGenerator<string[]> {
  if (tokens.length === 0) return;
  const firstAt = startedAt + pace.ttftMs;
  if (!(await wait(firstAt - performance.now(), signal))) return;
  let emitted = 0;
  while (emitted < tokens.length) {
    const elapsedS = (performance.now() - firstAt) / 1000;
    const due = Math.min(tokens.length, 1 + Math.floor(elapsedS * pace.tokensPerS));
    if (due > emitted) {
      yield tokens.slice(emitted, due);
      emitted = due;
    }
    if (emitted < tokens.length && !(await wait(TICK_MS, signal))) return;
  }
}

/** Total time a non-streaming answer of `count` tokens takes, ms. */
export function answerDurationMs(count: number, pace: Pace): number {
  return pace.ttftMs + (Math.max(0, count - 1) / pace.tokensPerS) * 1000;
}
