import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AppChecker, checkContent, factChecks } from '../evals/checks';
import type { RequestResult, ResultFile } from '../evals/figures';

const root = fileURLToPath(new URL('..', import.meta.url));
const scenarios = fileURLToPath(new URL('../evals/scenarios', import.meta.url));

function evalCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'evals/run.ts', ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 580_000, maxBuffer: 10_000_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run eval against the simulator (smoke suite)', () => {
  const out = mkdtempSync(join(tmpdir(), 'hyperdesk-eval-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs every request through the pipeline and writes figures that match the scenarios', async () => {
    const run = await evalCli(['--provider', 'sim', '--suite', 'smoke', '--out', out]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const files = readdirSync(out).sort();
    const json = files.find((f) => /^\d{4}-\d{2}-\d{2}-sim-hyperdesk-sim-smoke\.json$/.test(f));
    expect(json, files.join(', ')).toBeDefined();
    expect(files).toContain(json?.replace(/\.json$/, '.md'));
    expect(files).toContain('README.md');

    const result = JSON.parse(readFileSync(join(out, json ?? ''), 'utf8')) as ResultFile;
    expect(result).toMatchObject({ suite: 'smoke', provider: 'sim', model: 'hyperdesk-sim' });
    expect(result.complete).toBe(true);
    const byId = Object.fromEntries(result.requests.map((r) => [r.id, r])) as Record<
      string,
      RequestResult
    >;
    expect(Object.keys(byId)).toEqual([
      'counter',
      'scratch-pad',
      'workspace-files',
      'sales-csv',
      'bitcoin-network',
    ]);

    // A clean first answer: two calls, no repair, every check passed.
    expect(byId.counter).toMatchObject({ state: 'DONE', outcome: 'success', appRepairs: 0 });
    expect(byId.counter?.stages).toEqual(['classify', 'app_generate']);
    expect(byId.counter?.checks.map((c) => c.name)).toContain('click /reset/');
    // The first app throws at load; the check catches it and the repair fixes it.
    expect(byId['scratch-pad']).toMatchObject({ outcome: 'success', appRepairs: 1 });
    expect(byId['scratch-pad']?.stages).toContain('app_repair');
    // The first tool prints the wrong shape; one repair, then its output has the workspace files.
    expect(byId['workspace-files']).toMatchObject({ outcome: 'success', toolRepairs: 1 });
    expect(byId['workspace-files']?.tools).toEqual(['list_workspace_files']);
    expect(byId['workspace-files']?.checks.find((c) => c.name.includes('sales.csv'))?.ok).toBe(
      true,
    );
    // A malformed classification is re-asked (a third call), not repaired.
    expect(byId['sales-csv']).toMatchObject({ outcome: 'success', appRepairs: 0, toolRepairs: 0 });
    expect(byId['sales-csv']?.stages).toEqual(['classify', 'classify', 'content']);
    // The tool needs the network: every repair fails and the run fails with the reason.
    expect(byId['bitcoin-network']).toMatchObject({
      state: 'FAILED',
      outcome: 'failed',
      expectedFailure: true,
      failedCleanly: true,
      toolRepairs: 3,
    });
    expect(byId['bitcoin-network']?.error).toMatch(/bitcoin_price/);

    for (const r of result.requests) {
      expect(r.modelCalls).toBe(r.stages.length);
      expect(r.promptTokens).toBeGreaterThan(0);
      expect(r.completionTokens).toBeGreaterThan(0);
      expect(r.doneMs).toBeGreaterThan(0);
      expect(r.costUsd).toBe(0);
    }
    // Apps record how much they wrote before showing anything; content does not.
    for (const id of ['counter', 'scratch-pad', 'workspace-files']) {
      expect(byId[id]?.tokensBeforeVisible).toBeGreaterThan(0);
      expect(byId[id]?.tokensBeforeVisible).toBeLessThan(byId[id]?.completionTokens ?? 0);
    }
    expect(byId['sales-csv']?.tokensBeforeVisible).toBeNull();
    for (const id of ['counter', 'scratch-pad', 'workspace-files', 'sales-csv']) {
      expect(byId[id]?.firstPixelMs).toBeGreaterThan(0);
      expect(byId[id]?.firstPixelMs).toBeLessThanOrEqual(byId[id]?.doneMs ?? 0);
    }

    expect(result.summary).toMatchObject({
      requests: 5,
      scored: 4,
      successFirstTime: 2,
      successAfterRepair: 2,
      failed: 0,
      successRateFirstTime: 0.5,
      successRate: 1,
      repairsPerSuccess: 0.5,
      deliberateFailures: 1,
      failedCleanly: 1,
      costUsd: 0,
    });
    const calls = result.requests.reduce((a, r) => a + r.modelCalls, 0);
    expect(result.summary.modelCallsPerRequest).toBeCloseTo(calls / 5);

    const summary = readFileSync(join(out, json?.replace(/\.json$/, '.md') ?? ''), 'utf8');
    expect(summary).toContain('| success, first time | 2/4 (50 %) |');
    expect(summary).toContain('| success, after repair | 4/4 (100 %) |');
    expect(summary).toMatch(/\| median tokens before an app shows anything \| \d+ \|/);
    expect(summary).toMatch(/\| bitcoin-network \| failure \| FAILED \| failed \(as intended\)/);

    const compare = await evalCli(['--compare', '--out', out]);
    expect(compare.code).toBe(0);
    expect(compare.stdout).toContain(`[${json}]`);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(
      '| sim | hyperdesk-sim | smoke | 5 | 50 % | 100 % |',
    );
  }, 300_000);

  it('says which key to set when a hosted provider has none, before starting anything', async () => {
    const run = await evalCli(['--provider', 'groq', '--suite', 'smoke', '--out', out], {
      GROQ_API_KEY: '',
      LLM_API_KEY: '',
      LLM_BASE_URL: '',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/GROQ_API_KEY/);
    const bad = await evalCli(['--provider', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown provider "nope".*cerebras/);
  });
});

describe('recorded transcripts: record with one model, replay offline', () => {
  const out = mkdtempSync(join(tmpdir(), 'hyperdesk-eval-record-'));
  const recording = join(out, 'recording');
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const only = ['--suite', 'smoke', '--only', 'counter,sales-csv', '--repeat', '2'];
  const resultOf = (dir: string): ResultFile => {
    const name = readdirSync(dir).find((f) => f.endsWith('.json'));
    return JSON.parse(readFileSync(join(dir, name ?? ''), 'utf8')) as ResultFile;
  };
  /** What a person reads off a result: outcome, state, repairs and the calls made, per sample. */
  const figures = (file: ResultFile) =>
    file.requests.map((r) => ({
      id: r.id,
      sample: r.sample,
      state: r.state,
      outcome: r.outcome,
      appRepairs: r.appRepairs,
      toolRepairs: r.toolRepairs,
      stages: r.stages,
      checks: r.checks.map((c) => [c.name, c.ok]),
    }));

  it('a recorded evaluation replayed from its transcript gives the same results, with no model but the recording', async () => {
    const recorded = await evalCli([
      '--provider',
      'sim',
      ...only,
      '--out',
      join(out, 'a'),
      '--record',
      recording,
    ]);
    expect(recorded.code, recorded.stderr + recorded.stdout).toBe(0);
    const first = resultOf(join(out, 'a'));
    expect(first.recordedTo).toBe(recording);
    // Every call the services made is in the recording, with what a replay and an audit need.
    const calls = readdirSync(recording)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(join(recording, f), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const made = first.requests.reduce((a, r) => a + r.modelCalls, 0);
    expect(calls).toHaveLength(made);
    expect(calls[0]).toMatchObject({
      provider: 'sim',
      model: 'hyperdesk-sim',
      servedModel: 'hyperdesk-sim',
    });
    expect(Object.keys(calls[0] ?? {}).sort()).toEqual([
      'at',
      'content',
      'finishReason',
      'messages',
      'model',
      'provider',
      'rateLimit',
      'reasoning',
      'servedBy',
      'servedModel',
      'stage',
      'usage',
    ]);

    const replayed = await evalCli(['--replay', recording, ...only, '--out', join(out, 'b')]);
    expect(replayed.code, replayed.stderr + replayed.stdout).toBe(0);
    const second = resultOf(join(out, 'b'));
    expect(second.replayOf).toBe(recording);
    expect(figures(second)).toEqual(figures(first));
    // The recording reproduced a re-ask, not only first answers.
    expect(second.requests.find((r) => r.id === 'sales-csv')?.stages).toEqual([
      'classify',
      'classify',
      'content',
    ]);

    // Both say what they were measured with, and report pass@k with intervals.
    for (const file of [first, second]) {
      expect(file.provenance?.git?.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(file.provenance?.prompts.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(file.provenance?.prompts.files).toContain('services/planner/src/diagnose.ts');
      expect(file.provenance?.settings).toMatchObject({ provider: 'sim', model: 'hyperdesk-sim' });
      expect(file.repeat).toMatchObject({
        k: 2,
        passAt1: { rate: 1, n: 4 },
        passAtK: { rate: 1, n: 2 },
      });
      expect(file.repeat?.passAt1.low).toBeGreaterThan(0.4);
      expect(file.repeat?.passAt1.low).toBeLessThan(1);
    }
    expect(second.provenance?.prompts.sha256).toBe(first.provenance?.prompts.sha256);
    expect(replayed.stdout).toMatch(
      /pass@1 100 % \(95 % interval \d+ %–100 %, n = 4\); pass@2 100 %/,
    );
  }, 600_000);

  it('refuses a replay of a folder that holds no recording', async () => {
    const run = await evalCli(['--replay', join(out, 'nothing-here'), '--suite', 'smoke']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/No recording at .*nothing-here/);
  }, 180_000);
});

describe('the eval checks', () => {
  // No gateway is needed for apps without tools: the window page is served by the browser.
  const checker = new AppChecker('http://127.0.0.1:9');
  afterAll(() => checker.close());
  const html = (name: string) => readFileSync(join(scenarios, name), 'utf8');

  it('reports an app that throws at load, and passes it once fixed', async () => {
    const step = {
      do: 'type' as const,
      text: 'Buy oat milk',
      submit: { button: '^add' },
      expect: { text: 'Buy oat milk' },
    };
    const broken = await checker.check(html('notes-broken.html'), { steps: [step] });
    expect(broken[0]).toMatchObject({ name: 'renders without errors', ok: false });
    expect(broken[0]?.detail).toMatch(/null/);
    expect(broken.find((c) => c.name.startsWith('type'))?.ok).toBe(false);
    const fixed = await checker.check(html('notes-fixed.html'), { steps: [step] });
    expect(fixed.every((c) => c.ok)).toBe(true);
  });

  it('fails interactions whose expected change does not happen', async () => {
    const checks = await checker.check(html('counter.html'), {
      element: 'svg',
      text: ['welcome'],
      steps: [
        { do: 'click', button: 'reset', expect: { changes: true } },
        { do: 'click', button: 'never-there', expect: {} },
      ],
    });
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['renders without errors', true],
      ['has svg', false],
      ['shows /welcome/', false],
      ['click /reset/', false],
    ]);
  });

  it('checks content type and shape, and facts in tool output', () => {
    const ragged = checkContent('text/csv', 'month,units\nJan,1,2\nFeb\n', {
      type: 'text/csv',
      minRows: 3,
      columns: ['revenue'],
    });
    expect(ragged.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'CSV rows have the same number of cells',
      'at least 3 data rows',
      'has a /revenue/ column',
    ]);
    expect(checkContent('text/plain', '{}', { type: 'application/json' })[0]?.ok).toBe(false);
    const facts = factChecks([{ files: [{ path: 'data/sales.csv', lines: '3' }] }], {
      mentions: ['sales.csv', 'people.json'],
      numbers: [3, 4],
    });
    expect(facts.map((c) => c.ok)).toEqual([true, false, true, false]);
  });
});
