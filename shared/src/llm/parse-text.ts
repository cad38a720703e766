/**
 * The first pass over any model answer: reasoning out, line endings normalised, code fences
 * found.
 */

const THINK_BLOCK = /<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi;
const UNCLOSED_THINK = /<(think|thinking|reasoning)>([\s\S]*)$/i;
const ORPHAN_THINK_CLOSE = /^[\s\S]*?<\/(think|thinking|reasoning)>/i;

/** gpt-oss (harmony) markup: `<|channel|>analysis<|message|>…<|end|>` and friends. */
const HARMONY_FINAL = /<\|channel\|>\s*final\s*(?:<\|constrain\|>\s*\w*\s*)?<\|message\|>/gi;
const HARMONY_TOKEN = /<\|(start|end|message|channel|return|call|constrain)\|>/i;
const HARMONY_TOKENS = /<\|(start|end|message|channel|return|call|constrain)\|>/gi;
const HARMONY_CHANNEL = /<\|channel\|>/i;
/** The same with the special tokens already dropped by the server: `analysis…assistantfinal`. */
const BARE_HARMONY = /^\s*analysis[\s\S]*?assistantfinal/;

/**
 * End-of-turn tokens of other chat templates that leak into content: ChatML (Qwen),
 * Llama 3, Gemma. The answer ends at the first one.
 */
const END_OF_TURN = /<\|(im_end|im_start|endoftext|eot_id|eom_id|end_of_text)\|>|<end_of_turn>/;
/** A ChatML turn header the server left in: `<|im_start|>assistant`. */
const TURN_HEADER = /^\s*<\|im_start\|>\s*assistant\b\s*/;
/** Mistral's end of sequence, at the very end (an `<s>` tag elsewhere is HTML). */
const TRAILING_EOS = /<\/s>\s*$/;

/** The answer without the end-of-turn tokens a chat template leaked into it. */
function withoutEndOfTurn(text: string): string {
  const cut = text.replace(TURN_HEADER, '').split(END_OF_TURN)[0] ?? '';
  return /<s[\s>]/.test(cut) ? cut : cut.replace(TRAILING_EOS, '');
}

export interface ReasoningSplit {
  /** The answer without any reasoning. */
  answer: string;
  /**
   * Reasoning that was never closed (an unclosed `<think>`, a gpt-oss analysis channel with no
   * final one). A model sometimes writes its answer inside it; only a complete document or a
   * closed code fence found there is ever taken from it.
   */
  unclosed: string;
}

/** The final channel of a gpt-oss answer, or null when there is no channel markup. */
function harmonySplit(text: string): ReasoningSplit | null {
  if (!HARMONY_TOKEN.test(text)) {
    const bare = BARE_HARMONY.exec(text);
    return bare ? { answer: text.slice(bare[0].length), unclosed: '' } : null;
  }
  // Stray end tokens without channels (`answer<|end|>`): the answer is what came first.
  if (!HARMONY_CHANNEL.test(text)) {
    return { answer: text.split(HARMONY_TOKEN)[0] ?? '', unclosed: '' };
  }
  let finalAt = -1;
  HARMONY_FINAL.lastIndex = 0;
  for (let m = HARMONY_FINAL.exec(text); m !== null; m = HARMONY_FINAL.exec(text)) {
    finalAt = m.index + m[0].length;
  }
  if (finalAt === -1) {
    // Only analysis (or commentary): reasoning that never reached its answer.
    return { answer: '', unclosed: text.replace(HARMONY_TOKENS, '\n') };
  }
  const answer = text.slice(finalAt).split(HARMONY_TOKEN)[0] ?? '';
  return { answer, unclosed: '' };
}

/**
 * Separates reasoning from the answer: gpt-oss channel markup (the final channel is the
 * answer), every closed `<think>` / `<thinking>` / `<reasoning>` block, reasoning whose
 * opening tag the chat template swallowed (`…</think>answer`), and an opening tag that is
 * never closed (the rest is reasoning). Other templates' end-of-turn tokens end the answer.
 */
export function splitReasoning(text: string): ReasoningSplit {
  let out = withoutEndOfTurn(text.replace(/^\uFEFF/, ''));
  let unclosed = '';
  const harmony = harmonySplit(out);
  if (harmony) {
    out = harmony.answer;
    unclosed = harmony.unclosed;
  }
  out = out.replace(THINK_BLOCK, '');
  const open = UNCLOSED_THINK.exec(out);
  if (open) {
    unclosed = open[2] ?? '';
    out = out.slice(0, open.index);
  }
  out = out.replace(ORPHAN_THINK_CLOSE, '');
  return { answer: out.trim(), unclosed };
}

/** The answer without its reasoning (see `splitReasoning`). */
export function stripThink(text: string): string {
  return splitReasoning(text).answer;
}

/** Windows (and old Mac) line endings as `\n`. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export interface Fence {
  lang: string;
  body: string;
  closed: boolean;
}

const FENCE_OPEN = /(^|\n)[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n/g;

/** Every Markdown code fence in the text, in order; an unclosed last fence runs to the end. */
export function findFences(text: string): Fence[] {
  const fences: Fence[] = [];
  FENCE_OPEN.lastIndex = 0;
  let open: RegExpExecArray | null;
  while ((open = FENCE_OPEN.exec(text)) !== null) {
    const marker = open[2] ?? '```';
    const bodyStart = open.index + open[0].length;
    const close = new RegExp(`\\n[ \\t]*${marker}[ \\t]*(?=\\n|$)`, 'g');
    close.lastIndex = bodyStart - 1;
    const end = close.exec(text);
    const lang = (open[3] ?? '').toLowerCase();
    if (!end) {
      fences.push({ lang, body: text.slice(bodyStart), closed: false });
      break;
    }
    fences.push({ lang, body: text.slice(bodyStart, end.index), closed: true });
    FENCE_OPEN.lastIndex = end.index + end[0].length;
  }
  return fences;
}
