import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadScenarioDir,
  loadScenarios,
  ScenarioBook,
  textMatcher,
  type Scenario,
} from './scenarios';
import { postStream, startSim, streamedText, userMessage } from './test-helpers';

const scenario = (partial: Partial<Scenario> & { name: string }): Scenario => ({
  source: 'builtin',
  file: `${partial.name}.json`,
  steps: [{ content: partial.name }],
  ...partial,
});

const input = (user: string, stage: Scenario['stage'] | null = 'classify', system = '') => ({
  stage: stage ?? null,
  users: [user],
  system,
});

describe('textMatcher', () => {
  it('matches substrings case-insensitively', () => {
    expect(textMatcher('Benchmark App')('please build the benchmark app now')).toBe(true);
    expect(textMatcher('benchmark app')('a notes app')).toBe(false);
  });
  it('treats /pattern/flags as a regular expression', () => {
    const m = textMatcher('/^sim:(fence|think)-\\w+$/i');
    expect(m('SIM:fence-classify')).toBe(true);
    expect(m('x sim:fence-classify')).toBe(false);
  });
});

describe('ScenarioBook', () => {
  it('prefers a text match over a stage-only scenario, and extra over built-in', () => {
    const book = new ScenarioBook([
      scenario({ name: 'stage-only', stage: 'classify' }),
      scenario({ name: 'extra-stage-only', stage: 'classify', source: 'extra' }),
      scenario({ name: 'builtin-match', stage: 'classify', match: textMatcher('notes') }),
      scenario({
        name: 'extra-match',
        stage: 'classify',
        match: textMatcher('notes'),
        source: 'extra',
      }),
    ]);
    expect(book.select(input('a notes app'))?.scenario.name).toBe('extra-match');
    expect(book.select(input('a todo app'))?.scenario.name).toBe('extra-stage-only');
    expect(book.select(input('a todo app', 'content'))).toBeNull();
  });

  it('matches any user message, so a re-ask stays in its scenario', () => {
    const book = new ScenarioBook([
      scenario({ name: 're-ask', stage: 'classify', match: textMatcher('sim:x') }),
    ]);
    const reask = {
      stage: 'classify' as const,
      users: ['sim:x', 'Your previous answer could not be used.'],
      system: '',
    };
    expect(book.select(reask)?.scenario.name).toBe('re-ask');
  });

  it('checks matchSystem against the system prompt', () => {
    const book = new ScenarioBook([scenario({ name: 'sys', matchSystem: textMatcher('router') })]);
    expect(book.select(input('x', 'classify', 'You are a router'))?.scenario.name).toBe('sys');
    expect(book.select(input('x', 'classify', 'You write apps'))).toBeNull();
  });

  it('serves responses in order, repeats the last, and resets', () => {
    const book = new ScenarioBook([
      scenario({
        name: 'ordered',
        stage: 'classify',
        steps: [{ content: 'one' }, { content: 'two' }],
      }),
    ]);
    const served = [1, 2, 3].map(() => book.select(input('x'))?.step.content);
    expect(served).toEqual(['one', 'two', 'two']);
    book.reset();
    expect(book.select(input('x'))?.step.content).toBe('one');
  });
});

describe('scenario files', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'llm-sim-scenarios-'));
    await writeFile(path.join(dir, 'page.html'), '<!DOCTYPE html><html><body>extra</body></html>');
    await writeFile(
      path.join(dir, 'custom.json'),
      JSON.stringify([
        {
          stage: 'app_generate',
          match: 'benchmark app',
          responses: [{ contentFile: 'page.html' }],
        },
        {
          stage: 'classify',
          match: 'flaky',
          responses: [{ fault: '500', times: 1, content: '{"ok":1}' }],
        },
      ]),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the built-in scenarios', async () => {
    const names = (await loadScenarios()).map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['benchmark-app', 'malformed-classify', 'rate-limit']),
    );
  });

  it('loads an extra folder, reads contentFile, expands times', async () => {
    const [page, flaky] = await loadScenarioDir(dir, 'extra');
    expect(page).toMatchObject({ name: 'custom#1', source: 'extra', stage: 'app_generate' });
    expect(page?.steps).toEqual([{ content: '<!DOCTYPE html><html><body>extra</body></html>' }]);
    expect(flaky?.steps).toEqual([{ fault: '500' }, { content: '{"ok":1}' }]);
  });

  it('lets extra scenarios win over built-in ones over HTTP', async () => {
    const sim = await startSim({ scenariosDir: dir });
    try {
      const result = await postStream(sim.baseURL, userMessage('benchmark app'), {
        'x-hyperdesk-stage': 'app_generate',
      });
      expect(streamedText(result.chunks)).toBe('<!DOCTYPE html><html><body>extra</body></html>');
    } finally {
      await sim.app.close();
    }
  });

  it('names the file and the problem when a scenario is invalid', async () => {
    const bad = await mkdtemp(path.join(tmpdir(), 'llm-sim-bad-'));
    try {
      await writeFile(
        path.join(bad, 'bad.json'),
        JSON.stringify({ match: 'x', responses: [{ fault: 'explode' }] }),
      );
      await expect(loadScenarioDir(bad, 'extra')).rejects.toThrow(
        /bad\.json is invalid:\n {2}responses\.0\.fault/,
      );
      await writeFile(
        path.join(bad, 'bad.json'),
        JSON.stringify({ responses: [{ content: 'x' }] }),
      );
      await expect(loadScenarioDir(bad, 'extra')).rejects.toThrow(
        /needs a stage, a match or a matchSystem/,
      );
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('says which folder is missing', async () => {
    await expect(loadScenarios('/nonexistent/scenarios')).rejects.toThrow(
      /Cannot read the scenario folder/,
    );
  });
});
