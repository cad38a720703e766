/**
 * The document an app frame holds while the app's HTML is still being written, made when the
 * window opens so that it is loaded and listening before the first token.
 *
 * It is an app document like any stored one (`prepareAppDocument`: the app CSP, the SDK with
 * its bridge key and the app's data, the design system), whose only content is a receiver.
 * The desktop posts the partial HTML to it (`{type: 'hyperdesk:stream', html}`); the receiver
 * parses it with DOMParser and swaps in the `<style>`s and the body, at most once per
 * animation frame. Parsed scripts never run, and scripts, frames, event-handler attributes
 * and javascript: URLs are stripped before anything is copied in, so half-written JS cannot
 * throw or run twice.
 *
 * When the app is stored, the desktop hands the receiver the stored document
 * (`{type: 'hyperdesk:adopt', html}`): it puts in the whole head and body, this time with
 * their handlers, runs the scripts once in document order (an external or module script is
 * waited for before the next), fires `DOMContentLoaded` and `load`, stops listening and says
 * `hyperdesk:adopted`. The frame keeps its document, CSP and SDK, so the app is not loaded a
 * second time. A document that writes itself (`document.write`, which the SDK refuses after
 * load) is loaded as a new document instead (`canAdopt`).
 */

import { prepareAppDocument, type AppTheme, type StorageSeed } from '@hyperdesk/shared/sdk';

export const STREAM_MESSAGE = 'hyperdesk:stream';
export const ADOPT_MESSAGE = 'hyperdesk:adopt';
export const SHELL_READY_MESSAGE = 'hyperdesk:shell-ready';
export const ADOPTED_MESSAGE = 'hyperdesk:adopted';

export interface StreamMessage {
  type: typeof STREAM_MESSAGE | typeof ADOPT_MESSAGE;
  html: string;
}

/** Runs inside the frame; serialised with toString(), so it must not use anything from outside. */
function shellMain(types: { stream: string; adopt: string; ready: string; adopted: string }): void {
  const parser = new DOMParser();
  const inert =
    'script, iframe, frame, frameset, object, embed, base, meta, noscript, link:not([rel~="stylesheet" i])';
  const headKept = 'style, link[rel~="stylesheet" i], title, script';
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

  /** The app's head nodes: the receiver's own head (CSP, SDK, design system) stays. */
  const setHead = (nodes: Element[]): void => {
    for (const node of document.head.querySelectorAll('[data-hd-stream]')) node.remove();
    for (const node of nodes) {
      const copy = document.importNode(node, true) as Element;
      copy.setAttribute('data-hd-stream', '');
      document.head.append(copy);
    }
  };

  const setBody = (doc: Document): void => {
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
      setHead(styles);
    }
    setBody(doc);
  };

  /** Parsed scripts never run: each is replaced by a new one, which runs once inserted. */
  const runScripts = async (): Promise<void> => {
    const scripts = Array.from(
      document.querySelectorAll('head > script[data-hd-stream], body script'),
    ) as HTMLScriptElement[];
    for (const old of scripts) {
      if (!old.isConnected) continue; // an earlier script removed it
      const script = document.createElement('script');
      for (const attr of Array.from(old.attributes)) {
        if (attr.name !== 'data-hd-stream') script.setAttribute(attr.name, attr.value);
      }
      script.async = false;
      script.text = old.text;
      // An external or module script ends with load or error; an inline classic one runs now.
      const waits = script.src !== '' || script.type.toLowerCase() === 'module';
      const done = waits
        ? new Promise<void>((resolve) => {
            script.addEventListener('load', () => resolve(), { once: true });
            script.addEventListener('error', () => resolve(), { once: true });
          })
        : null;
      old.replaceWith(script);
      if (done) await done;
    }
  };

  const adopt = async (html: string): Promise<void> => {
    removeEventListener('message', onMessage);
    pending = null;
    const doc = parser.parseFromString(html, 'text/html');
    for (const node of doc.querySelectorAll('base, meta[http-equiv]')) node.remove();
    setHead(Array.from(doc.head.querySelectorAll(headKept)));
    setBody(doc);
    await runScripts();
    document.dispatchEvent(new Event('DOMContentLoaded', { bubbles: true }));
    dispatchEvent(new Event('load'));
    parent.postMessage({ type: types.adopted }, '*');
  };

  const onMessage = (event: MessageEvent): void => {
    if (event.source !== parent) return;
    const data: unknown = event.data;
    if (typeof data !== 'object' || data === null) return;
    const message = data as { type?: unknown; html?: unknown };
    if (typeof message.html !== 'string') return;
    if (message.type === types.adopt) {
      void adopt(message.html);
    } else if (message.type === types.stream) {
      pending = message.html;
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(render);
      }
    }
  };
  addEventListener('message', onMessage);
  parent.postMessage({ type: types.ready }, '*');
}

const SHELL_TYPES = {
  stream: STREAM_MESSAGE,
  adopt: ADOPT_MESSAGE,
  ready: SHELL_READY_MESSAGE,
  adopted: ADOPTED_MESSAGE,
};

/** The receiver's own document, before `prepareAppDocument` puts the CSP and the SDK first. */
const SHELL_HTML = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<script>(${shellMain.toString()})(${JSON.stringify(SHELL_TYPES)});</script>
</head>
<body></body>
</html>`;

/** The shell document for an iframe's srcdoc, as a stored app would be prepared. */
export function streamShellDocument(
  origin: string,
  key: string,
  seed: StorageSeed,
  theme: AppTheme,
): string {
  return prepareAppDocument(SHELL_HTML, origin, key, seed, theme);
}

/** Whether a stored document can be adopted by the shell that streamed it. */
export function canAdopt(html: string): boolean {
  return !/document\s*\.\s*write/.test(html);
}

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
