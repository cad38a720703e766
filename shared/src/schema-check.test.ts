import { describe, expect, it } from 'vitest';
import { checkSchema } from './schema-check';
import { compileSchema, schemaErrors } from './schema';

describe('checking values against schemas people wrote', () => {
  it('runs patterns in linear time, in properties and in property names', async () => {
    const schema = {
      type: 'object',
      properties: { word: { type: 'string', pattern: '^(a+)+$' } },
      patternProperties: { '^(x+x+)+y$': { type: 'number' } },
    };
    expect(schemaErrors(schema, { word: `${'a'.repeat(50_000)}!` }, 'x')).toMatch(
      /must match pattern/,
    );
    expect(await checkSchema(schema, { word: `${'a'.repeat(50_000)}!` }, 'x')).toMatch(
      /must match pattern/,
    );
    expect(
      await checkSchema(schema, { word: 'aaa', ['x'.repeat(50_000)]: 'not a number' }, 'x'),
    ).toBeNull();
    expect(await checkSchema(schema, { word: 'aaa' }, 'x')).toBeNull();
  });

  it('refuses patterns that need backtracking, as an invalid schema', () => {
    for (const pattern of ['(?=a)a', '(?<!b)a', '(a)\\1']) {
      expect(() => compileSchema({ type: 'string', pattern }, 'The args schema')).toThrow(
        /lookaround and backreferences/,
      );
    }
  });

  it('stops a check that would take too long, and answers the next one', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ k: [i] }));
    const unique = { type: 'array', uniqueItems: true };
    const defs: Record<string, unknown> = { d40: { type: 'integer' } };
    for (let i = 0; i < 40; i++) {
      defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    }
    const [slow, exponential, quick] = await Promise.all([
      checkSchema(unique, rows, 'the args schema'),
      checkSchema({ $defs: defs, $ref: '#/$defs/d0' }, 'x', 'the args schema'),
      checkSchema({ type: 'object', required: ['a'] }, {}, 'the args schema'),
    ]);
    expect(slow).toMatch(/too costly/);
    expect(exponential).toMatch(/too costly/);
    expect(quick).toBe("(root) must have required property 'a'");
    expect(await checkSchema(unique, [{ a: 1 }, { a: 1 }], 'x')).toMatch(/duplicate items/);
  });

  it('refuses schemas and values nested too deep, without recursing into them', async () => {
    let deep: Record<string, unknown> = { type: 'object' };
    for (let i = 0; i < 100_000; i++) deep = { items: deep };
    expect(() => compileSchema(deep, 'The args schema')).toThrow(/nests more than 64 levels/);
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(await checkSchema({ type: 'array' }, value, 'x')).toMatch(/nests more than/);
  });
});
