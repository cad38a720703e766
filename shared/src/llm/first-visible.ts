/** Elements in <body> that show nothing by themselves. */
const UNSEEN_WITH_CONTENT = /^<(style|script|template|noscript)[\s>]/i;
const UNSEEN_VOID = /^<(link|meta|base)[\s>/]/i;

/**
 * Characters of an HTML answer written before its <body> shows something: through the first
 * start tag of an element that shows (not a style, script, template, link or meta) or the
 * first non-blank text after `<body>` (or after `</head>` when the body tag is left out).
 * Null when the answer never gets there.
 */
export function firstVisibleEnd(html: string): number | null {
  const body = /<body[^>]*>|<\/head\s*>/i.exec(html);
  if (!body) return null;
  let i = body.index + body[0].length;
  while (i < html.length) {
    const rest = html.slice(i, i + 16);
    if (/^\s/.test(rest)) {
      i++;
    } else if (rest.startsWith('<!--')) {
      const end = html.indexOf('-->', i + 4);
      if (end < 0) return null;
      i = end + 3;
    } else if (UNSEEN_WITH_CONTENT.test(rest)) {
      const name = UNSEEN_WITH_CONTENT.exec(rest)?.[1] ?? '';
      const close = html.toLowerCase().indexOf(`</${name.toLowerCase()}`, i);
      const end = close < 0 ? -1 : html.indexOf('>', close);
      if (end < 0) return null;
      i = end + 1;
    } else if (UNSEEN_VOID.test(rest) || rest.startsWith('</') || rest.startsWith('<body')) {
      const end = html.indexOf('>', i);
      if (end < 0) return null;
      i = end + 1;
    } else if (rest.startsWith('<')) {
      const end = html.indexOf('>', i);
      return end < 0 ? null : end + 1;
    } else {
      return i + 1;
    }
  }
  return null;
}

/**
 * Of `completionTokens` written as `text`, about how many came before the app showed anything
 * (in proportion to the characters); null when it never did.
 */
export function tokensBeforeVisible(text: string, completionTokens: number): number | null {
  const end = firstVisibleEnd(text);
  if (end === null || text.length === 0) return null;
  return Math.round((completionTokens * end) / text.length);
}
