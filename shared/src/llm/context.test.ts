import { describe, expect, it } from 'vitest';
import type { ChatMessage } from './client';
import {
  ContextWindowError,
  contextTokensFor,
  elideMiddle,
  fitToContext,
  promptTokens,
} from './context';
import { fenced, formatSections, readSection } from './prompt-sections';

const SYSTEM = 'You diagnose runtime errors of a Hyperdesk app. Reply with only a JSON object.';

function lines(prefix: string, count: number): string {
  return Array.from({ length: count }, (_, i) => `${prefix} line ${i} ${'x'.repeat(40)}`).join(
    '\n',
  );
}

function diagnosePrompt(toolLines: number, appLines: number): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: formatSections({
        Request: 'fix the weather app',
        Errors: '- TypeError: data.days is undefined',
        Tools: `### weather\nThe forecast\n${fenced(lines('code', toolLines), 'python')}`,
        App: lines('<div>', appLines),
      }),
    },
  ];
}

const base = { provider: 'ollama', model: 'qwen2.5-coder:7b' } as const;

describe('context windows', () => {
  it('knows the presets: local servers by their default, hosted models by name, a setting first', () => {
    expect(contextTokensFor('ollama', 'qwen2.5-coder:7b', undefined)).toBe(4096);
    expect(contextTokensFor('ollama', 'qwen2.5-coder:7b', 32768)).toBe(32768);
    expect(contextTokensFor('llamacpp', 'default', undefined)).toBe(4096);
    expect(contextTokensFor('groq', 'openai/gpt-oss-120b', undefined)).toBe(131_072);
    expect(contextTokensFor('openai', 'gpt-4.1-mini', undefined)).toBe(1_047_576);
    expect(contextTokensFor('vllm', 'Qwen/Qwen2.5-Coder-7B-Instruct', undefined)).toBe(32_768);
    expect(contextTokensFor('openrouter', 'some/unknown-model', undefined)).toBeNull();
    expect(contextTokensFor('sim', 'hyperdesk-sim', undefined)).toBeNull();
  });

  it('sends a prompt that fits as it is', () => {
    const messages = diagnosePrompt(10, 10);
    const fitted = fitToContext({ ...base, stage: 'diagnose', messages, contextTokens: 4096 });
    expect(fitted.messages).toBe(messages);
    expect(fitted.shrunk).toEqual([]);
  });

  it('shortens a diagnosis: the document and tool code lose their middle, the rules and errors stay', () => {
    const messages = diagnosePrompt(300, 300);
    expect(promptTokens(messages)).toBeGreaterThan(4096);
    const fitted = fitToContext({ ...base, stage: 'diagnose', messages, contextTokens: 4096 });
    expect(promptTokens(fitted.messages) + 512).toBeLessThanOrEqual(4096);
    expect(fitted.messages[0]).toEqual(messages[0]);
    const user = fitted.messages[1]?.content ?? '';
    expect(readSection(user, 'Request')).toBe('fix the weather app');
    expect(readSection(user, 'Errors')).toBe('- TypeError: data.days is undefined');
    expect(user).toMatch(/left out to fit the model's context window/);
    // The start and end of what was shortened are still there, fences closed.
    expect(user).toContain('<div> line 0 ');
    expect(user).toContain('<div> line 299 ');
    expect(user).toContain('code line 0 ');
    expect(readSection(user, 'Tools')).toMatch(
      /^### weather\nThe forecast\n```python\n[\s\S]*\n```$/,
    );
    expect(fitted.shrunk.map((s) => s.split(' (')[0])).toEqual(['App', 'Tools']);
  });

  it('refuses an app too large to rewrite, saying how to give the model more room', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Rewrite the app.' },
      {
        role: 'user',
        content: formatSections({
          Request: 'make the title blue',
          'Current document': lines('<p>', 250),
        }),
      },
    ];
    const attempt = () =>
      fitToContext({ ...base, stage: 'app_generate', messages, contextTokens: 4096 });
    expect(attempt).toThrow(ContextWindowError);
    expect(attempt).toThrow(
      /app_generate prompt needs about [\d,]+ tokens plus [\d,]+ for the answer, but qwen2\.5-coder:7b on ollama has a context window of 4,096 tokens: the app is too large for it\. Start Ollama with a larger context \(OLLAMA_CONTEXT_LENGTH=32768/,
    );
  });

  it('shortens an earlier answer in a re-ask before anything else', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Answer with JSON.' },
      { role: 'user', content: 'Request: a notes app' },
      { role: 'assistant', content: lines('{"broken":', 400) },
      { role: 'user', content: 'That was not JSON. Answer with only the JSON.' },
    ];
    const fitted = fitToContext({ ...base, stage: 'classify', messages, contextTokens: 4096 });
    expect(fitted.shrunk[0]).toMatch(/^earlier answer/);
    expect(fitted.messages[3]).toEqual(messages[3]);
    expect(promptTokens(fitted.messages) + 512).toBeLessThanOrEqual(4096);
  });

  it('lowers an output cap to the room the prompt leaves', () => {
    const messages = diagnosePrompt(10, 10);
    const fitted = fitToContext({
      ...base,
      stage: 'diagnose',
      messages,
      contextTokens: 4096,
      maxTokens: 16_000,
    });
    expect(fitted.maxTokens).toBe(4096 - promptTokens(messages));
    const unknown = fitToContext({
      ...base,
      stage: 'diagnose',
      messages,
      contextTokens: null,
      maxTokens: 16_000,
    });
    expect(unknown.maxTokens).toBe(16_000);
  });

  it('cuts whole lines from the middle', () => {
    const text = lines('row', 100);
    const cut = elideMiddle(text, 1000);
    expect(cut.length).toBeLessThanOrEqual(1000 + 80);
    expect(cut.split('\n')[0]).toBe(text.split('\n')[0]);
    expect(cut.split('\n').at(-1)).toBe(text.split('\n').at(-1));
    expect(cut).toMatch(/\(\d+ lines left out/);
    expect(elideMiddle('short', 1000)).toBe('short');
  });
});
