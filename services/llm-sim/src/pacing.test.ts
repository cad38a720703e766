import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { pacedBatches, tokenize } from './pacing';
import { BUILTIN_SCENARIOS_DIR } from './scenarios';
import { startSim, userMessage } from './test-helpers';

describe('tokenize', () => {
  it('cuts text into pieces that join back to the text', () => {
    const text = 'The quick brown fox — 12345 <div class="x">hello</div>\n\n  indented() {}';
    const tokens = tokenize(text);
    expect(tokens.join('')).toBe(text);
    expect(tokens.slice(0, 4)).toEqual(['The', ' quick', ' brown', ' fox']);
  });

  it('averages roughly four characters a token, a little less on HTML', async () => {
    const prose =
      'Hyperdesk is a generative desktop for fast inference. A person types a request into a desktop in the browser; the system decides what is needed, writes any tools, and streams the app into a window while it is being written.';
    const html = await readFile(`${BUILTIN_SCENARIOS_DIR}/benchmark-app.html`, 'utf8');
    const proseRatio = prose.length / tokenize(prose).length;
    const htmlRatio = html.length / tokenize(html).length;
    expect(proseRatio).toBeGreaterThan(3.5);
    expect(proseRatio).toBeLessThan(5.5);
    expect(htmlRatio).toBeGreaterThan(2.8);
    expect(htmlRatio).toBeLessThan(4.5);
    expect(tokenize(html).length).toBeGreaterThan(2500);
    expect(tokenize(html).length).toBeLessThan(3000);
  });
});

describe('pacedBatches', () => {
  it('emits every token once, in batches, and stops when aborted', async () => {
    const tokens = Array.from({ length: 300 }, (_, i) => `t${i} `);
    const batches: string[][] = [];
    for await (const batch of pacedBatches(
      tokens,
      { ttftMs: 0, tokensPerS: 10_000 },
      performance.now(),
      new AbortController().signal,
    )) {
      batches.push(batch);
    }
    expect(batches.flat()).toEqual(tokens);
    expect(batches.length).toBeGreaterThan(1);

    const abort = new AbortController();
    const partial: string[] = [];
    setTimeout(() => abort.abort(), 50);
    for await (const batch of pacedBatches(
      tokens,
      { ttftMs: 0, tokensPerS: 1000 },
      performance.now(),
      abort.signal,
    )) {
      partial.push(...batch);
    }
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(tokens.length);
  });
});

describe('pacing over HTTP (a sanity check, not a speed test)', () => {
  it('streams 2,000 tokens at 1000 tok/s after a 150 ms TTFT in about 2.15 s', async () => {
    const content = 'word '.repeat(2000).trimEnd();
    expect(tokenize(content)).toHaveLength(2000);
    const sim = await startSim({
      ttftMs: 150,
      tokensPerS: 1000,
      scenarios: [
        { name: 'long', source: 'extra', file: 'test', stage: 'content', steps: [{ content }] },
      ],
    });
    try {
      const started = performance.now();
      const response = await fetch(`${sim.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hyperdesk-stage': 'content' },
        body: JSON.stringify({ stream: true, ...userMessage('anything') }),
      });
      const reader = response.body!.getReader();
      let firstByteMs: number | null = null;
      let events = 0;
      for (let part = await reader.read(); !part.done; part = await reader.read()) {
        const text = new TextDecoder().decode(part.value);
        if (firstByteMs === null && text.includes('"content":"word'))
          firstByteMs = performance.now() - started;
        events += text.split('data: ').length - 1;
      }
      const totalS = (performance.now() - started) / 1000;
      expect(totalS).toBeGreaterThan(1.5);
      expect(totalS).toBeLessThan(4);
      expect(firstByteMs).toBeGreaterThanOrEqual(100);
      // Batched on a ~15 ms tick: far fewer events than tokens, far more than one.
      expect(events).toBeGreaterThan(30);
      expect(events).toBeLessThan(1000);
    } finally {
      await sim.app.close();
    }
  });

  it('delays a non-streaming answer by TTFT plus generation time', async () => {
    const sim = await startSim({
      ttftMs: 100,
      tokensPerS: 1000,
      scenarios: [
        {
          name: 'short',
          source: 'extra',
          file: 'test',
          stage: 'content',
          steps: [{ content: 'word '.repeat(300) }],
        },
      ],
    });
    try {
      const started = performance.now();
      await fetch(`${sim.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hyperdesk-stage': 'content' },
        body: JSON.stringify(userMessage('anything')),
      }).then((r) => r.json());
      const ms = performance.now() - started;
      expect(ms).toBeGreaterThan(300);
      expect(ms).toBeLessThan(2000);
    } finally {
      await sim.app.close();
    }
  });
});
