import { describe, expect, it } from 'vitest';
import { formatBytes, parseDataFile } from './app-data-file';

describe('parseDataFile', () => {
  it('reads an exported data file, an exported app and a plain object', () => {
    expect(parseDataFile('{"app": "Notes", "entries": [["a", "1"], ["b", "x"]]}')).toEqual([
      ['a', '1'],
      ['b', 'x'],
    ]);
    expect(parseDataFile('{"title": "Notes", "html": "<p>", "data": [["k", "v"]]}')).toEqual([
      ['k', 'v'],
    ]);
    expect(parseDataFile('{"theme": "dark", "count": 3, "list": [1, 2]}')).toEqual([
      ['theme', 'dark'],
      ['count', '3'],
      ['list', '[1,2]'],
    ]);
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(() => parseDataFile('not json')).toThrow('The file is not JSON.');
    expect(() => parseDataFile('[1, 2]')).toThrow(/a JSON object was expected/);
    expect(() => parseDataFile('{"entries": [["only a key"]]}')).toThrow(/\[key, value\] pair/);
  });
});

describe('formatBytes', () => {
  it('shows bytes, KB and MB', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(8192)).toBe('8.0 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
