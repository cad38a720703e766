import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@hyperdesk/shared';
import { routeClassification, toolCatalog, type Classification } from './classify';

const run: RunRecord = {
  id: 'run_1',
  owner: 'local',
  prompt: 'x',
  state: 'CLASSIFYING',
  createdAt: 1,
};
const c = (over: Partial<Classification>): Classification => ({
  intent: 'new_app',
  title: 'T',
  tools: [],
  needsNewTools: false,
  ...over,
});

describe('routeClassification', () => {
  it('sends an app that existing tools can serve straight to generation (two model calls)', () => {
    expect(routeClassification(run, c({})).state).toBe('GENERATING_APP');
    expect(routeClassification(run, c({ needsNewTools: true })).state).toBe('PLANNING_TOOLS');
  });

  it('routes each intent to its state', () => {
    expect(routeClassification(run, c({ intent: 'virtual_response' })).state).toBe(
      'GENERATING_CONTENT',
    );
    expect(routeClassification(run, c({ intent: 'tool_only' })).state).toBe('PLANNING_TOOLS');
  });

  it('does not trust the model about the current app', () => {
    // update/diagnose without an app to work on make a new app
    expect(routeClassification(run, c({ intent: 'update_app' })).patch?.intent).toBe('new_app');
    expect(routeClassification(run, c({ intent: 'diagnose_error' })).patch?.intent).toBe('new_app');
    // attached errors on an app always mean diagnosis
    const withErrors = { ...run, appId: 'app_1', errors: '["TypeError: x"]' };
    expect(routeClassification(withErrors, c({ intent: 'update_app' })).state).toBe('DIAGNOSING');
  });
});

describe('routeClassification with open windows', () => {
  it('refines an open window’s app the model names', () => {
    const next = routeClassification(run, c({ intent: 'update_app', appId: 'app_notes' }), [
      'app_notes',
    ]);
    expect(next).toMatchObject({
      state: 'GENERATING_APP',
      patch: { intent: 'update_app', appId: 'app_notes' },
    });
  });

  it('does not refine an app that is not open on the desktop', () => {
    const next = routeClassification(run, c({ intent: 'update_app', appId: 'app_other' }), [
      'app_notes',
    ]);
    expect(next.patch?.intent).toBe('new_app');
    expect(next.patch?.appId).toBeUndefined();
  });
});

describe('toolCatalog', () => {
  const tools = [
    { name: 'word_count', description: 'Counts the words of a text.' },
    { name: 'disk_usage', description: 'Used and free space of each mounted disk.' },
  ];

  it('lists every tool of a small library, one line each', () => {
    expect(toolCatalog(tools, 'a dashboard')).toBe(
      '- word_count: Counts the words of a text.\n- disk_usage: Used and free space of each mounted disk.',
    );
  });

  it('keeps a large library within bounds, the tools the request names first', () => {
    const many = [
      ...Array.from({ length: 500 }, (_, i) => ({
        name: `tool_${i}`,
        description: `Does thing number ${i} in a long and careful way. `.repeat(10),
      })),
      ...tools,
    ];
    const catalog = toolCatalog(many, 'show my disk usage as a chart');
    expect(catalog.length).toBeLessThanOrEqual(4_200);
    expect(catalog.split('\n')[0]).toMatch(/^- disk_usage: /);
    expect(catalog).toMatch(/\(\d+ more tools not listed/);
    expect(catalog.split('\n').every((line) => line.length < 200)).toBe(true);
  });
});
