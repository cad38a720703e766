import { extractJson } from './parse-json';
import { findFences, normalizeNewlines, splitReasoning } from './parse-text';

/**
 * Tolerant parsing of model output. Real models wrap answers in fences, add prose, think
 * out loud in `<think>` blocks, leave trailing commas and get cut off; these helpers find
 * the usable part and say precisely what was wrong when there is none.
 */

export { extractJson, extractJsonCandidates, repairJson, type JsonExtraction } from './parse-json';
export {
  findFences,
  normalizeNewlines,
  splitReasoning,
  stripThink,
  type Fence,
  type ReasoningSplit,
} from './parse-text';

export interface CodeExtraction {
  code: string;
  /** The code came from a Markdown fence. */
  fenced: boolean;
  /** The fence was never closed: the answer was probably cut off. */
  truncated: boolean;
}

export interface HtmlExtraction {
  html: string;
  /** The document has no closing `</html>`: the answer was probably cut off. */
  truncated: boolean;
}

const LANG_ALIASES: Record<string, string[]> = {
  python: ['python', 'py', 'python3'],
  html: ['html', 'htm', 'xhtml'],
  json: ['json', 'jsonc'],
};

const PYTHON_START = /^(#!|#|import |from |def |class |@|"""|'''|[A-Za-z_][\w.]*\s*=)/;

/** Drops prose lines before the first line that looks like Python. */
function trimLeadingProse(code: string): string {
  const lines = code.split('\n');
  const first = lines.findIndex((line) => PYTHON_START.test(line) && !/^#{1,6} \S/.test(line));
  return first > 0 ? lines.slice(first).join('\n') : code;
}

/** A line of prose or Markdown, not Python: a sentence, a heading, a list item, bold text. */
const PROSE_LINE =
  /^(#{1,6} \S.*|[-*] \S.*|\*\*.*|\d+\. [A-Z].*|[A-Z][a-z'’]*(,? [\w'’(),:`-]+){2,}[.!:?)]?)$/;
const PYTHON_WORD =
  /^(import|from|def|class|if|elif|else|for|while|with|try|except|finally|return|raise|print|assert|pass|break|continue|global|async|await|lambda|yield|True|False|None)\b/;

/**
 * Drops Markdown headings and sentences after the code (`This tool reads…`, `## Usage`): a
 * trailing run of unindented lines that read as prose, after the last line of code.
 */
function trimTrailingProse(code: string): string {
  const lines = code.split('\n');
  let end = lines.length;
  while (end > 0) {
    const line = lines[end - 1] ?? '';
    if (line.trim() === '' || line.trim() === '```') {
      end -= 1;
      continue;
    }
    if (/^\s/.test(line) || PYTHON_WORD.test(line) || !PROSE_LINE.test(line)) break;
    end -= 1;
  }
  return lines.slice(0, end).join('\n');
}

/**
 * Extracts source code of one language (default Python): the longest fence tagged with it,
 * else the longest untagged fence, else the raw answer without leading and trailing prose.
 * Reasoning is removed first; when the answer is inside reasoning that was never closed, a
 * closed fence there is taken. Line endings become `\n`.
 */
export function extractCode(text: string, lang = 'python'): CodeExtraction {
  const { answer, unclosed } = splitReasoning(normalizeNewlines(text));
  const names = LANG_ALIASES[lang] ?? [lang];
  const fromFences = (source: string, closedOnly: boolean): CodeExtraction | null => {
    const fences = findFences(source).filter((f) => !closedOnly || (f.closed && f.body.trim()));
    const tagged = fences.filter((f) => names.includes(f.lang));
    const pool = tagged.length > 0 ? tagged : fences.filter((f) => f.lang === '');
    // Of fences about as long as the longest, the last: a file written twice is corrected the
    // second time, while a short usage snippet is not the file.
    const longest = Math.max(0, ...pool.map((f) => f.body.trim().length));
    const best = pool.filter((f) => f.body.trim().length >= longest / 2).at(-1) ?? null;
    return best ? { code: best.body.trim(), fenced: true, truncated: !best.closed } : null;
  };
  const fenced = fromFences(answer, false);
  if (fenced) return fenced;
  if (answer === '' && unclosed) {
    return fromFences(unclosed, true) ?? { code: '', fenced: false, truncated: false };
  }
  const raw = lang === 'python' ? trimTrailingProse(trimLeadingProse(answer)) : answer;
  return { code: raw.trim(), fenced: false, truncated: false };
}

/**
 * An HTML document delivered as JSON: a string field (`{"html": "<!DOCTYPE html>…"}`, fenced
 * or after prose) or the whole answer as one JSON string. Only when the document starts right
 * after a quote, so a raw document with JSON in its scripts stays raw.
 */
function htmlFromJson(text: string): string | null {
  const start = text.search(/<!doctype|<html/i);
  if (start < 1 || text[start - 1] !== '"') return null;
  let value: unknown = null;
  if (/^\s*"/.test(text)) {
    try {
      value = JSON.parse(text.trim());
    } catch {
      // not one JSON string; look for an object below
    }
  }
  if (typeof value !== 'string') {
    const parsed = extractJson(text);
    value = parsed.ok ? parsed.value : null;
  }
  if (typeof value === 'string') return /<html|<!doctype/i.test(value) ? value : null;
  if (value === null || typeof value !== 'object') return null;
  for (const field of Object.values(value)) {
    if (typeof field === 'string' && /<html|<!doctype/i.test(field)) return field;
  }
  return null;
}

const DOC_START = /<!doctype\s+html|<html[\s>]/gi;
const DOC_END = /<\/html\s*>/gi;

interface DocumentSpan {
  html: string;
  complete: boolean;
}

/**
 * The documents in a text, in order: each from a `<!DOCTYPE html>` (or an `<html>` not right
 * after one) to the last `</html>` before the next start. A start with no `</html>` before the
 * next one is a mention (in prose or reasoning) or a cut-off document: incomplete.
 */
function documentSpans(source: string): DocumentSpan[] {
  const starts: number[] = [];
  DOC_START.lastIndex = 0;
  for (let m = DOC_START.exec(source); m !== null; m = DOC_START.exec(source)) {
    // A doctype inside a string or an expression (`'<html>'`, `= "<!DOCTYPE html>"`) is not one.
    if (m.index > 0 && /["'`=+(\\]/.test(source[m.index - 1] ?? '')) continue;
    const previous = starts.at(-1);
    // `<!DOCTYPE html>\n<html>` is one start.
    if (previous !== undefined && /^<!doctype[^>]*>\s*$/i.test(source.slice(previous, m.index))) {
      continue;
    }
    starts.push(m.index);
  }
  return starts.map((start, i) => {
    const limit = starts[i + 1] ?? source.length;
    const part = source.slice(start, limit);
    let end = -1;
    DOC_END.lastIndex = 0;
    for (let m = DOC_END.exec(part); m !== null; m = DOC_END.exec(part)) {
      end = m.index + m[0].length;
    }
    if (end !== -1) return { html: part.slice(0, end), complete: true };
    // A fence that closes around the document ends it; prose may follow the fence.
    const fenceEnd = /\n[ \t]*(```|~~~)[ \t]*(\n|$)/.exec(part);
    const rest = fenceEnd ? part.slice(0, fenceEnd.index) : part;
    return { html: rest.trimEnd(), complete: false };
  });
}

/**
 * Extracts one HTML document: from `<!DOCTYPE` (or `<html`) to its `</html>`, inside a fence
 * or raw, after reasoning is removed. A document written twice gives the last complete one;
 * a mention of a doctype in prose is not a document. Line endings become `\n`. Without a closing `</html>` it returns
 * the last started document, flagged `truncated`.
 */
export function extractHtml(text: string): HtmlExtraction {
  const { answer: cleaned, unclosed } = splitReasoning(normalizeNewlines(text));
  const startsAsDocument = /^\s*(<!doctype|<html)/i.test(cleaned);
  const fromJson = startsAsDocument ? null : htmlFromJson(cleaned);
  const source = fromJson ?? cleaned;
  const spans = documentSpans(source);
  const complete = spans.filter((s) => s.complete).at(-1);
  if (complete) return { html: complete.html, truncated: false };
  // Reasoning that was never closed may hold the whole document; only a complete one counts.
  const inReasoning = documentSpans(unclosed)
    .filter((s) => s.complete)
    .at(-1);
  if (inReasoning) return { html: inReasoning.html, truncated: false };
  const started = spans.at(-1);
  if (started) return { html: started.html, truncated: true };
  const fence = findFences(source).find((f) => (LANG_ALIASES.html ?? []).includes(f.lang));
  if (fence) return { html: fence.body.trim(), truncated: !fence.closed };
  return { html: source.trim(), truncated: false };
}

const BODY_OPEN = /<body[\s>]/i;

/**
 * A document the model ended on its own (`finish_reason: stop`) that lacks only its closing
 * tags: outside any script, style or comment and ending on a tag, it gets `</body></html>`.
 * Null when the end looks cut (mid-tag, inside a script) and the document must be asked again.
 */
export function closeDocument(html: string): string | null {
  const text = html.trimEnd();
  if (!/>$/.test(text) || !BODY_OPEN.test(text)) return null;
  const opens = (re: RegExp) => (text.match(re) ?? []).length;
  if (opens(/<script[\s>]/gi) !== opens(/<\/script\s*>/gi)) return null;
  if (opens(/<style[\s>]/gi) !== opens(/<\/style\s*>/gi)) return null;
  if (text.lastIndexOf('<!--') > text.lastIndexOf('-->')) return null;
  const body = /<\/body\s*>/i.test(text) ? '' : '\n</body>';
  return `${text}${body}\n</html>`;
}
