import type { ToolInterface } from '@hyperdesk/shared';

const TOOL_CALL =
  /hyperdesk\s*\.\s*(?:tool|live)\s*\(\s*(['"`])([^'"`]+)\1\s*(?:,\s*(\{[^{}]*\}))?/g;
const MONO_URL = /\/api\/mono\/([A-Za-z0-9_]+)/g;
const KEYS = /(?:^|[{,])\s*(?:(['"])([^'"]+)\1|([A-Za-z_$][\w$]*))\s*(?=[:,}])/g;
const FORBIDDEN: [RegExp, string][] = [
  [/\b(?:window\s*\.\s*)?top\s*\.\s*location\b/, 'navigates the top window (top.location)'],
  [/\bwindow\s*\.\s*top\b/, 'reaches the top window (window.top)'],
  [
    /\b(?:window\s*\.\s*)?parent\s*\.\s*(?:document|location|hyperdesk|frames)\b/,
    'reaches into the parent window',
  ],
  [/\bwindow\s*\.\s*open\s*\(/, 'opens new windows (window.open)'],
];

function scripts(html: string): string {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)]
    .map((m) => m[1] ?? '')
    .join('\n');
}

/** Property names written in an object literal (a best-effort read of `{a: 1, "b": x}`). */
function literalKeys(literal: string): string[] {
  return [...literal.matchAll(KEYS)].map((m) => m[2] ?? m[3] ?? '').filter(Boolean);
}

/**
 * Checks that need no browser: the document looks like HTML; the app calls only granted
 * tools, with argument names their schemas know; it never touches the top or parent window.
 */
export function staticChecks(html: string, tools: ToolInterface[]): string[] {
  const errors: string[] = [];
  if (!/<(html|body)[\s>]/i.test(html))
    errors.push('The document has no <html> or <body> element.');
  const code = scripts(html);
  const granted = new Map(tools.map((t) => [t.name, t]));
  for (const match of code.matchAll(TOOL_CALL)) {
    const name = match[2] ?? '';
    const tool = granted.get(name);
    if (!tool) {
      errors.push(
        `The app calls the tool "${name}", which it was not granted (granted: ${[...granted.keys()].join(', ') || 'none'}).`,
      );
      continue;
    }
    const known = Object.keys((tool.args.properties ?? {}) as Record<string, unknown>);
    const unknown = literalKeys(match[3] ?? '').filter((k) => !known.includes(k));
    if (unknown.length > 0 && known.length > 0) {
      errors.push(
        `The call to ${name} passes ${unknown.join(', ')}, but its args are: ${known.join(', ')}.`,
      );
    }
  }
  for (const match of code.matchAll(MONO_URL)) {
    const name = match[1] ?? '';
    if (!granted.has(name))
      errors.push(`The app fetches /api/mono/${name}, a tool it was not granted.`);
  }
  for (const [pattern, what] of FORBIDDEN) {
    if (pattern.test(code)) errors.push(`The app ${what}; apps must stay inside their window.`);
  }
  return [...new Set(errors)];
}
