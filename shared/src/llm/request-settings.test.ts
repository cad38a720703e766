import { describe, expect, it } from 'vitest';
import { LlmEnv, resolveLlmConfig } from './providers';
import { refusedField, requestFields, type RefusableField } from './request-settings';

function target(env: Record<string, string>) {
  const config = resolveLlmConfig(LlmEnv.parse({ LLM_API_KEY: 'k', ...env }));
  return {
    provider: config.provider,
    model: config.model,
    maxTokensField: config.quirks.maxTokensField,
    settings: config.requests,
  };
}

const none = new Set<RefusableField>();

describe('request settings', () => {
  it('caps every stage under the provider’s own field name', () => {
    expect(requestFields(target({ LLM_PROVIDER: 'cerebras' }), 'classify', none)).toMatchObject({
      max_completion_tokens: 2048,
    });
    expect(requestFields(target({ LLM_PROVIDER: 'ollama' }), 'app_generate', none)).toMatchObject({
      max_tokens: 16384,
    });
  });

  it('asks gpt-oss for low effort where a person waits, in each provider’s form', () => {
    expect(requestFields(target({ LLM_PROVIDER: 'groq' }), 'classify', none)).toMatchObject({
      reasoning_effort: 'low',
    });
    expect(requestFields(target({ LLM_PROVIDER: 'openrouter' }), 'app_repair', none)).toMatchObject(
      { reasoning: { effort: 'low' } },
    );
    // A model that does not take it (the OpenAI preset's gpt-4.1-mini) never gets it.
    expect(requestFields(target({ LLM_PROVIDER: 'openai' }), 'classify', none)).not.toHaveProperty(
      'reasoning_effort',
    );
  });

  it('sends no temperature to OpenAI reasoning models, or once a model refused it', () => {
    const o4 = target({ LLM_PROVIDER: 'openai', LLM_MODEL: 'o4-mini' });
    expect(requestFields(o4, 'classify', none)).not.toHaveProperty('temperature');
    const oss = target({ LLM_PROVIDER: 'cerebras' });
    expect(requestFields(oss, 'classify', none)).toMatchObject({ temperature: 0 });
    expect(requestFields(oss, 'classify', new Set(['temperature']))).not.toHaveProperty(
      'temperature',
    );
  });

  it('asks for JSON mode on JSON stages only where the provider streams it', () => {
    const json = { response_format: { type: 'json_object' } };
    expect(requestFields(target({ LLM_PROVIDER: 'openai' }), 'classify', none)).toMatchObject(json);
    expect(
      requestFields(target({ LLM_PROVIDER: 'openai' }), 'app_generate', none),
    ).not.toHaveProperty('response_format');
    expect(requestFields(target({ LLM_PROVIDER: 'groq' }), 'classify', none)).not.toHaveProperty(
      'response_format',
    );
    expect(
      requestFields(target({ LLM_PROVIDER: 'openai', LLM_JSON_MODE: 'off' }), 'classify', none),
    ).not.toHaveProperty('response_format');
  });

  it('takes overrides from the settings and refuses bad ones by name', () => {
    const t = target({
      LLM_PROVIDER: 'cerebras',
      LLM_STAGE_SETTINGS: '{"app_generate": {"maxTokens": 32000, "reasoningEffort": "high"}}',
    });
    expect(requestFields(t, 'app_generate', none)).toMatchObject({
      max_completion_tokens: 32000,
      reasoning_effort: 'high',
    });
    const off = target({ LLM_PROVIDER: 'cerebras', LLM_REASONING_EFFORT: 'off' });
    expect(requestFields(off, 'classify', none)).not.toHaveProperty('reasoning_effort');
    const bad = LlmEnv.safeParse({ LLM_STAGE_SETTINGS: '{"app_generate": {"maxTokens": -1}}' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['LLM_STAGE_SETTINGS', 'app_generate', 'maxTokens']);
    expect(LlmEnv.safeParse({ LLM_STAGE_SETTINGS: '{"classfy": {}}' }).success).toBe(false);
  });

  it('reads which field a 400 refuses', () => {
    expect(refusedField('temperature', 'Unsupported value')).toBe('temperature');
    expect(refusedField(null, 'Unrecognized request argument supplied: reasoning_effort')).toBe(
      'reasoning',
    );
    expect(refusedField(null, 'messages: too long')).toBeNull();
  });
});
