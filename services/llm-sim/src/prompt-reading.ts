import { readSection } from '@hyperdesk/shared';

/** What the fallback answers need to know about a request, read from its prompt sections. */

const TOOL_SECTIONS = [
  'Tools',
  'Existing tools',
  'Available tools',
  'Tools to use',
  'Tool library',
];

/** The person's request: the `Request` section, else the whole user message. */
export function requestText(user: string): string {
  return (readSection(user, ['Request', 'User request', 'Prompt']) ?? user).trim();
}

/**
 * A line that names a tool: a list item (`- name: …`, `1. name(…)`, `### name`) or an
 * unindented `name: …`. Indented detail lines (`  args: {…}`) are not tool names.
 */
const TOOL_LINE = /^(?:\s*(?:[-*]|\d+\.)\s+|#{3,}\s+)?`?([a-z][a-z0-9_]*)`?\s*(?:[:(—-]|$)/;

/** Tool names listed one per line in a tools section. */
export function listedTools(user: string): string[] {
  const section = readSection(user, TOOL_SECTIONS);
  if (!section) return [];
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const name = TOOL_LINE.exec(line)?.[1];
    if (name && name !== 'none') names.add(name);
  }
  return [...names];
}

/** Listed tools whose name, or a distinctive part of it, the request mentions. */
export function toolsMentioned(request: string, tools: readonly string[]): string[] {
  const text = request.toLowerCase();
  return tools.filter(
    (name) =>
      text.includes(name) ||
      text.includes(name.replace(/_/g, ' ')) ||
      name.split('_').some((part) => part.length >= 4 && text.includes(part)),
  );
}

const HOST_WORDS =
  /\b(cpu|processor|memory|ram|disk|storage|battery|temperature|uptime|load average|process(es)?|host|system info|hardware|network interfaces?|files? in|folder|directory)\b/i;

/** Whether serving the request needs access to the host (the kind of thing a tool does). */
export function needsHostAccess(request: string): boolean {
  return HOST_WORDS.test(request);
}

const FILLER = new Set(
  (
    'a an the that which who shows show showing display displays me my i we you please can could ' +
    'would make create build write generate give want need like for with of to in on and or is are ' +
    'it this app application tool widget simple small little nice new some'
  ).split(' '),
);

/** A short window title from the request: its few meaningful words, title-cased. */
export function titleFrom(request: string): string {
  const firstLine = request.trim().split('\n')[0] ?? '';
  const words = firstLine
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .split(/\s+/)
    .filter((w) => w !== '' && !FILLER.has(w.toLowerCase()));
  const title = words
    .slice(0, 4)
    .map((w) => (w === w.toUpperCase() ? w : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join(' ');
  return title || 'Untitled';
}

/** The title of an HTML document, if it has one. */
export function documentTitle(html: string): string | null {
  return /<title>([^<]{1,80})<\/title>/i.exec(html)?.[1]?.trim() ?? null;
}

const CONTENT_TYPES: Array<[RegExp, string]> = [
  [/\bcsv\b|spreadsheet/i, 'text/csv'],
  [/\bjson\b/i, 'application/json'],
  [/\bsvg\b/i, 'image/svg+xml'],
  [/\bhtml\b|web ?page|landing page/i, 'text/html'],
  [/\bplain text\b|\.txt\b/i, 'text/plain'],
];

/** The MIME type a text names (csv, json, html, …), or null. */
export function namedContentType(text: string): string | null {
  return CONTENT_TYPES.find(([re]) => re.test(text))?.[1] ?? null;
}

/** The content type asked for: named in the request, else in the system prompt, else Markdown. */
export function contentTypeFor(request: string, system = ''): string {
  return namedContentType(request) ?? namedContentType(system) ?? 'text/markdown';
}
