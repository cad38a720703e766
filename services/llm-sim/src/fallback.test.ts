import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  ClassifyReply,
  DiagnoseReply,
  extractHtml,
  formatSections,
  ToolInterface,
  ToolPlan,
  tokensBeforeVisible,
  type LlmStage,
} from '@hyperdesk/shared';
import { classifyFallback, diagnoseFallback, fallbackAnswer, planToolsFallback } from './fallback';
import { SYSTEM_STATS_TOOL } from './fallback-tool';
import type { Conversation } from './request';

const conversation = (stage: LlmStage, user: string, system = ''): Conversation => ({
  stage,
  users: [user],
  user,
  system,
  promptChars: user.length,
  maxTokens: null,
});

const tools = '- cpu_temp: CPU temperature in °C\n- disk_usage: free space per mount';

function runPython(code: string, args: unknown): unknown {
  const run = spawnSync('python3', ['-c', code], {
    input: JSON.stringify(args),
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

describe('classify fallback', () => {
  const classify = (request: string, extra: Record<string, string> = {}) =>
    ClassifyReply.parse(
      classifyFallback(formatSections({ Request: request, 'Existing tools': tools, ...extra })),
    );

  it('reads a new app and titles it', () => {
    expect(classify('a markdown notes app')).toEqual({
      intent: 'new_app',
      title: 'Markdown Notes',
      tools: [],
      needsNewTools: false,
    });
  });

  it('names existing tools the request needs', () => {
    expect(classify('a dashboard that shows my CPU temperature')).toMatchObject({
      intent: 'new_app',
      title: 'Dashboard CPU Temperature',
      tools: ['cpu_temp'],
      needsNewTools: false,
    });
  });

  it('asks for new tools when the host is needed and no tool fits', () => {
    expect(classify('an app that lists running processes')).toMatchObject({
      tools: [],
      needsNewTools: true,
    });
  });

  it('recognises content, one-shot tool runs, refinements and errors', () => {
    expect(classify('a csv of the planets and their moons')).toMatchObject({
      intent: 'virtual_response',
      contentType: 'text/csv',
    });
    expect(classify('what is my disk usage')).toMatchObject({
      intent: 'tool_only',
      tools: ['disk_usage'],
    });
    expect(classify('make the buttons blue', { 'Current app': 'Notes' })).toMatchObject({
      intent: 'update_app',
    });
    expect(
      classify('it broke', { 'Current app': 'Notes', Errors: 'TypeError: x is undefined' }),
    ).toMatchObject({
      intent: 'diagnose_error',
    });
  });

  it('understands Label: paragraphs too', () => {
    const user = `Request: a markdown notes app\n\nExisting tools:\n(none)\n\nCurrent app: (none)`;
    expect(ClassifyReply.parse(classifyFallback(user)).intent).toBe('new_app');
  });
});

describe('plan_tools fallback', () => {
  it('uses existing tools and designs none when they fit', () => {
    const plan = ToolPlan.parse(
      planToolsFallback(formatSections({ Request: 'show cpu temperature', Tools: tools })),
    );
    expect(plan).toEqual({ use: ['cpu_temp'], create: [], change: [] });
  });

  it('designs system_stats for host requests, with a call for one-shot requests', () => {
    const plan = ToolPlan.parse(
      planToolsFallback(formatSections({ Request: 'what is my memory usage' })),
    );
    expect(plan.create.map((t) => t.name)).toEqual(['system_stats']);
    expect(plan.call).toEqual({ tool: 'system_stats', args: {} });
  });

  it('plans nothing for a plain app', () => {
    expect(planToolsFallback(formatSections({ Request: 'a pomodoro timer' }))).toEqual({
      use: [],
      create: [],
      change: [],
    });
  });
});

describe('tool fallback', () => {
  it('system_stats is a valid interface and a working Python tool', () => {
    ToolInterface.parse(SYSTEM_STATS_TOOL);
    const code = fallbackAnswer(
      conversation('tool_write', formatSections({ Tool: JSON.stringify(SYSTEM_STATS_TOOL) })),
    );
    const result = runPython(code, {}) as Record<string, unknown>;
    expect(result).toMatchObject({ platform: expect.any(String), cpuCount: expect.any(Number) });
    expect(Array.isArray(result.loadAverage)).toBe(true);
  });

  it('any other tool answers its first example result', () => {
    const tool = {
      name: 'greet',
      description: 'x',
      args: {},
      returns: {},
      examples: [{ args: {}, result: { hi: 'there "you"' } }],
    };
    const code = fallbackAnswer(
      conversation('tool_repair', formatSections({ Tool: JSON.stringify(tool) })),
    );
    expect(runPython(code, { a: 1 })).toEqual({ hi: 'there "you"' });
  });

  it('without examples it echoes its args', () => {
    const code = fallbackAnswer(conversation('tool_write', 'write a tool'));
    expect(runPython(code, { a: 1 })).toEqual({ ok: true, args: { a: 1 } });
  });
});

describe('app fallback', () => {
  it('is a complete document titled after the request, calling the listed tools', () => {
    const text = fallbackAnswer(
      conversation(
        'app_generate',
        formatSections({ Request: 'a <b>reading</b> list app', Tools: '- cpu_temp: x' }),
      ),
    );
    const { html, truncated } = extractHtml(text);
    expect(truncated).toBe(false);
    expect(html).toBe(text.trim());
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<title>B Reading B List</title>');
    expect(html).toContain('const TOOLS = ["cpu_temp"];');
    expect(html).not.toContain('<b>');
    // The generation contract: a head without styles, markup first, styles after it, then the script.
    const head = html.slice(0, html.indexOf('<body>'));
    expect(head).not.toMatch(/<style|<script/);
    const body = html.slice(html.indexOf('<body>') + '<body>'.length);
    expect(body.trimStart()).toMatch(/^<main\b/);
    expect(body.indexOf('<style>')).toBeGreaterThan(body.indexOf('</main>'));
    expect(body.indexOf('<script>')).toBeGreaterThan(body.indexOf('</style>'));
    expect(tokensBeforeVisible(html, 1000)).toBeLessThan(60);
  });

  it('keeps the title of the document it repairs', () => {
    const text = fallbackAnswer(
      conversation(
        'app_repair',
        formatSections({
          Request: 'notes',
          'Current document': '<html><head><title>My Notes</title></head></html>',
        }),
      ),
    );
    expect(text).toContain('<title>My Notes</title>');
  });
});

describe('diagnose and content fallbacks', () => {
  it('blames a tool named in the errors, else the app', () => {
    const toolFault = diagnoseFallback(
      formatSections({ Tools: tools, Errors: 'tool cpu_temp failed: exit 1' }),
    );
    expect(DiagnoseReply.parse(toolFault)).toMatchObject({ fault: 'tool', tool: 'cpu_temp' });
    const appFault = diagnoseFallback(formatSections({ Errors: 'TypeError: x is undefined' }));
    expect(DiagnoseReply.parse(appFault)).toMatchObject({ fault: 'app' });
  });

  it('writes the content type the request names', () => {
    const csv = fallbackAnswer(
      conversation('content', formatSections({ Request: 'a CSV of sales' })),
    );
    expect(csv.split('\n')[0]).toBe('id,name,region,value,date');
    const json = fallbackAnswer(
      conversation('content', 'sales figures', 'Reply with content of type application/json'),
    );
    expect(JSON.parse(json)).toMatchObject({ items: expect.any(Array) });
    const md = fallbackAnswer(conversation('content', 'a short poem about tea'));
    expect(md).toMatch(/^# Short Poem About Tea\n/);
  });
});

describe('reading tool lists', () => {
  it('takes names from list items, not from indented detail lines', () => {
    const list = [
      '- cpu_temp: CPU temperature',
      '  args: {"type":"object"}',
      '  returns: {"type":"object"}',
      '  example: hyperdesk.tool("cpu_temp", {})',
      '- disk_usage: free space | args: {}',
    ].join('\n');
    const text = fallbackAnswer(
      conversation('app_generate', `Request: a dashboard\n\nAvailable tools:\n${list}`),
    );
    expect(text).toContain('const TOOLS = ["cpu_temp","disk_usage"];');
  });
});
