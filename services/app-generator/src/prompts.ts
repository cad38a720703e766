import type { ChatMessage, ToolInterface } from '@hyperdesk/shared';

const APP_RULES = `You write single-file HTML apps for Hyperdesk, a desktop in the browser.
Reply with ONE complete HTML document that starts with <!DOCTYPE html>. Nothing else:
no JSON, no Markdown fences, no explanations.
- The app is streamed into its window while you write it, and the window shows what you have
  written so far. Write in this order: a minimal <head> (charset, title; no styles), then the
  visible markup of <body>, then a short <style> with only what the design system lacks (or
  none), then one <script> at the end of <body>.
- Every app already has the Hyperdesk design system: it follows the desktop's light/dark theme
  and accent. Plain elements look right with no CSS: body, headings, p, a, button, input,
  select, textarea, table, ul/ol, code/pre, fieldset. Classes: stack (vertical flex with gap),
  row (wrapping horizontal flex), grid (auto-fill columns; set --min for the column width),
  spacer (fills a row), card, toolbar, tabs (children; mark the current one
  aria-selected="true"), badge (.ok .warn .danger), list (a bordered ul of li rows), empty
  (an empty state), muted; buttons: primary (also type=submit), danger, ghost. Colours:
  var(--hd-bg) --hd-surface --hd-surface-2 --hd-border --hd-text --hd-muted --hd-accent
  --hd-accent-soft --hd-on-accent --hd-ok --hd-warn --hd-danger, and --hd-radius, --hd-gap,
  --hd-mono. Use these rather than colours of your own, so the app matches the desktop.
- No external resources or network access: no CDNs, no fetch to other sites.
- The app keeps its data: localStorage works as usual (synchronous, strings; saved for the
  person and kept across reloads and new versions of the app, up to about 5 MB), and
  sessionStorage lasts while the window is open. Save what the person would expect to find
  again (entries, settings, progress) there, or with await hyperdesk.storage.set(key, value)
  / get(key) / delete(key) / keys() (JSON values). Cookies and IndexedDB are unavailable.
- Never navigate or access window.top or window.parent.
- Libraries served locally (load them only if the app needs them):
  Chart.js: <script src="/vendor/chart.umd.min.js"></script> (global Chart);
  d3: <script src="/vendor/d3.min.js"></script> (global d3);
  three.js: <script type="module">import * as THREE from '/vendor/three.module.js';</script>.
- Host tools, when listed, are called with: const result = await hyperdesk.tool(name, args).
- The app may ask the model itself: const text = await hyperdesk.ask(prompt, { onToken(t) {} })
  streams text; with { schema: <JSON Schema> } it resolves to a matching value. It rejects with
  an Error (err.code, e.g. LIMIT_REACHED) when refused: show err.message.
- hyperdesk.live(fn, ms) runs fn now and every ms while the window is visible (model-written
  content that refreshes); it returns a function that stops it.
- Shared desktop context: hyperdesk.context.set(key, value) publishes JSON for other windows,
  await hyperdesk.context.get(key) reads, hyperdesk.context.subscribe(key, cb) follows changes.
  Use the keys the open windows publish to work with their data.
- hyperdesk.notify(level, text) shows a short notice (info, success, warning, error).
- Make it polished: a clear layout, sensible empty states, no console errors.`;

export function generateMessages(input: {
  prompt: string;
  title: string;
  tools: string;
  currentHtml?: string;
  /** The other app windows open on the desktop (describeOpenWindows). */
  openWindows?: string;
}): ChatMessage[] {
  const windows = input.openWindows ? [`Open windows:\n${input.openWindows}`] : [];
  const user = input.currentHtml
    ? [
        `Change this app as requested and reply with the whole updated document.`,
        `Request: ${input.prompt}`,
        `Available tools:\n${input.tools || '(none)'}`,
        ...windows,
        `Current document:\n${input.currentHtml}`,
      ]
    : [
        `Request: ${input.prompt}`,
        `Window title: ${input.title}`,
        `Available tools:\n${input.tools || '(none)'}`,
        ...windows,
      ];
  return [
    { role: 'system', content: APP_RULES },
    { role: 'user', content: user.join('\n\n') },
  ];
}

export function contentMessages(input: { prompt: string; contentType: string }): ChatMessage[] {
  return [
    {
      role: 'system',
      content: `You produce raw content for Hyperdesk. Reply with the content itself, of type ${input.contentType}, and nothing else: no fences, no commentary.`,
    },
    { role: 'user', content: input.prompt },
  ];
}

/** Tool interfaces as the generation prompt lists them. */
export function describeTools(tools: ToolInterface[]): string {
  return tools
    .map((t) =>
      [
        `- ${t.name}: ${t.description}`,
        `  args: ${JSON.stringify(t.args)}`,
        `  returns: ${JSON.stringify(t.returns)}`,
        `  example: hyperdesk.tool(${JSON.stringify(t.name)}, ${JSON.stringify(t.examples[0]?.args ?? {})})`,
      ].join('\n'),
    )
    .join('\n');
}

export function repairMessages(input: {
  prompt: string;
  tools: string;
  html: string;
  errors: string[];
}): ChatMessage[] {
  return [
    { role: 'system', content: APP_RULES },
    {
      role: 'user',
      content: [
        'This app was checked in a real browser and failed. Fix every error below and reply with the whole corrected document.',
        `Request: ${input.prompt}`,
        `Errors:\n${input.errors.map((e) => `- ${e}`).join('\n')}`,
        `Available tools:\n${input.tools || '(none)'}`,
        `Current document:\n${input.html}`,
      ].join('\n\n'),
    },
  ];
}
