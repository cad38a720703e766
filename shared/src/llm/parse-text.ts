/**
 * The first pass over any model answer: reasoning blocks out, code fences found.
 */

const THINK_BLOCK = /<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi;
const UNCLOSED_THINK = /^\s*<(think|thinking|reasoning)>[\s\S]*$/i;
const ORPHAN_THINK_CLOSE = /^[\s\S]*?<\/(think|thinking|reasoning)>/i;

/**
 * Removes reasoning blocks: every closed `<think>…</think>`, a leading `<think>` that is
 * never closed (the whole rest is reasoning), and reasoning whose opening tag the chat
 * template swallowed (`…</think>answer`).
 */
export function stripThink(text: string): string {
  let out = text.replace(THINK_BLOCK, '');
  if (UNCLOSED_THINK.test(out)) return '';
  out = out.replace(ORPHAN_THINK_CLOSE, '');
  return out.trim();
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
