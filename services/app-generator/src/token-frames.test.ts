import { describe, expect, it } from 'vitest';
import { TokenFrames } from './token-frames';

describe('TokenFrames', () => {
  it('sends the first delta at once and batches the rest into frames, in order', async () => {
    const frames: { text: string; tokens: number }[] = [];
    const batcher = new TokenFrames(async (text, tokens) => {
      frames.push({ text, tokens });
    }, 20);
    batcher.push('<!DOCTYPE html>', 4);
    for (let i = 0; i < 50; i++) batcher.push(`<p>${i}</p>`, 5 + i);
    await batcher.close();
    expect(frames[0]).toEqual({ text: '<!DOCTYPE html>', tokens: 4 });
    expect(frames.length).toBeLessThan(10);
    expect(frames.map((f) => f.text).join('')).toBe(
      '<!DOCTYPE html>' + Array.from({ length: 50 }, (_, i) => `<p>${i}</p>`).join(''),
    );
    expect(frames.at(-1)?.tokens).toBe(54);
  });

  it('reports a failed send on close instead of losing it', async () => {
    const batcher = new TokenFrames(async () => {
      throw new Error('redis down');
    }, 5);
    batcher.push('a', 1);
    await expect(batcher.close()).rejects.toThrow('redis down');
  });
});
