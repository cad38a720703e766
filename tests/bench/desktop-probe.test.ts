import { describe, expect, it } from 'vitest';
import { PROBE_SCRIPT } from './desktop-probe';
import { bodyContentEnd } from './model-bound';

describe('bench probes', () => {
  it('the in-browser probe is valid JavaScript', () => {
    expect(() => new Function(PROBE_SCRIPT)).not.toThrow();
  });

  it('finds where streamed HTML first gives <body> content', () => {
    expect(bodyContentEnd('<html><head><style>a{}</style></head>')).toBe(-1);
    expect(bodyContentEnd('<html><body>\n  <hea')).toBe(-1);
    const html = '<html><body class="x">\n  <header>hi';
    expect(html.slice(0, bodyContentEnd(html))).toBe('<html><body class="x">\n  <header>');
    expect(bodyContentEnd('<body> hi')).toBe('<body> h'.length);
  });
});
