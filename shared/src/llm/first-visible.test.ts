import { describe, expect, it } from 'vitest';
import { firstVisibleEnd, tokensBeforeVisible } from './first-visible';

describe('where an app first shows something', () => {
  it('is the first element of the body, after a long head', () => {
    const head = `<!DOCTYPE html><html><head><style>${'p{color:red}'.repeat(50)}</style></head>`;
    const html = `${head}<body>\n  <main><h1>Hi</h1></main></body></html>`;
    expect(html.slice(0, firstVisibleEnd(html) ?? 0)).toBe(`${head}<body>\n  <main>`);
  });

  it('skips styles, scripts, comments and links at the start of the body', () => {
    const html =
      '<body><!-- x --><style>a{}</style><script>let a = "<b>";</script><link rel="stylesheet" href="/x.css">Hello';
    expect(html.slice(0, firstVisibleEnd(html) ?? 0)).toMatch(/H$/);
  });

  it('counts text as well as elements, and a body left out after the head', () => {
    expect(firstVisibleEnd('<head></head>\n<div>')).toBe('<head></head>\n<div>'.length);
    expect(firstVisibleEnd('<body>  x')).toBe('<body>  x'.length);
  });

  it('is null while nothing shows yet', () => {
    expect(firstVisibleEnd('<!DOCTYPE html><head><style>')).toBeNull();
    expect(firstVisibleEnd('<body><style>p{}')).toBeNull();
    expect(firstVisibleEnd('<body><div')).toBeNull();
  });

  it('gives the tokens in proportion to the characters written before', () => {
    const html = `<head>${'x'.repeat(84)}</head><p>${'y'.repeat(100)}`;
    expect(tokensBeforeVisible(html, 50)).toBe(25);
    expect(tokensBeforeVisible('<head>', 10)).toBeNull();
  });
});
