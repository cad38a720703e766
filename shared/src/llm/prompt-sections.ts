/**
 * A user message is a list of named inputs (docs/llm-stages.md): the request, the tools, the
 * errors, the current document. Written as `## Heading` sections, or as paragraphs that start
 * with `Label:`, so that a model, a person reading a log and the simulator find the same parts.
 */

export type PromptSections = Record<string, string | null | undefined>;

/** `{Request: 'a notes app', Errors: null}` → "## Request\na notes app"; empty parts are left out. */
export function formatSections(sections: PromptSections): string {
  return Object.entries(sections)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')
    .map(([heading, body]) => `## ${heading}\n${body.trim()}`)
    .join('\n\n');
}

const MD_HEADING = /^##[ \t]+(.+?)[ \t]*$/;
/** "Request: text" or "Existing tools:" at the start of a paragraph. */
const LABEL = /^([A-Z][A-Za-z0-9 ()/_-]{0,60}?):(?:[ \t]+(.*))?$/;
const FENCE = /^[ \t]*(`{3,}|~{3,})/;

function namesMatch(title: string, wanted: readonly string[]): boolean {
  const t = title.trim().toLowerCase();
  return wanted.some((w) => t === w || t.startsWith(`${w} `));
}

interface SectionStart {
  /** Text on the heading line itself, after `Label:`. */
  inline: string;
}

function sectionStart(
  line: string,
  paragraphStart: boolean,
  wanted: readonly string[],
): SectionStart | null {
  const heading = MD_HEADING.exec(line)?.[1];
  if (heading !== undefined) return namesMatch(heading, wanted) ? { inline: '' } : null;
  const label = paragraphStart ? LABEL.exec(line) : null;
  if (label?.[1] !== undefined && namesMatch(label[1], wanted)) return { inline: label[2] ?? '' };
  return null;
}

function endsSection(line: string, paragraphStart: boolean): boolean {
  return MD_HEADING.test(line) || (paragraphStart && LABEL.test(line));
}

/** Where a section's body lies in the text: `[start, end)` character offsets. */
export interface SectionSpan {
  start: number;
  end: number;
}

/**
 * The span of the first section named `heading` (or any of several names), case-insensitive;
 * a name also matches a longer title it starts ("Errors" matches "Errors reported by the
 * app"). The body runs from the text after a `Label:` (or the line after a heading) to the
 * next `## ` heading or `Label:` paragraph; headings inside code fences do not count. null
 * when there is no such section.
 */
export function readSectionSpan(
  text: string,
  heading: string | readonly string[],
): SectionSpan | null {
  const wanted = (typeof heading === 'string' ? [heading] : heading).map((h) =>
    h.trim().toLowerCase(),
  );
  const lines = text.split('\n');
  let offset = 0;
  let start: number | null = null;
  let fence: string | null = null;
  for (let i = 0; i < lines.length; offset += (lines[i] as string).length + 1, i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const fenceMark = FENCE.exec(line)?.[1];
    if (fence !== null) {
      if (fenceMark && fenceMark[0] === fence[0] && fenceMark.length >= fence.length) fence = null;
      continue;
    }
    const paragraphStart = i === 0 || (lines[i - 1] ?? '').trim() === '';
    if (start !== null) {
      if (endsSection(line, paragraphStart)) return { start, end: Math.max(start, offset - 1) };
    } else {
      const found = sectionStart(line, paragraphStart, wanted);
      if (found) {
        start = found.inline
          ? offset + line.lastIndexOf(found.inline)
          : Math.min(text.length, offset + (lines[i] as string).length + 1);
        continue;
      }
    }
    if (fenceMark) fence = fenceMark;
  }
  return start === null ? null : { start, end: text.length };
}

/** The body of the first section named `heading` (see `readSectionSpan`), trimmed; null if none. */
export function readSection(text: string, heading: string | readonly string[]): string | null {
  const span = readSectionSpan(text, heading);
  return span ? text.slice(span.start, span.end).replace(/\r\n/g, '\n').trim() : null;
}

/** Wraps text in a Markdown fence longer than any fence inside it. */
export function fenced(text: string, lang = ''): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`{3,}/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}`;
}
