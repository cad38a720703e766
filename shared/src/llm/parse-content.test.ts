import { describe, expect, it } from 'vitest';
import { contentKind, extractContent } from './parse-content';

const CSV = 'a,b\n1,2\n3,4';

describe('extractContent', () => {
  it('knows the kind of a MIME type', () => {
    expect(contentKind('text/csv')).toBe('csv');
    expect(contentKind('application/ld+json')).toBe('json');
    expect(contentKind('text/x-markdown')).toBe('markdown');
    expect(contentKind('text/html; charset=utf-8')).toBe('html');
    expect(contentKind('text/plain')).toBe('text');
  });

  it('takes the CSV table out of prose, headings, fences and notes', () => {
    for (const answer of [
      CSV,
      `Here is the CSV:\n${CSV}`,
      `# Data\n\n${CSV}\n\nNote: made up.`,
      `Sure!\n\n\`\`\`csv\n${CSV}\n\`\`\`\n\nLet me know.`,
      `${CSV}\nNote: values, rounded.`,
      CSV.replace(/\n/g, '\r\n'),
    ]) {
      expect(extractContent(answer, 'text/csv'), answer).toEqual({ ok: true, body: CSV });
    }
  });

  it('writes a Markdown table given for CSV as CSV, and drops a lead-in line', () => {
    const table = '| name | note |\n|:--|--:|\n| Paris | capital, France |\n| Lyon | a \\| b |';
    expect(extractContent(`Here it is:\n\n${table}\n\nEnjoy!`, 'text/csv')).toEqual({
      ok: true,
      body: 'name,note\nParis,"capital, France"\nLyon,a | b',
    });
    expect(extractContent(`Values, by row:\n${CSV}`, 'text/csv')).toEqual({ ok: true, body: CSV });
  });

  it('refuses a cut-off, empty or reasoning-only answer with the reason', () => {
    expect(extractContent(CSV, 'text/csv', 'length')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/cut off at the token limit/),
    });
    expect(extractContent('  ', 'text/csv')).toMatchObject({ ok: false, problem: /empty/ });
    expect(extractContent('<think>a,b', 'text/csv')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/only reasoning/),
    });
    expect(extractContent('no table here', 'text/csv')).toMatchObject({ ok: false });
  });

  it('parses JSON and writes it out again, the full value over an example', () => {
    expect(extractContent('{"a": [1, 2,],} // done', 'application/json')).toEqual({
      ok: true,
      body: '{\n  "a": [\n    1,\n    2\n  ]\n}',
    });
    expect(
      extractContent('Like {"id": 1}. All:\n[{"id": 1}, {"id": 2}]', 'application/json'),
    ).toEqual({ ok: true, body: '[\n  {\n    "id": 1\n  },\n  {\n    "id": 2\n  }\n]' });
  });

  it('closes an HTML page the model ended without its closing tags', () => {
    expect(extractContent('<!DOCTYPE html><html><body><p>x</p>', 'text/html')).toEqual({
      ok: true,
      body: '<!DOCTYPE html><html><body><p>x</p>\n</body>\n</html>',
    });
    expect(extractContent('<!DOCTYPE html><html><body><p>x', 'text/html').ok).toBe(false);
  });

  it('keeps Markdown whole, dropping only the chat around it', () => {
    const md = '# T\n\n```sh\nls\n```\n\nEnd.';
    expect(
      extractContent(`Sure! Here's the note:\n\n${md}\n\nHope this helps!`, 'text/markdown'),
    ).toEqual({
      ok: true,
      body: md,
    });
    expect(extractContent('```md\n' + md + '\n```', 'text/markdown')).toEqual({
      ok: true,
      body: md,
    });
  });

  it('drops a rule that set the chat apart, and keeps one inside the content', () => {
    const md = '# T\n\n---\n\nEnd.';
    expect(
      extractContent(`Here's your note:\n\n---\n\n${md}\n\n***\n\nEnjoy!`, 'text/markdown'),
    ).toEqual({ ok: true, body: md });
    expect(extractContent(`---\n\n${md}`, 'text/markdown')).toEqual({
      ok: true,
      body: `---\n\n${md}`,
    });
  });
});
