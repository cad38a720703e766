/**
 * The document an app frame holds while the app's HTML is still being written.
 *
 * The desktop posts the partial HTML to it (`{type: 'hyperdesk:stream', html}`); the shell
 * parses it with DOMParser and swaps in the `<style>`s and the body, at most once per
 * animation frame. Parsed scripts never run, and scripts, frames, event-handler attributes
 * and javascript: URLs are stripped before anything is copied into the shell, so half-written
 * JS cannot throw or run twice.
 * When the app is complete the desktop replaces the shell with the final document.
 *
 * The shell runs under the same CSP as a stored app (`appCsp`), so nothing a streaming app
 * names (stylesheets, images, fonts, @import, prefetches) is fetched from anywhere.
 */

import { appCsp } from '@hyperdesk/shared/sdk';

export const STREAM_MESSAGE = 'hyperdesk:stream';
export const SHELL_READY_MESSAGE = 'hyperdesk:shell-ready';

export interface StreamMessage {
  type: typeof STREAM_MESSAGE;
  html: string;
}

/** Runs inside the frame; serialised with toString(), so it must not use anything from outside. */
function shellMain(streamType: string, readyType: string): void {
  const parser = new DOMParser();
  const inert =
    'script, iframe, frame, frameset, object, embed, base, meta, noscript, link:not([rel~="stylesheet" i])';
  let pending: string | null = null;
  let scheduled = false;
  let lastStyles = '';

  const clean = (root: ParentNode): void => {
    for (const node of root.querySelectorAll(inert)) node.remove();
    for (const element of root.querySelectorAll('*')) {
      for (const attr of Array.from(element.attributes)) {
        const name = attr.name.toLowerCase();
        const isScriptUrl = /^\s*javascript:/i.test(attr.value);
        if (name.startsWith('on') || isScriptUrl) element.removeAttribute(attr.name);
      }
    }
  };

  const syncAttributes = (target: Element, source: Element): void => {
    for (const attr of Array.from(target.attributes)) {
      if (!source.hasAttribute(attr.name)) target.removeAttribute(attr.name);
    }
    for (const attr of Array.from(source.attributes)) {
      if (target.getAttribute(attr.name) !== attr.value) target.setAttribute(attr.name, attr.value);
    }
  };

  const render = (): void => {
    scheduled = false;
    const html = pending;
    pending = null;
    if (html === null) return;
    const doc = parser.parseFromString(html, 'text/html');
    clean(doc);

    const styles = Array.from(doc.head.querySelectorAll('style, link[rel~="stylesheet" i]'));
    const styleKey = styles.map((node) => node.outerHTML).join('\n');
    if (styleKey !== lastStyles) {
      lastStyles = styleKey;
      for (const node of document.head.querySelectorAll('[data-hd-stream]')) node.remove();
      for (const node of styles) {
        const copy = document.importNode(node, true) as Element;
        copy.setAttribute('data-hd-stream', '');
        document.head.append(copy);
      }
    }

    syncAttributes(document.documentElement, doc.documentElement);
    syncAttributes(document.body, doc.body);
    // Replace only the top-level nodes that changed, so finished parts stay put.
    const next = Array.from(doc.body.childNodes);
    const current = Array.from(document.body.childNodes);
    next.forEach((node, index) => {
      const old = current[index];
      if (old?.isEqualNode(node)) return;
      const copy = document.importNode(node, true);
      if (old) old.replaceWith(copy);
      else document.body.append(copy);
    });
    for (const old of current.slice(next.length)) old.remove();
  };

  addEventListener('message', (event: MessageEvent) => {
    if (event.source !== parent) return;
    const data: unknown = event.data;
    if (typeof data !== 'object' || data === null) return;
    const message = data as { type?: unknown; html?: unknown };
    if (message.type !== streamType || typeof message.html !== 'string') return;
    pending = message.html;
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  });
  parent.postMessage({ type: readyType }, '*');
}

/** The shell document, for an iframe's srcdoc. */
export const STREAM_SHELL_HTML = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${appCsp(null)}">
<script>(${shellMain.toString()})(${JSON.stringify(STREAM_MESSAGE)}, ${JSON.stringify(SHELL_READY_MESSAGE)});</script>
</head>
<body></body>
</html>`;

/**
 * Trims what a model may put around the document (prose, a ```html fence) so the preview
 * shows only the HTML. The final app comes from the API, already cleaned by the server.
 */
export function previewHtml(raw: string): string {
  let html = raw;
  const start = html.search(/<!doctype|<html|<head|<body|<style|<div|<main/i);
  if (start > 0) html = html.slice(start);
  else if (start < 0) html = html.replace(/^\s*```[a-z]*\s*/i, '');
  html = html.replace(/\n```\s*$/, '');
  // A chunk can end inside a tag ("<di", "</"): leave the unfinished tag for the next frame
  // rather than show it as text.
  return html.replace(/<[^>]*$/, '');
}
