import { describe, expect, it } from 'vitest';
import type { ToolPlan } from '@hyperdesk/shared';
import { normalizePlan, planProblem } from './plan';

const tool = {
  name: 'scale',
  description: 'Multiplies a value.',
  args: {
    type: 'object',
    properties: {
      value: { type: 'number' },
      times: { type: 'integer' },
      round: { type: 'boolean' },
    },
  },
  returns: { type: 'object' },
  examples: [{ args: { value: '2.5', times: '3', round: 'false' } }],
};
const plan = (p: Partial<ToolPlan>): ToolPlan => ({ use: [], create: [], change: [], ...p });

describe('normalizePlan', () => {
  it('coerces example and call args to the args schema', () => {
    const normal = normalizePlan(
      plan({ create: [tool], call: { tool: 'scale', args: { value: '1', times: '2' } } }),
    );
    expect(normal.create[0]?.examples[0]?.args).toEqual({ value: 2.5, times: 3, round: false });
    expect(normal.call?.args).toEqual({ value: 1, times: 2 });
  });
});

describe('planProblem', () => {
  const existing = new Set(['disk_usage']);
  it('accepts a plan with a tool to create, use or change', () => {
    expect(planProblem(plan({ create: [tool] }), { intent: 'new_app' }, existing)).toBeNull();
    expect(planProblem(plan({ use: ['disk_usage'] }), { intent: 'new_app' }, existing)).toBeNull();
    expect(
      planProblem(
        plan({ change: [{ name: 'disk_usage', reason: 'x' }] }),
        { intent: 'new_app' },
        existing,
      ),
    ).toBeNull();
  });

  it('refuses a plan without any tool, naming tools that are not listed', () => {
    expect(planProblem(plan({}), { intent: 'new_app' }, existing)).toMatch(/has no tool/);
    expect(planProblem(plan({ use: ['cpu_temp'] }), { intent: 'new_app' }, existing)).toMatch(
      /cpu_temp is not a listed tool/,
    );
  });

  it('asks a one-off run for the call', () => {
    expect(planProblem(plan({ create: [tool] }), { intent: 'tool_only' }, existing)).toMatch(
      /"call" must name the tool/,
    );
    expect(
      planProblem(
        plan({ create: [tool], call: { tool: 'scale', args: {} } }),
        { intent: 'tool_only' },
        existing,
      ),
    ).toBeNull();
  });
});
