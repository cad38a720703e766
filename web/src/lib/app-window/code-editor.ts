/**
 * The code drawer's editor: CodeMirror 6 with HTML (and its inline CSS and JS) highlighted,
 * coloured from the desktop's theme variables. Loaded when a drawer first opens, so the
 * desktop's own bundle stays small.
 */
import { html } from '@codemirror/lang-html';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorView, keymap } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  label: string;
  onchange: (text: string) => void;
  onsave: () => void;
  onescape: () => void;
}

const colours = HighlightStyle.define([
  { tag: [tags.tagName, tags.angleBracket], color: 'var(--hl-tag)' },
  { tag: [tags.attributeName, tags.propertyName], color: 'var(--hl-attr)' },
  { tag: [tags.string, tags.attributeValue, tags.regexp], color: 'var(--hl-string)' },
  { tag: [tags.keyword, tags.operatorKeyword, tags.controlKeyword], color: 'var(--hl-keyword)' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: 'var(--hl-number)' },
  { tag: tags.comment, color: 'var(--hl-comment)', fontStyle: 'italic' },
]);

const look = EditorView.theme({
  '&': { height: '100%', color: 'var(--text)', backgroundColor: 'var(--input-bg)' },
  '.cm-scroller': { font: '12.5px/1.55 var(--mono)' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-gutters': {
    backgroundColor: 'var(--input-bg)',
    color: 'var(--text-muted)',
    borderRight: '1px solid var(--window-border)',
  },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'rgb(127 127 127 / 10%)' },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '-2px' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'rgb(110 168 254 / 35%)',
  },
});

export function createEditor(options: EditorOptions): EditorView {
  return new EditorView({
    parent: options.parent,
    doc: options.doc,
    extensions: [
      keymap.of([
        { key: 'Mod-s', preventDefault: true, run: () => (options.onsave(), true) },
        { key: 'Escape', run: () => (options.onescape(), true) },
      ]),
      basicSetup,
      html(),
      syntaxHighlighting(colours),
      look,
      EditorView.contentAttributes.of({
        'aria-label': options.label,
        'data-testid': 'code-editor',
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) options.onchange(update.state.doc.toString());
      }),
    ],
  });
}
