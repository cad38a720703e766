import { describe, expect, it } from 'vitest';
import { toJSONSchema } from 'zod';
import { ToolPlan } from '../contracts/tool';
import { coerceToSchema } from './coerce';
import { checkJsonReply } from './json-reply';
import { ClassifyReply } from './stages';

const classifySchema = toJSONSchema(ClassifyReply, { io: 'input', unrepresentable: 'any' });

const reply = (text: string) => ({
  text,
  finishReason: 'stop',
  metrics: {
    stage: 'classify' as const,
    model: 'none',
    startedAt: 0,
    ttftMs: null,
    durationMs: 0,
    promptTokens: 0,
    completionTokens: 0,
    tokensPerS: null,
  },
});

describe('coerceToSchema', () => {
  it('renames keys written in another case or style', () => {
    const { value, issues } = coerceToSchema(
      { Intent: 'new_app', TITLE: 'Notes', needs_new_tools: true, 'content-type': 'text/csv' },
      classifySchema,
    );
    expect(value).toEqual({
      intent: 'new_app',
      title: 'Notes',
      needsNewTools: true,
      contentType: 'text/csv',
    });
    expect(issues).toEqual([]);
  });

  it('matches enum values whatever their case', () => {
    expect(coerceToSchema({ intent: 'Virtual_Response' }, classifySchema).value).toEqual({
      intent: 'virtual_response',
    });
    expect(coerceToSchema({ intent: 'make_app' }, classifySchema).value).toEqual({
      intent: 'make_app',
    });
  });

  it('reads numbers and booleans written as strings where the schema says so', () => {
    const schema = {
      type: 'object',
      properties: {
        n: { type: 'integer' },
        x: { type: 'number' },
        on: { type: 'boolean' },
        s: { type: 'string' },
        maybe: { type: ['number', 'null'] },
      },
    };
    expect(
      coerceToSchema({ n: ' 3 ', x: '-1.5e2', on: 'FALSE', s: '4', maybe: '2' }, schema).value,
    ).toEqual({ n: 3, x: -150, on: false, s: '4', maybe: 2 });
    // Not a whole number: left for the schema check to report.
    expect(coerceToSchema({ n: '3.5' }, schema).value).toEqual({ n: '3.5' });
    expect(coerceToSchema({ on: 'yes' }, schema).value).toEqual({ on: true });
    expect(coerceToSchema({ on: 'maybe' }, schema).value).toEqual({ on: 'maybe' });
  });

  it('walks into arrays of objects', () => {
    const schema = toJSONSchema(ToolPlan, { io: 'input', unrepresentable: 'any' });
    const { value } = coerceToSchema(
      { Create: [{ Name: 'x_tool', ARGV: 'true', Examples: [{ Args: {} }] }] },
      schema,
    );
    expect(value).toEqual({
      create: [{ name: 'x_tool', argv: true, examples: [{ args: {} }] }],
    });
  });

  it('reads a list of one written as the item, and objects written as JSON strings', () => {
    const schema = toJSONSchema(ToolPlan, { io: 'input', unrepresentable: 'any' });
    expect(coerceToSchema({ create: { name: 'x_tool' } }, schema).value).toEqual({
      create: [{ name: 'x_tool' }],
    });
    expect(
      coerceToSchema({ create: [{ examples: [{ args: '{"a": 1}' }] }] }, schema).value,
    ).toEqual({ create: [{ examples: [{ args: { a: 1 } }] }] });
    // A list of strings is not made from an object.
    expect(coerceToSchema({ use: { x: true } }, schema).value).toEqual({ use: { x: true } });
  });

  it('flags an unknown key that could be a missing defaulted field, not other extras', () => {
    const schema = toJSONSchema(ToolPlan, { io: 'input', unrepresentable: 'any' });
    const hidden = coerceToSchema({ tools: [{ name: 'x' }] }, schema);
    expect(hidden.issues).toHaveLength(1);
    expect(hidden.issues[0]).toMatch(/^- tools: unknown field; did you mean "use" or "create"/);
    // A reasoning string next to missing lists hides nothing.
    expect(coerceToSchema({ reasoning: 'none needed', use: [] }, schema).issues).toEqual([]);
    // With every defaulted field present, an extra key is ignored as before.
    expect(
      coerceToSchema({ use: [], create: [], change: [], tools: ['x'] }, schema).issues,
    ).toEqual([]);
  });

  it('keeps __proto__ keys as data', () => {
    const { value } = coerceToSchema(JSON.parse('{"__proto__": {"polluted": 1}}'), classifySchema);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

describe('checkJsonReply', () => {
  it('takes the last object that passes when a draft comes first', () => {
    const checked = checkJsonReply(
      reply(
        'Draft: {"intent": "new_app", "title": "A"}\nFinal: {"intent": "virtual_response", "title": "B"}',
      ),
      ClassifyReply,
    );
    expect(checked).toMatchObject({ ok: true, value: { intent: 'virtual_response', title: 'B' } });
  });

  it('falls back to an earlier object when the last one does not pass', () => {
    const checked = checkJsonReply(
      reply('{"intent": "new_app", "title": "A"}\nFor example: {"x": 1}'),
      ClassifyReply,
    );
    expect(checked).toMatchObject({ ok: true, value: { intent: 'new_app', title: 'A' } });
  });

  it('reads an answer the model wrapped under a name of its own', () => {
    for (const text of [
      '{"classification": {"intent": "new_app", "title": "A"}}',
      '{"Result": {"intent": "NEW_APP", "title": "A", "tools": null}}',
    ]) {
      expect(checkJsonReply(reply(text), ClassifyReply), text).toMatchObject({
        ok: true,
        value: { intent: 'new_app', title: 'A', tools: [] },
      });
    }
  });

  it('reports the extra check when the value passes the schema but not the run', () => {
    const checked = checkJsonReply(
      reply('{"intent": "new_app", "title": "A"}'),
      ClassifyReply,
      () => 'needs a tool',
    );
    expect(checked).toEqual({ ok: false, problem: 'needs a tool' });
  });

  it('says which unknown key stands in for a missing field', () => {
    const checked = checkJsonReply(reply('{"tools": [{"name": "x"}]}'), ToolPlan);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problem).toMatch(/- tools: unknown field/);
  });
});

describe('checkJsonReply with an answer cut after a draft', () => {
  it('does not take the draft when the answer after it was cut off', () => {
    const checked = checkJsonReply(
      {
        ...reply('Draft: {"intent": "new_app", "title": "A"}\nFinal: {"intent": "virtual_resp'),
        finishReason: 'length',
      },
      ClassifyReply,
    );
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problem).toMatch(/never closed.*cut off at the token limit/s);
  });
});
