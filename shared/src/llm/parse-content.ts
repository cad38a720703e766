import { closeDocument, extractHtml } from './parse';
import { extractJsonCandidates } from './parse-json';
import { findFences, normalizeNewlines, splitReasoning } from './parse-text';

/**
 * Reading raw content (stage `content`) as its type: the body of the answer without the
 * model's reasoning, prose, headings, fences and notes around it, checked against the type
 * before it is stored. An empty or cut-off answer is a problem to re-ask about, never content.
 */

export type ContentExtraction = { ok: true; body: string } | { ok: false; problem: string };

export type ContentKind = 'csv' | 'json' | 'markdown' | 'html' | 'text';

export function contentKind(contentType: string): ContentKind {
  const type = contentType.toLowerCase();
  if (/csv|comma-separated/.test(type)) return 'csv';
  if (/json/.test(type)) return 'json';
  if (/markdown|\bmd\b/.test(type)) return 'markdown';
  if (/html/.test(type)) return 'html';
  return 'text';
}

const FENCE_TAGS: Record<ContentKind, string[]> = {
  csv: ['csv', 'tsv'],
  json: ['json', 'jsonc', 'json5'],
  markdown: ['markdown', 'md'],
  html: ['html', 'htm'],
  text: ['text', 'txt', 'plain', 'plaintext'],
};

/** A chat line before the content: "Sure! Here is the CSV:", "Below is the table." */
const PREAMBLE =
  /^(sure|certainly|of course|okay|ok|absolutely|alright|great|here(’|')?s|here is|here are|below is|below are|the following|i(’|')?ve|i have|this is)\b[^\n]*$/i;
/** A chat line after it: "Let me know…", "Note: …", "I hope this helps". */
const AFTERWORD =
  /^(\*{0,2}note\*{0,2}:|notes:|let me know|i hope|hope this|feel free|if you(’|')?d like|if you want|if you need|hope you|enjoy|happy to|this (csv|json|table|file|document|data)|these (values|numbers|figures)|you can)/i;

function paragraphs(text: string): string[] {
  return text.split(/\n[ \t]*\n/);
}

/** A paragraph that is only a horizontal rule: `---`, `***`, `___`. */
const RULE = /^(-{3,}|\*{3,}|_{3,})$/;

/**
 * Drops a chatty first paragraph and chatty last paragraphs, and a rule that set the chat
 * apart from the content.
 */
function dropChat(text: string): string {
  const parts = paragraphs(text.trim());
  const isRule = (part: string | undefined) => RULE.test((part ?? '').trim());
  if (parts.length > 1 && PREAMBLE.test((parts[0] ?? '').trim())) {
    parts.shift();
    while (parts.length > 1 && isRule(parts[0])) parts.shift();
  }
  let dropped = false;
  while (parts.length > 1 && AFTERWORD.test((parts.at(-1) ?? '').trim())) {
    parts.pop();
    dropped = true;
  }
  while (dropped && parts.length > 1 && isRule(parts.at(-1))) parts.pop();
  return parts.join('\n\n').trim();
}

/** The body of the last closed fence tagged for the kind; a Markdown fence may hold fences. */
function taggedFence(text: string, kind: ContentKind): string | null {
  const tags = FENCE_TAGS[kind];
  if (kind === 'markdown') {
    const open = new RegExp(
      `(^|\\n)[ \\t]*(\`\`\`|~~~)[ \\t]*(${tags.join('|')})[ \\t]*\\n`,
      'i',
    ).exec(text);
    if (!open) return null;
    const bodyStart = open.index + open[0].length;
    const marker = open[2] ?? '```';
    const closeAt = text.lastIndexOf(`\n${marker}`);
    if (closeAt < bodyStart) return null;
    return text.slice(bodyStart, closeAt);
  }
  const fence = findFences(text)
    .filter((f) => f.closed && tags.includes(f.lang))
    .at(-1);
  return fence ? fence.body : null;
}

/** The whole answer as one untagged (or any-tagged) fence, with at most chat around it. */
function onlyFence(text: string): string | null {
  const fences = findFences(text);
  if (fences.length !== 1 || !fences[0]?.closed) return null;
  const outside = text.replace(
    /(^|\n)[ \t]*(```|~~~)[^\n]*\n[\s\S]*?\n[ \t]*(```|~~~)[ \t]*(?=\n|$)/,
    '',
  );
  return dropChat(outside) === '' ? fences[0].body : null;
}

/** Splits CSV text into records (a quoted field may hold newlines), each with its field count. */
function csvRecords(text: string): { line: string; fields: number }[] {
  const records: { line: string; fields: number }[] = [];
  let current = '';
  let fields = 1;
  let quoted = false;
  for (const line of text.split('\n')) {
    current = current === '' && !quoted ? line : `${current}\n${line}`;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) fields += 1;
    }
    if (quoted) continue;
    records.push({ line: current, fields: current.trim() === '' ? 0 : fields });
    current = '';
    fields = 1;
  }
  if (current !== '') records.push({ line: current, fields: -1 });
  return records;
}

const NOT_A_ROW = /^\s*(#{1,6}\s|>|\*\*|[-*]\s|```|~~~|(note|notes|source|sources)\s*:)/i;

function isRow(line: string): boolean {
  const text = line.trim();
  // A line ending in a colon leads into the table ("Planets, by distance:"); no row ends so.
  return !NOT_A_ROW.test(text) && !PREAMBLE.test(text) && !AFTERWORD.test(text) && !/:$/.test(text);
}

/**
 * The CSV table in a text: the longest run of consecutive records with the same number of
 * fields (at least two records), ignoring headings, notes and chat around it; of equally long
 * runs, the last (a table written twice).
 */
function csvTable(text: string): string | null {
  const records = csvRecords(text);
  let best: { start: number; end: number } | null = null;
  let start = 0;
  for (let i = 0; i <= records.length; i++) {
    const r = records[i];
    const first = records[start];
    const breaks =
      r === undefined ||
      r.fields <= 0 ||
      !isRow(r.line) ||
      (first !== undefined && r.fields !== first.fields);
    if (!breaks) continue;
    const length = i - start;
    const fields = first?.fields ?? 0;
    if (length >= 2 && fields >= 1 && (!best || length >= best.end - best.start)) {
      best = { start, end: i };
    }
    start = r !== undefined && r.fields > 0 && isRow(r.line) ? i : i + 1;
  }
  if (!best) return null;
  return records
    .slice(best.start, best.end)
    .map((r) => r.line.trimEnd())
    .join('\n');
}

const PIPE_ROW = /^\s*\|.*\|\s*$/;
const PIPE_RULE = /^\s*\|?(\s*:?-+:?\s*\|)+\s*(:?-+:?\s*)?$/;

/** A field as CSV writes it: quoted when it holds a comma, a quote or a line break. */
function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The first Markdown pipe table in a text (header, rule, rows) as CSV, or null. */
function pipeTable(text: string): string | null {
  const lines = text.split('\n');
  const start = lines.findIndex(
    (line, i) => PIPE_ROW.test(line) && PIPE_RULE.test(lines[i + 1] ?? ''),
  );
  if (start === -1) return null;
  const rows = [lines[start] ?? ''];
  for (let i = start + 2; i < lines.length && PIPE_ROW.test(lines[i] ?? ''); i++) {
    rows.push(lines[i] ?? '');
  }
  if (rows.length < 2) return null;
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((cell) => csvField(cell.trim().replace(/\\\|/g, '|')));
  return rows.map((row) => cells(row).join(',')).join('\n');
}

function readCsv(text: string): ContentExtraction {
  const source = (taggedFence(text, 'csv') ?? onlyFence(text) ?? text).replace(
    /\n?[ \t]*(```|~~~)[ \t]*$/,
    '',
  );
  const table = csvTable(source);
  // A Markdown table written where CSV was asked for: the same rows, as CSV.
  const piped = pipeTable(source);
  const tableIsPiped = table?.split('\n').every((line) => line.trim().startsWith('|')) ?? true;
  if (piped !== null && tableIsPiped) return { ok: true, body: piped };
  if (table === null) {
    return {
      ok: false,
      problem: 'No CSV table was found: a header row and data rows with the same number of fields.',
    };
  }
  return { ok: true, body: table };
}

function readJson(text: string): ContentExtraction {
  const { values, error } = extractJsonCandidates(text);
  if (values.length === 0) return { ok: false, problem: error ?? 'No JSON was found.' };
  // A draft or an example beside the real value is smaller; of similar ones, the last wins.
  const sizes = values.map((v) => JSON.stringify(v).length);
  const largest = Math.max(...sizes);
  const index = sizes.findLastIndex((size) => size >= largest / 2);
  return { ok: true, body: JSON.stringify(values[index], null, 2) };
}

function readHtml(text: string, finishReason: string | null): ContentExtraction {
  const parsed = extractHtml(text);
  if (/^(<!doctype|<html)/i.test(parsed.html)) {
    if (!parsed.truncated) return { ok: true, body: parsed.html };
    // Ended by the model: closed when it has a body, whole as written when it has none
    // (`<!DOCTYPE html><p>…</p>` is a complete HTML5 document).
    const closed =
      finishReason !== 'stop'
        ? null
        : /<body[\s>]/i.test(parsed.html)
          ? closeDocument(parsed.html)
          : />\s*$/.test(parsed.html) && !/<script[\s>](?![\s\S]*<\/script>)/i.test(parsed.html)
            ? parsed.html.trimEnd()
            : null;
    if (closed) return { ok: true, body: closed };
    return { ok: false, problem: 'The HTML document was cut off before </html>.' };
  }
  // A fragment (`<table>…</table>`) is an HTML page too: from its first tag to its last.
  const source = taggedFence(text, 'html') ?? onlyFence(text) ?? dropChat(parsed.html);
  const first = source.search(/<[a-z!]/i);
  const last = source.lastIndexOf('>');
  if (first === -1 || last < first) {
    return { ok: false, problem: 'The answer holds no HTML.' };
  }
  return { ok: true, body: source.slice(first, last + 1) };
}

/** A fence the model opened around the whole answer and never closed: its opening line goes. */
function withoutOpenFence(text: string, kind: ContentKind): string {
  const fences = findFences(text);
  const open = new RegExp(
    `^[ \\t]*(\`\`\`|~~~)[ \\t]*(${FENCE_TAGS[kind].join('|')})?[ \\t]*\\n`,
    'i',
  );
  if (fences.length !== 1 || fences[0]?.closed || !open.test(text)) return text;
  return text.replace(open, '');
}

function readMarkdown(text: string, kind: ContentKind): ContentExtraction {
  const fenced = taggedFence(text, kind) ?? onlyFence(text);
  const body = fenced !== null ? fenced.trim() : dropChat(withoutOpenFence(dropChat(text), kind));
  return body === '' ? { ok: false, problem: 'The answer is empty.' } : { ok: true, body };
}

/**
 * Reads raw content of `contentType` from an answer. JSON is parsed and written out again;
 * CSV is the table itself; HTML the document (closed when the model ended cleanly but left
 * off `</body></html>`) or fragment; Markdown and text the answer without chat around it or a
 * fence around the whole. Line endings become `\n`.
 */
export function extractContent(
  text: string,
  contentType: string,
  finishReason: string | null = 'stop',
): ContentExtraction {
  const { answer, unclosed } = splitReasoning(normalizeNewlines(text));
  const kind = contentKind(contentType);
  // A whole HTML document may come before the cut (in trailing prose); nothing else can be
  // known to be whole.
  if (finishReason === 'length' && !(kind === 'html' && !extractHtml(answer).truncated)) {
    return {
      ok: false,
      problem: 'The answer was cut off at the token limit, so the content is incomplete.',
    };
  }
  if (answer === '') {
    return {
      ok: false,
      problem: unclosed
        ? 'The answer held only reasoning (a block that was never closed), no content.'
        : 'The answer is empty.',
    };
  }
  switch (kind) {
    case 'csv':
      return readCsv(answer);
    case 'json':
      return readJson(answer);
    case 'html':
      return readHtml(answer, finishReason);
    case 'markdown':
    case 'text':
      return readMarkdown(answer, kind);
  }
}
