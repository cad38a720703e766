import { describe, expect, it } from 'vitest';
import { structuredProblem } from './ask';

const schema = {
  type: 'object',
  properties: { items: { type: 'array', items: { type: 'number' }, minItems: 3 } },
  required: ['items'],
};

describe('structuredProblem', () => {
  it('accepts JSON that matches, also inside prose or a fence', async () => {
    expect(await structuredProblem('{"items": [1, 2, 3]}', schema)).toBeNull();
    expect(await structuredProblem('Here:\n```json\n{"items": [1, 2, 3]}\n```', schema)).toBeNull();
  });

  it('says what is wrong with JSON that does not match, or is not JSON', async () => {
    expect(await structuredProblem('{"items": [1, 2]}', schema)).toMatch(
      /^The JSON does not match the schema: \/items must NOT have fewer than 3 items/,
    );
    expect(await structuredProblem('Sure! {"items": [one, two]}', schema)).toMatch(
      /JSON is invalid/,
    );
    expect(await structuredProblem('no numbers today', schema)).toMatch(/No JSON/);
  });
});
