import type { Fault } from './scenarios';

/** Faults that change the answer text; the others (429, 500, hang, truncate) change delivery. */
export type ContentFault = Extract<Fault, 'malformed' | 'fence' | 'think'>;

export function isContentFault(fault: Fault | undefined): fault is ContentFault {
  return fault === 'malformed' || fault === 'fence' || fault === 'think';
}

function fenceLanguage(content: string): string {
  const head = content.trimStart();
  if (/^[{[]/.test(head)) return 'json';
  if (/^<(!doctype|html)/i.test(head)) return 'html';
  if (/^(import |from |#!|def )/m.test(head)) return 'python';
  return '';
}

/** Drops the last closing brace or bracket and wraps the rest in chatty prose. */
function malformed(content: string): string {
  const cut = Math.max(content.lastIndexOf('}'), content.lastIndexOf(']'));
  const broken =
    cut === -1
      ? content.slice(0, Math.floor(content.length * 0.8))
      : content.slice(0, cut) + content.slice(cut + 1);
  return `Sure! Here is the JSON you asked for:\n\n${broken.trimEnd()}\n\nI hope this helps, let me know if you want any changes.`;
}

function fenced(content: string): string {
  return `Here is the result:\n\n\`\`\`${fenceLanguage(content)}\n${content.trim()}\n\`\`\`\n\nLet me know if you need anything else.`;
}

function withThinking(content: string): string {
  const reasoning = [
    'Let me look at the request carefully.',
    'The answer has to follow the required format {exactly}, with no [extra] fields.',
    'I will check the names and the types once more, then write the answer.',
  ].join('\n');
  return `<think>\n${reasoning}\n</think>\n\n${content}`;
}

/** The answer text as a model with this kind of mess would write it. */
export function applyContentFault(content: string, fault: ContentFault): string {
  switch (fault) {
    case 'malformed':
      return malformed(content);
    case 'fence':
      return fenced(content);
    case 'think':
      return withThinking(content);
  }
}
