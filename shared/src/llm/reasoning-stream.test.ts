import { describe, expect, it } from 'vitest';
import { ReasoningSplitter } from './reasoning-stream';

/** Feeds the pieces one by one and collects what comes out as content and as reasoning. */
function split(pieces: string[]): { content: string; reasoning: string } {
  const splitter = new ReasoningSplitter();
  let content = '';
  let reasoning = '';
  for (const out of [...pieces.map((p) => splitter.push(p)), splitter.end()]) {
    content += out.content;
    reasoning += out.reasoning;
  }
  return { content, reasoning };
}

describe('ReasoningSplitter', () => {
  it('keeps a leading think block out of the content, tags cut across chunks', () => {
    expect(split(['<thi', 'nk>\nplan {x}', ' more</th', 'ink>\n\n<!DOCTYPE html>', '<p>'])).toEqual(
      { content: '<!DOCTYPE html><p>', reasoning: '\nplan {x} more' },
    );
  });

  it('passes an answer without reasoning through as it comes', () => {
    expect(split(['<', '!DOCTYPE html>', '<p>think</p>'])).toEqual({
      content: '<!DOCTYPE html><p>think</p>',
      reasoning: '',
    });
  });

  it('takes reasoning that is never closed as reasoning only', () => {
    expect(split(['  <Thinking>', 'still going'])).toEqual({
      content: '',
      reasoning: 'still going',
    });
  });

  it('leaves a think tag in the middle of an answer to the answer', () => {
    expect(split(['The tag ', '<think>', ' is used by Qwen'])).toEqual({
      content: 'The tag <think> is used by Qwen',
      reasoning: '',
    });
  });
});
