import { findFences, stripThink } from './parse-text';

/**
 * Finding the JSON value in a model's answer, tolerating fences, prose, trailing commas,
 * comments and typographic quotes, and saying precisely what was wrong when there is none.
 */

export type JsonExtraction = { ok: true; value: unknown } | { ok: false; error: string };

const UNCLOSED = -1;
const MISMATCHED = -2;

/**
 * Finds the index of the bracket closing the one at `start`, skipping strings; UNCLOSED when
 * the text ends first, MISMATCHED when a different bracket closes it.
 */
function matchingBracket(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return MISMATCHED;
      if (stack.length === 0) return i;
    }
  }
  return UNCLOSED;
}

/**
 * Rewrites near-JSON into JSON outside of strings: drops line and block comments and
 * trailing commas. With `smartQuotes`, typographic double quotes become straight ones first.
 */
export function repairJson(text: string, smartQuotes = false): string {
  const src = smartQuotes ? text.replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"') : text;
  let out = '';
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\' && i + 1 < src.length) out += src[++i];
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else if (ch === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end === -1 ? src.length : end + 1;
    } else if (ch === ',') {
      const rest = src.slice(i + 1).match(/^(\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/);
      const next = src[i + 1 + (rest?.[0].length ?? 0)];
      if (next !== '}' && next !== ']') out += ch;
    } else {
      out += ch;
    }
  }
  return out;
}

type ParseAttempt = { ok: true; value: unknown } | { ok: false; error: string };

function tryParse(candidate: string): ParseAttempt {
  try {
    return { ok: true, value: JSON.parse(candidate) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Rewrites a Python literal into JSON outside of double-quoted strings: single-quoted strings
 * become double-quoted ones, `True` / `False` / `None` become `true` / `false` / `null`.
 */
export function pythonToJson(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"' || ch === "'") {
      let body = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== ch; j++) {
        const c = text[j] as string;
        if (c === '\\' && j + 1 < text.length) {
          const next = text[++j] as string;
          body += next === "'" ? "'" : c + next;
        } else body += c === '"' ? '\\"' : c;
      }
      out += ch === '"' ? text.slice(i, j + 1) : `"${body}"`;
      i = j;
      continue;
    }
    const word = /^(True|False|None)\b/.exec(text.slice(i, i + 6));
    if (word?.[1] && !/[\w$]/.test(text[i - 1] ?? '')) {
      out += { True: 'true', False: 'false', None: 'null' }[word[1]];
      i += word[1].length - 1;
    } else out += ch;
  }
  return out;
}

/**
 * Parses as JSON, then as repaired JSON (trailing commas and comments, typographic quotes,
 * a Python literal); the error reported is the one of the plain parse.
 */
function parseCandidate(candidate: string): ParseAttempt {
  const plain = tryParse(candidate);
  if (plain.ok) return plain;
  const repaired = tryParse(repairJson(candidate));
  if (repaired.ok) return repaired;
  const requoted = tryParse(repairJson(candidate, true));
  if (requoted.ok) return requoted;
  if (!/'|\b(True|False|None)\b/.test(candidate)) return plain;
  const python = tryParse(repairJson(pythonToJson(candidate)));
  return python.ok ? python : plain;
}

const HTML_ENTITIES: Record<string, string> = {
  '&quot;': '"',
  '&#34;': '"',
  '&#39;': "'",
  '&apos;': "'",
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
};

/** JSON shown as HTML (`<pre>{&quot;a&quot;: 1}</pre>`), with its entities decoded. */
function decodeHtmlEntities(text: string): string {
  return text.replace(
    /&(quot|#34|#39|apos|lt|gt|amp);/g,
    (entity) => HTML_ENTITIES[entity] ?? entity,
  );
}

function preview(text: string, at: number): string {
  const snippet = text.slice(at, at + 40).replace(/\s+/g, ' ');
  return at + 40 < text.length ? `${snippet}…` : snippet;
}

/** JSON-looking openings: `{"`, `{}`, `[{`, `["`, `[1`, … rather than prose like `[see below`. */
const JSON_OPENING = /^[{[]\s*["{[\]}\d-]/;

/**
 * Top-level bracket-balanced spans that could be the JSON value, in order. A span that fails
 * to parse is skipped whole (never searched for smaller values inside). A JSON-looking span
 * that is never closed ends the search, since everything after it is inside it.
 */
function* bracketCandidates(
  text: string,
): Generator<ParseAttempt & { unclosedAt?: number; at?: number }> {
  let searchFrom = 0;
  for (let tries = 0; tries < 50; tries++) {
    const offset = text.slice(searchFrom).search(/[{[]/);
    if (offset === -1) return;
    const at = searchFrom + offset;
    const end = matchingBracket(text, at);
    if (end >= 0) {
      yield { ...parseCandidate(text.slice(at, end + 1)), at };
      searchFrom = end + 1;
    } else if (end === UNCLOSED && JSON_OPENING.test(text.slice(at, at + 20))) {
      yield { ok: false, error: 'unclosed', unclosedAt: at };
      return;
    } else {
      searchFrom = at + 1;
    }
  }
}

/**
 * Finds the one JSON object or array in a model's answer: inside a code fence, as the whole
 * answer, or as the first bracket-balanced span that parses, after think blocks are removed.
 * Tolerates trailing commas, comments, typographic quotes, Python literals and JSON shown as
 * HTML (`&quot;`). On failure the error says what
 * was wrong, in words fit to send back to the model.
 */
export function extractJson(text: string): JsonExtraction {
  const cleaned = stripThink(text.replace(/^\uFEFF/, ''));
  if (cleaned === '') return { ok: false, error: 'The answer is empty (no JSON at all).' };
  const found = findJson(cleaned);
  if (found.ok || !/&(quot|#34);/.test(cleaned)) return found;
  const decoded = findJson(decodeHtmlEntities(cleaned));
  return decoded.ok ? decoded : found;
}

/**
 * Every JSON object or array the answer holds, in the order written (fenced or not, after
 * reasoning is removed); a stage tries each against its schema. `error` says why there is none;
 * `cut` that the last JSON in the answer is never closed, so the complete ones before it are
 * drafts of an answer that was cut off.
 */
export function extractJsonCandidates(text: string): {
  values: unknown[];
  error: string | null;
  cut: string | null;
} {
  const cleaned = stripThink(text.replace(/^\uFEFF/, ''));
  if (cleaned === '') {
    return { values: [], error: 'The answer is empty (no JSON at all).', cut: null };
  }
  let found = collectJson(cleaned);
  if (found.values.length === 0 && /&(quot|#34);/.test(cleaned)) {
    const decoded = collectJson(decodeHtmlEntities(cleaned));
    if (decoded.values.length > 0) found = decoded;
  }
  if (found.values.length > 0) return { values: found.values, error: null, cut: found.cut };
  const first = findJson(cleaned);
  return { values: [], error: first.ok ? null : first.error, cut: found.cut };
}

function collectJson(cleaned: string): { values: unknown[]; cut: string | null } {
  const seen = new Map<string, { at: number; value: unknown }>();
  const add = (at: number, value: unknown) => {
    if (value === null || typeof value !== 'object') return;
    let key: string;
    try {
      key = JSON.stringify(value);
    } catch {
      key = `#${at}`; // nested too deep to write out: kept as its own candidate
    }
    const known = seen.get(key);
    if (!known || known.at > at) seen.set(key, { at, value });
  };
  for (const fence of findFences(cleaned)) {
    if (!/^\s*[{[]/.test(fence.body)) continue;
    const attempt = parseCandidate(fence.body.trim());
    if (attempt.ok) add(cleaned.indexOf(fence.body), attempt.value);
  }
  const whole = parseCandidate(cleaned);
  if (whole.ok && typeof whole.value === 'string' && /^\s*[{[]/.test(whole.value)) {
    const inner = parseCandidate(whole.value);
    if (inner.ok) add(0, inner.value);
  } else if (whole.ok) add(0, whole.value);
  let unclosedAt: number | null = null;
  for (const attempt of bracketCandidates(cleaned)) {
    if (attempt.ok && attempt.at !== undefined) add(attempt.at, attempt.value);
    if (attempt.unclosedAt !== undefined) unclosedAt = attempt.unclosedAt;
  }
  const ordered = [...seen.values()].sort((a, b) => a.at - b.at);
  const lastAt = ordered.at(-1)?.at ?? -1;
  return {
    values: ordered.map((c) => c.value),
    cut:
      // The whole answer read as one value is not cut, whatever a bracket scan of it finds.
      !whole.ok && unclosedAt !== null && unclosedAt > lastAt
        ? `The JSON starting with \`${preview(cleaned, unclosedAt)}\` is never closed (a closing bracket is missing, or the answer was cut off).`
        : null,
  };
}

function findJson(cleaned: string): JsonExtraction {
  const fences = findFences(cleaned).filter((f) => /^\s*[{[]/.test(f.body));
  fences.sort((a, b) => Number(b.lang === 'json') - Number(a.lang === 'json'));
  let firstError: string | null = null;
  for (const fence of fences) {
    const attempt = parseCandidate(fence.body.trim());
    if (attempt.ok) return attempt;
    firstError ??= `The JSON in the code block is invalid: ${attempt.error}.`;
  }

  const whole = parseCandidate(cleaned);
  if (whole.ok && whole.value !== null && typeof whole.value === 'object') return whole;
  if (whole.ok && typeof whole.value === 'string' && /^\s*[{[]/.test(whole.value)) {
    const inner = parseCandidate(whole.value);
    if (inner.ok) return inner;
  }

  let unclosedAt: number | null = null;
  for (const attempt of bracketCandidates(cleaned)) {
    if (attempt.ok) return { ok: true, value: attempt.value };
    if (attempt.unclosedAt !== undefined) unclosedAt ??= attempt.unclosedAt;
    else firstError ??= `The JSON is invalid: ${attempt.error}.`;
  }
  if (firstError) return { ok: false, error: firstError };
  if (unclosedAt !== null) {
    return {
      ok: false,
      error: `The JSON starting with \`${preview(cleaned, unclosedAt)}\` is never closed (a closing bracket is missing, or the answer was cut off).`,
    };
  }
  return { ok: false, error: 'No JSON object or array was found in the answer.' };
}
