/**
 * What the SDK does first in every app document, before any of the app's code exists, for
 * what a CSP cannot hold in Chromium (source text; it runs as `(CONTAINMENT_SOURCE)(post)`):
 *
 * - WebRTC: every `RTC…` constructor is removed for good (non-configurable `undefined`), since
 *   a peer connection reaches any host through its ICE servers whatever the CSP says.
 * - Nested frames: a frame the app makes (srcdoc, about:blank, javascript:) would be a fresh
 *   document with globals of its own, WebRTC included. Apps have no use for frames (the CSP
 *   refuses every URL one could load), so each one is removed as soon as it is inserted,
 *   before its document can run: in the document and in every shadow root. Declarative
 *   shadow roots, which no observer can see into, are not parsed (`prepareAppDocument` and
 *   `document.write` rename the attribute; the HTML-parsing methods that allow them are gone).
 *   The app is told once (an error, so a check sends it to repair). `document.open()`,
 *   which would erase these listeners, is refused.
 * - Forms: every submit is handled in the page (its default, a navigation, is prevented).
 * - The keyboard: the frame holds keys only when the person gave it the keyboard (a press
 *   inside it). Focus the app took by itself (focus(), select(), a dialog, a fragment…) gets
 *   no key events, and the host is told (`unfocus`) so it can give the keyboard back.
 *
 * Built-ins are taken before the app runs, so an app that replaces them changes nothing here.
 */
export const CONTAINMENT_SOURCE = String.raw`(post) => {
  const define = Object.defineProperty;
  for (const name of Object.getOwnPropertyNames(window)) {
    if (/^(?:webkit)?RTC/.test(name)) define(window, name, { value: undefined, writable: false, configurable: false });
  }

  const FRAMES = 'iframe, frame, frameset, object, embed, portal, fencedframe';
  const apply = Reflect.apply;
  const matches = Element.prototype.matches;
  const queryAll = Element.prototype.querySelectorAll;
  const remove = Element.prototype.remove;
  let told = false;
  const drop = (frame) => {
    apply(remove, frame, []);
    if (told) return;
    told = true;
    post({ type: 'error', kind: 'error', message: 'Apps cannot hold frames: a <' + frame.localName + '> was removed; render into the page itself.' });
  };
  const removeFrames = (node) => {
    if (!(node instanceof Element)) return;
    if (apply(matches, node, [FRAMES])) drop(node);
    const inside = apply(queryAll, node, [FRAMES]);
    for (let i = 0; i < inside.length; i++) drop(inside[i]);
  };
  const observer = new MutationObserver((records) => {
    for (let i = 0; i < records.length; i++) {
      const added = records[i].addedNodes;
      for (let j = 0; j < added.length; j++) removeFrames(added[j]);
    }
  });
  const observe = observer.observe.bind(observer);
  observe(document, { childList: true, subtree: true });
  const attachShadow = Element.prototype.attachShadow;
  define(Element.prototype, 'attachShadow', {
    value: function (init) {
      const root = apply(attachShadow, this, [init]);
      observe(root, { childList: true, subtree: true });
      return root;
    },
  });
  delete Element.prototype.setHTMLUnsafe;
  delete ShadowRoot.prototype.setHTMLUnsafe;
  delete Document.parseHTMLUnsafe;
  // document.open() would erase every listener set here; write() after the page has loaded
  // opens the document too. While the page is parsed, write() is the parser's and allowed.
  const inert = (text) => String(text).replace(/shadowrootmode/gi, 'data-shadowrootmode');
  const refuse = () => { throw new TypeError('Apps cannot reopen their document; change the page with the DOM.'); };
  define(Document.prototype, 'open', { value: refuse });
  for (const name of ['write', 'writeln']) {
    const original = Document.prototype[name];
    define(Document.prototype, name, {
      value: function (...parts) {
        if (document.readyState !== 'loading') refuse();
        return apply(original, this, parts.map(inert));
      },
    });
  }

  // Forms: apps handle a submit in script, often without preventDefault(). A submit runs the
  // app's handlers and never navigates the frame; form.submit(), which fires no event, goes
  // through requestSubmit() so it is handled the same way.
  addEventListener('submit', (event) => event.preventDefault(), true);
  define(HTMLFormElement.prototype, 'submit', { value: function () { this.requestSubmit(); } });

  let given = false;
  const give = (event) => { if (event.isTrusted) given = true; };
  for (const type of ['pointerdown', 'mousedown', 'touchstart']) addEventListener(type, give, true);
  addEventListener('blur', (event) => { if (event.target === window) given = false; }, true);
  addEventListener('focus', (event) => {
    if (event.target === window && !given) post({ type: 'unfocus' });
  }, true);
  const withhold = (event) => {
    if (given) return;
    event.stopImmediatePropagation();
    event.preventDefault();
  };
  for (const type of ['keydown', 'keypress', 'keyup', 'compositionstart', 'compositionupdate', 'compositionend', 'paste', 'drop']) {
    addEventListener(type, withhold, true);
  }
  addEventListener('beforeinput', (event) => {
    if (/Composition|Paste|Drop/.test(event.inputType)) withhold(event);
  }, true);
}`;
