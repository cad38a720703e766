import { describe, expect, it } from 'vitest';
import { ClassifyReply, askMessages, schemaErrors } from '@hyperdesk/shared';
import { classifyFallback } from './fallback';
import { askFallback } from './fallback-ask';

const userOf = (messages: { role: string; content: string }[]) =>
  messages.find((m) => m.role === 'user')?.content ?? '';

describe('app_ask fallback', () => {
  it('answers a plain ask with text about the request', () => {
    const answer = askFallback(
      userOf(askMessages({ prompt: 'a haiku about tea', appTitle: 'Tea' })),
    );
    expect(answer).toContain('a haiku about tea');
    expect(() => JSON.parse(answer) as unknown).toThrow();
  });

  it('answers a structured ask with JSON that matches the schema', () => {
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string' },
        temperature: { type: 'number', minimum: -50 },
        conditions: { type: 'string', enum: ['sunny', 'rain'] },
        hours: { type: 'array', items: { type: 'integer' }, minItems: 4 },
      },
      required: ['city', 'temperature', 'conditions', 'hours'],
    };
    const user = userOf(askMessages({ prompt: 'weather in Oslo', appTitle: 'Weather', schema }));
    const value: unknown = JSON.parse(askFallback(user));
    expect(schemaErrors(schema, value, 'schema')).toBeNull();
  });
});

describe('classify fallback with open windows', () => {
  const windows = [
    '- app_notes1 "Notes" (made from: "a notes app")',
    '- app_csv22 "CSV numbers" (made from: "a csv editor"; publishes context: csv-numbers)',
  ].join('\n');
  const classify = (request: string) =>
    ClassifyReply.parse(
      JSON.parse(
        JSON.stringify(
          classifyFallback(
            `Request: ${request}\n\nCurrent app: (none)\n\nOpen windows:\n${windows}`,
          ),
        ),
      ),
    );

  it('refines the window a change names', () => {
    expect(classify('add a save button to my notes window')).toMatchObject({
      intent: 'update_app',
      appId: 'app_notes1',
    });
  });

  it('makes a new app for a request that only reads from a window', () => {
    const reply = classify('chart the numbers from my CSV window');
    expect(reply.intent).toBe('new_app');
    expect(reply.appId).toBeUndefined();
  });

  it('makes a new app when no open window is named', () => {
    expect(classify('add up my expenses in a tracker').intent).toBe('new_app');
  });
});
