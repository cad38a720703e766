import { extractJson } from './parse-json';
import { findFences, stripThink, type Fence } from './parse-text';

/**
 * Tolerant parsing of model output. Real models wrap answers in fences, add prose, think
 * out loud in `<think>` blocks, leave trailing commas and get cut off; these helpers find
 * the usable part and say precisely what was wrong when there is none.
 */

export { extractJson, repairJson, type JsonExtraction } from './parse-json';
export { findFences, stripThink, type Fence } from './parse-text';

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
  const first = lines.findIndex((line) => PYTHON_START.test(line));
  return first > 0 ? lines.slice(first).join('\n') : code;
}

/**
 * Extracts source code of one language (default Python): the longest fence tagged with it,
 * else the longest untagged fence, else the raw answer without leading prose.
 */
export function extractCode(text: string, lang = 'python'): CodeExtraction {
  const cleaned = stripThink(text);
  const names = LANG_ALIASES[lang] ?? [lang];
  const fences = findFences(cleaned);
  const tagged = fences.filter((f) => names.includes(f.lang));
  const pool = tagged.length > 0 ? tagged : fences.filter((f) => f.lang === '');
  const best = pool.reduce<Fence | null>(
    (a, b) => (a === null || b.body.length > a.body.length ? b : a),
    null,
  );
  if (best) return { code: best.body.trim(), fenced: true, truncated: !best.closed };
  const raw = lang === 'python' ? trimLeadingProse(cleaned) : cleaned;
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

/**
 * Extracts one HTML document: from `<!DOCTYPE` (or `<html`) to the last `</html>`, inside a
 * fence or raw. Without a closing `</html>` it returns what there is, flagged `truncated`.
 */
export function extractHtml(text: string): HtmlExtraction {
  const cleaned = stripThink(text);
  const startsAsDocument = /^\s*(<!doctype|<html)/i.test(cleaned);
  const fromJson = startsAsDocument ? null : htmlFromJson(cleaned);
  const htmlFence =
    startsAsDocument || fromJson !== null
      ? undefined
      : findFences(cleaned).find(
          (f) => (LANG_ALIASES.html ?? []).includes(f.lang) || /<!doctype|<html/i.test(f.body),
        );
  const source = htmlFence?.body ?? fromJson ?? cleaned;

  const start = source.search(/<!doctype\s+html|<html[\s>]/i);
  if (start === -1)
    return { html: source.trim(), truncated: htmlFence ? !htmlFence.closed : false };
  const closeTag = /<\/html\s*>/gi;
  let end = -1;
  for (let m = closeTag.exec(source); m !== null; m = closeTag.exec(source)) {
    end = m.index + m[0].length;
  }
  if (end === -1) {
    const rest = source.slice(start).replace(/\n?\s*(```|~~~)\s*$/, '');
    return { html: rest.trimEnd(), truncated: true };
  }
  return { html: source.slice(start, end), truncated: false };
}
