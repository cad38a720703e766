/**
 * Splits streamed answer text into reasoning and content as it arrives: a `<think>` (or
 * `<thinking>`, `<reasoning>`) block that opens the answer is reasoning, even when its tags
 * arrive cut across chunks (`<thi`, `nk>`). Nothing of it is passed on as content, so a
 * window, an ask or a stored file never shows it. Text that does not open with such a tag
 * is content as it comes.
 */

const OPEN_TAGS = ['<think>', '<thinking>', '<reasoning>'];

export interface StreamPiece {
  content: string;
  reasoning: string;
}

export class ReasoningSplitter {
  private state: 'start' | 'reasoning' | 'content' = 'start';
  private buffer = '';
  private closeTag = '';

  push(text: string): StreamPiece {
    if (this.state === 'content') return { content: text, reasoning: '' };
    this.buffer += text;
    if (this.state === 'start') return this.readStart();
    return this.readReasoning();
  }

  /** The stream ended: what is held back goes out as what it was taken for. */
  end(): StreamPiece {
    const rest = this.buffer;
    this.buffer = '';
    if (this.state === 'reasoning') return { content: '', reasoning: rest };
    this.state = 'content';
    return { content: rest, reasoning: '' };
  }

  private readStart(): StreamPiece {
    const head = this.buffer.trimStart();
    const lower = head.toLowerCase();
    const tag = OPEN_TAGS.find((t) => lower.startsWith(t));
    if (tag) {
      this.state = 'reasoning';
      this.closeTag = `</${tag.slice(1)}`;
      this.buffer = head.slice(tag.length);
      return this.readReasoning();
    }
    // Still possibly the start of a tag (`<thi`): wait for more.
    if (head === '' || OPEN_TAGS.some((t) => t.startsWith(lower))) {
      return { content: '', reasoning: '' };
    }
    this.state = 'content';
    const content = this.buffer;
    this.buffer = '';
    return { content, reasoning: '' };
  }

  private readReasoning(): StreamPiece {
    const at = this.buffer.toLowerCase().indexOf(this.closeTag);
    if (at === -1) {
      // Hold back what could be the start of the closing tag.
      const keep = this.closeTag.length - 1;
      const reasoning = this.buffer.slice(0, Math.max(0, this.buffer.length - keep));
      this.buffer = this.buffer.slice(reasoning.length);
      return { content: '', reasoning };
    }
    const reasoning = this.buffer.slice(0, at);
    const content = this.buffer.slice(at + this.closeTag.length).replace(/^\s+/, '');
    this.buffer = '';
    this.state = 'content';
    return { content, reasoning };
  }
}
