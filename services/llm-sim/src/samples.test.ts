import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ClassifyReply,
  formatSections,
  isGenericSimApp,
  ToolPlan,
  type LlmStage,
} from '@hyperdesk/shared';
import { classifyFallback, fallbackAnswer, planToolsFallback } from './fallback';
import type { Conversation } from './request';
import { SAMPLES, SAMPLES_DIR, sampleDocument, sampleFor } from './samples';

const conversation = (stage: LlmStage, user: string): Conversation => ({
  stage,
  users: [user],
  user,
  system: '',
  promptChars: user.length,
  maxTokens: null,
});

const STATS_TOOL = '- system_stats: CPU count, usage and load, memory, disk usage and uptime';

describe('the sample gallery', () => {
  it('has a file for every sample and a sample for every file', () => {
    const files = readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.html'));
    expect(files.sort()).toEqual(SAMPLES.map((s) => s.file).sort());
    expect(SAMPLES.length).toBeGreaterThanOrEqual(8);
  });

  it.each(SAMPLES.map((s) => [s.file, s] as const))(
    '%s follows the generation contract: markup first, short CSS after it, scripts last',
    (_file, sample) => {
      const html = sampleDocument(sample);
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html.trimEnd()).toMatch(/<\/html>$/);
      const head = html.slice(0, html.indexOf('<body>'));
      expect(head).not.toMatch(/<style|<script/);
      const body = html.slice(html.indexOf('<body>') + '<body>'.length);
      // The first thing in the body is visible markup, not styles or code.
      expect(body.trimStart()).toMatch(/^<(main|header|div|section)\b/);
      const style = body.indexOf('<style>');
      const css = body.slice(style, body.indexOf('</style>'));
      expect(css.split('\n').length).toBeLessThan(40);
      // Its colours are the design system's, so it follows the desktop's theme.
      expect(css).toMatch(/var\(--hd-(bg|text)\)/);
      expect(css).not.toMatch(/color-scheme/);
      expect(body.indexOf('<script')).toBeGreaterThan(style);
      expect(body.slice(body.lastIndexOf('</script>') + 9).trim()).toBe('</body>\n</html>');
      // Only the tools the sample declares, and no storage it cannot count on.
      const called = [...html.matchAll(/hyperdesk\.tool\('([a-z_]+)'/g)].map((m) => m[1]);
      expect(called.every((name) => sample.tools.includes(name ?? ''))).toBe(true);
      expect(html).not.toMatch(/localStorage|sessionStorage|fetch\(/);
      // A window's frame may not submit forms: buttons and keys do the work.
      expect(html).not.toMatch(/<form\b|type="submit"/);
    },
  );

  it('is chosen by specific words, never by common ones', () => {
    for (const sample of SAMPLES) expect(sampleFor(sample.example)).toBe(sample);
    expect(sampleFor('A pomodoro timer showing 25:00 with Start and Reset buttons.')?.file).toBe(
      'pomodoro.html',
    );
    expect(sampleFor('A Markdown editor with a live preview')?.file).toBe('notes.html');
    expect(sampleFor('a temperature converter')?.file).toBe('converter.html');
    for (const request of [
      'a notes app',
      'add a save button to my notes window',
      'a to-do list',
      'a tic-tac-toe game',
      'a board for the team',
      'a timer',
      'convert this text to upper case',
      'a dashboard that shows my CPU temperature',
      'Write a Markdown cheat sheet for git',
    ]) {
      expect(sampleFor(request), request).toBeNull();
    }
  });
});

describe('the fallback answers for a sample', () => {
  it('classifies a sample request as a new app with the sample’s title', () => {
    const reply = ClassifyReply.parse(
      classifyFallback(formatSections({ Request: 'markdown notes with a live preview' })),
    );
    expect(reply).toEqual({
      intent: 'new_app',
      title: 'Markdown Notes',
      tools: [],
      needsNewTools: false,
    });
  });

  it('has the system monitor design system_stats, or use it once the library has it', () => {
    const request = 'a system monitor with a live chart';
    expect(classifyFallback(formatSections({ Request: request }))).toMatchObject({
      intent: 'new_app',
      title: 'System Monitor',
      tools: [],
      needsNewTools: true,
    });
    const plan = ToolPlan.parse(planToolsFallback(formatSections({ Request: request })));
    expect(plan.create.map((t) => t.name)).toEqual(['system_stats']);
    expect(plan.call).toBeUndefined();

    const withTool = formatSections({ Request: request, 'Existing tools': STATS_TOOL });
    expect(classifyFallback(withTool)).toMatchObject({
      tools: ['system_stats'],
      needsNewTools: false,
    });
    expect(planToolsFallback(withTool)).toMatchObject({ use: ['system_stats'], create: [] });
  });

  it('writes the sample for a new app, and the marked generic app otherwise', () => {
    const app = (request: string, tools = '(none)') =>
      fallbackAnswer(
        conversation(
          'app_generate',
          formatSections({ Request: request, 'Available tools': tools }),
        ),
      );
    const kanban = SAMPLES.find((s) => s.file === 'kanban.html');
    const monitor = SAMPLES.find((s) => s.file === 'system-monitor.html');
    if (!kanban || !monitor) throw new Error('samples missing');

    expect(app('a kanban board for my chores')).toBe(sampleDocument(kanban));
    expect(app('a system monitor', STATS_TOOL)).toBe(sampleDocument(monitor));
    expect(isGenericSimApp(sampleDocument(kanban))).toBe(false);
    // Without the tool it calls, the sample would fail its check: the generic app instead.
    expect(isGenericSimApp(app('a system monitor'))).toBe(true);
    expect(isGenericSimApp(app('a reading list'))).toBe(true);
  });

  it('refines and repairs with the generic app, as before', () => {
    const refined = fallbackAnswer(
      conversation(
        'app_generate',
        formatSections({
          Request: 'make the kanban board blue',
          'Current document': '<html><head><title>Kanban Board</title></head></html>',
        }),
      ),
    );
    expect(isGenericSimApp(refined)).toBe(true);
  });
});
