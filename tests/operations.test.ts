import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser';
import { freePort } from './support/ports';
import { Session } from './support/session';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const ADMIN_PASSWORD = 'correct horse battery';
const PASSWORD = 'member password 1';
const METRICS_TOKEN = 'scrape-token-0123456789';
const QUEUES = ['classify', 'planner', 'tools', 'apps'];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads Prometheus text format into samples (comments skipped). */
function parseMetrics(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) return [];
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key ?? ''] = value ?? '';
    }
    return [{ name: m[1] ?? '', labels, value: Number(m[3]) }];
  });
}

/** The value of the one sample with this name whose labels include `labels`; 0 if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.reduce((sum, s) => sum + s.value, 0);
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseMetrics(await res.text());
}

function expectQueueGauges(samples: Sample[], service: string): void {
  for (const queue of QUEUES) {
    for (const state of ['waiting', 'active', 'completed', 'failed', 'delayed']) {
      const found = samples.filter(
        (s) =>
          s.name === 'hyperdesk_queue_jobs' &&
          s.labels.queue === queue &&
          s.labels.state === state &&
          s.labels.service === service,
      );
      expect(found, `${service}: ${queue}/${state}`).toHaveLength(1);
    }
  }
}

describe('operations: /metrics, Bull Board, run ids in logs', () => {
  let stack: Stack;
  let admin: Session;
  let member: Session;
  let runnerPort: number;
  let toolRunId: string;
  let appRunId: string;
  const workerMetrics = (index: number) => stack.workerMetricsUrls[index] ?? '';

  beforeAll(async () => {
    runnerPort = await freePort();
    stack = await startStack('operations', {
      LLM_SIM_SCENARIOS: scenarios,
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      RUNNER_PORT: String(runnerPort),
      AUTH_MODE: 'accounts',
      HYPERDESK_ADMIN_USER: 'admin',
      HYPERDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      METRICS_TOKEN,
      LOG_LEVEL: 'debug',
    });
    admin = await Session.login(stack.baseUrl, 'admin', ADMIN_PASSWORD);
    const created = await admin.call('/api/admin/users', {
      body: { name: 'mia', password: PASSWORD },
    });
    expect(created.status).toBe(201);
    member = await Session.login(stack.baseUrl, 'mia', PASSWORD);

    // A tool_only run (planner, tool-manager with a repair, the runner) and an app run.
    const tool = await admin.call<{ runId: string }>('/api/runs', {
      body: { prompt: 'tools:count-words in my sentence' },
    });
    const app = await admin.call<{ runId: string }>('/api/runs', {
      body: { prompt: 'e2e:hello a tiny hello app' },
    });
    toolRunId = tool.body.runId;
    appRunId = app.body.runId;
    for (const runId of [toolRunId, appRunId]) {
      const run = await admin.waitForRun(runId, 90_000);
      expect(run.error).toBeUndefined();
      expect(run.state).toBe('DONE');
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the gateway /metrics to admins and the metrics token, and refuses others', async () => {
    const url = `${stack.baseUrl}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: member.headers() })).status).toBe(403);
    const wrong = await fetch(url, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);

    const byToken = await scrape(url, { authorization: `Bearer ${METRICS_TOKEN}` });
    const byAdmin = await scrape(url, admin.headers());
    for (const samples of [byToken, byAdmin]) {
      expectQueueGauges(samples, 'gateway');
      expect(
        valueOf(samples, 'hyperdesk_job_duration_seconds_count', {
          queue: 'classify',
          job: 'CLASSIFYING',
          outcome: 'completed',
        }),
      ).toBeGreaterThanOrEqual(2);
      expect(
        valueOf(samples, 'hyperdesk_llm_ttft_seconds_count', {
          stage: 'classify',
          provider: 'sim',
        }),
      ).toBeGreaterThanOrEqual(2);
      expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    }
    // Every run was completed in its queues, and the gauges read it from Redis.
    expect(
      valueOf(byAdmin, 'hyperdesk_queue_jobs', { queue: 'planner', state: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("shows each worker's jobs, model calls and tool executions on its own /metrics", async () => {
    const planner = await scrape(workerMetrics(0));
    expectQueueGauges(planner, 'planner');
    expect(
      valueOf(planner, 'hyperdesk_job_duration_seconds_count', {
        queue: 'planner',
        job: 'PLANNING_TOOLS',
        outcome: 'completed',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(planner, 'hyperdesk_llm_ttft_seconds_count', {
        stage: 'plan_tools',
        provider: 'sim',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(planner, 'hyperdesk_llm_tokens_per_second_count', { stage: 'plan_tools' }),
    ).toBeGreaterThanOrEqual(1);

    const tools = await scrape(workerMetrics(1));
    expectQueueGauges(tools, 'tool-manager');
    for (const job of ['tool.build', 'tools.ready', 'EXECUTING_TOOL']) {
      expect(
        valueOf(tools, 'hyperdesk_job_duration_seconds_count', {
          queue: 'tools',
          job,
          outcome: 'completed',
        }),
        job,
      ).toBeGreaterThanOrEqual(1);
    }
    expect(
      valueOf(tools, 'hyperdesk_llm_ttft_seconds_count', { stage: 'tool_write', provider: 'sim' }),
    ).toBeGreaterThanOrEqual(1);
    // The first version had a SyntaxError: one failed test, one repair, then passing calls.
    expect(valueOf(tools, 'hyperdesk_tool_repairs_total')).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(tools, 'hyperdesk_tool_executions_total', { outcome: 'error' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(tools, 'hyperdesk_tool_executions_total', { outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(2);

    const apps = await scrape(workerMetrics(2));
    expectQueueGauges(apps, 'app-generator');
    for (const job of ['GENERATING_APP', 'CHECKING_APP']) {
      expect(
        valueOf(apps, 'hyperdesk_job_duration_seconds_count', {
          queue: 'apps',
          job,
          outcome: 'completed',
        }),
        job,
      ).toBeGreaterThanOrEqual(1);
    }
    expect(
      valueOf(apps, 'hyperdesk_llm_ttft_seconds_count', { stage: 'app_generate', provider: 'sim' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts executions and kills on the python-runner /metrics', async () => {
    const runner = `http://127.0.0.1:${runnerPort}`;
    const before = await scrape(`${runner}/metrics`);
    expect(
      valueOf(before, 'hyperdesk_runner_executions_total', { outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      valueOf(before, 'hyperdesk_runner_executions_total', { outcome: 'error' }),
    ).toBeGreaterThanOrEqual(1);

    const res = await fetch(`${runner}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'while True: pass', limits: { wallMs: 300 } }),
    });
    expect(((await res.json()) as { killedBy: string }).killedBy).toBe('timeout');
    const after = await scrape(`${runner}/metrics`);
    const kills = (s: Sample[]) =>
      valueOf(s, 'hyperdesk_runner_kills_total', { killed_by: 'timeout' });
    expect(kills(after)).toBe(kills(before) + 1);
    const count = (s: Sample[]) => valueOf(s, 'hyperdesk_runner_execution_duration_seconds_count');
    expect(count(after)).toBe(count(before) + 1);
    expect(
      valueOf(after, 'hyperdesk_runner_execution_duration_seconds_bucket', { le: '+Inf' }),
    ).toBe(count(after));
  });

  it('shows the Bull Board to admins only', async () => {
    const page = await fetch(`${stack.baseUrl}/admin/queues`, { headers: admin.headers() });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('Hyperdesk queues');
    // The page's scripts load from the board's static route, relative to its <base>.
    const base = /<base href="([^"]+)"/.exec(html)?.[1];
    expect(base).toBe('/admin/queues/');
    const scripts = [...html.matchAll(/<script defer src="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const asset = await fetch(new URL(script, stack.baseUrl + (base ?? '')), {
        headers: admin.headers(),
      });
      expect(asset.status, script).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    }

    const api = await admin.call<{ queues: { name: string; readOnlyMode: boolean }[] }>(
      '/admin/queues/api/queues',
    );
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q) => q.name).sort()).toEqual([...QUEUES].sort());
    expect(api.body.queues.every((q) => q.readOnlyMode)).toBe(true);
    const missing = await admin.call<{ error: unknown }>('/admin/queues/api/queues/nope/1');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBeDefined();

    for (const route of ['/admin/queues', '/admin/queues/api/queues']) {
      const asMember = await member.call<{ error: string }>(route);
      expect(asMember.status).toBe(403);
      expect(asMember.body.error).toMatch(/admin/);
      const anonymous = await fetch(stack.baseUrl + route);
      expect(anonymous.status).toBe(401);
    }
    // The metrics token is for scraping only.
    const byToken = await fetch(`${stack.baseUrl}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(byToken.status).toBe(401);
  });

  it('renders the Bull Board in a browser under its CSP, asking nothing of other hosts', async () => {
    const page = await fetch(`${stack.baseUrl}/admin/queues`, { headers: admin.headers() });
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("font-src 'self'");

    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ extraHTTPHeaders: admin.headers() });
      const tab = await context.newPage();
      const outside: Promise<string>[] = [];
      const errors: string[] = [];
      // A request to another host must be stopped by the CSP in the browser, never sent.
      tab.on('request', (request) => {
        if (request.url().startsWith(stack.baseUrl)) return;
        outside.push(
          request
            .response()
            .then(() => `${request.url()}: ${request.failure()?.errorText ?? 'sent'}`),
        );
      });
      tab.on('pageerror', (error) => errors.push(error.message));
      await tab.goto(`${stack.baseUrl}/admin/queues`);
      // The board's own script renders the queue list (from its API, through the CSP).
      await tab.getByText('planner', { exact: false }).first().waitFor({ timeout: 15_000 });
      expect(errors).toEqual([]);
      for (const outcome of await Promise.all(outside)) {
        expect(outcome).toMatch(/: (csp|net::ERR_BLOCKED_BY_CSP)$/);
      }
    } finally {
      await browser.close();
    }
  });

  it('logs the same runId from every service that worked on the run', () => {
    /** Services with log lines carrying this runId (only lines with message `msg`, if given). */
    const servicesFor = (runId: string, msg?: string) => {
      const services = new Set<string>();
      for (const line of stack.output().split('\n')) {
        const json = line.slice(line.indexOf('{'));
        if (!json.includes(runId)) continue;
        try {
          const entry = JSON.parse(json) as { runId?: string; service?: string; msg?: string };
          if (entry.runId !== runId || !entry.service) continue;
          if (msg === undefined || entry.msg === msg) services.add(entry.service);
        } catch {
          // not a log line
        }
      }
      return [...services];
    };
    expect(servicesFor(toolRunId)).toEqual(
      expect.arrayContaining(['gateway', 'planner', 'tool-manager']),
    );
    expect(servicesFor(appRunId)).toEqual(expect.arrayContaining(['gateway', 'app-generator']));
    // The model client's lines, written deep inside a job, carry the run's id too.
    expect(servicesFor(toolRunId, 'llm call')).toEqual(
      expect.arrayContaining(['gateway', 'planner', 'tool-manager']),
    );
    expect(servicesFor(appRunId, 'llm call')).toEqual(
      expect.arrayContaining(['gateway', 'app-generator']),
    );
  });
});
