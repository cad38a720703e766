import { describe, expect, it } from 'vitest';
import { fenced, formatSections, readSection } from './prompt-sections';

describe('prompt sections', () => {
  const message = formatSections({
    Request: 'a markdown notes app',
    'Existing tools': '- cpu_temp: CPU temperature in °C',
    Errors: null,
    'Current document': fenced('# Title\n## Not a heading\n```js\nx\n```', 'markdown'),
    Tail: 'end',
  });

  it('formats non-empty sections under ## headings', () => {
    expect(message.startsWith('## Request\na markdown notes app\n\n## Existing tools\n')).toBe(
      true,
    );
    expect(message).not.toContain('## Errors');
  });

  it('reads sections back, case-insensitively', () => {
    expect(readSection(message, 'request')).toBe('a markdown notes app');
    expect(readSection(message, 'Existing tools')).toBe('- cpu_temp: CPU temperature in °C');
    expect(readSection(message, 'Errors')).toBeNull();
  });

  it('ignores headings inside fences', () => {
    expect(readSection(message, 'Current document')).toContain('## Not a heading');
    expect(readSection(message, 'Not a heading')).toBeNull();
    expect(readSection(message, 'Tail')).toBe('end');
  });

  it('uses a fence longer than any inside', () => {
    expect(fenced('```js\nx\n```', 'md')).toBe('````md\n```js\nx\n```\n````');
  });
});

describe('label paragraphs', () => {
  const message = [
    'Request: a tool that shows my CPU temperature: in °C',
    'Existing tools:\n- cpu_load: load average\n- disk_usage: free space',
    'Current app: Notes',
    'Errors reported by the current app:\nTypeError: x is undefined\nReferenceError: y',
  ].join('\n\n');

  it('reads an inline label value', () => {
    expect(readSection(message, 'Request')).toBe('a tool that shows my CPU temperature: in °C');
    expect(readSection(message, 'Current app')).toBe('Notes');
  });

  it('reads a multi-line label paragraph and accepts several names', () => {
    expect(readSection(message, ['Tools', 'Existing tools'])).toBe(
      '- cpu_load: load average\n- disk_usage: free space',
    );
  });

  it('matches a longer title by its first words and keeps Error: lines inside', () => {
    expect(readSection(message, 'Errors')).toBe('TypeError: x is undefined\nReferenceError: y');
  });
});
